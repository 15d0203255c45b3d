package certify

import (
	"errors"
	"fmt"
	"strings"
)

// inspector judges an answer: nil means it passes, an error says what is wrong with it.
type inspector func(Response) error

// allOf passes when every inspector passes, reporting the first problem.
func allOf(inspectors ...inspector) inspector {
	return func(resp Response) error {
		for _, inspect := range inspectors {
			if err := inspect(resp); err != nil {
				return err
			}
		}
		return nil
	}
}

func requireText(resp Response) error {
	if strings.TrimSpace(resp.Text) == "" {
		return fmt.Errorf("empty answer (stop reason %q)", resp.StopReason)
	}
	return nil
}

func requireStopReason(want StopReason) inspector {
	return func(resp Response) error {
		if resp.StopReason != want {
			return fmt.Errorf("stop reason %q, want %q", resp.StopReason, want)
		}
		return nil
	}
}

func requireUsage(resp Response) error {
	if resp.Usage == nil {
		return errors.New("no token usage reported")
	}
	return nil
}

// requireTextContains passes when the answer contains want, exactly as written.
func requireTextContains(want string) inspector {
	return func(resp Response) error {
		if !strings.Contains(resp.Text, want) {
			return fmt.Errorf("answer lacks %q: %s", want, quoteAnswer(resp.Text))
		}
		return nil
	}
}

// requireTextFold passes when the answer contains want in any letter case.
func requireTextFold(want string) inspector {
	return func(resp Response) error {
		if !strings.Contains(strings.ToLower(resp.Text), strings.ToLower(want)) {
			return fmt.Errorf("answer lacks %q: %s", want, quoteAnswer(resp.Text))
		}
		return nil
	}
}

// maxQuotedAnswer keeps quoted answers short enough for a result message.
const maxQuotedAnswer = 60

// quoteAnswer quotes the start of an answer for a failure message.
func quoteAnswer(text string) string {
	head, cut := truncate(strings.TrimSpace(text), maxQuotedAnswer)
	if cut {
		return fmt.Sprintf("%q…", head)
	}
	return fmt.Sprintf("%q", head)
}

var inspectBasicPrompt = allOf(requireText, requireStopReason(StopEndTurn), requireUsage)

func inspectMaxTokens(resp Response) error {
	if err := allOf(requireText, requireStopReason(StopMaxTokens), requireUsage)(resp); err != nil {
		return err
	}
	if n := resp.Usage.OutputTokens; n < 1 || n > maxTokensLimit {
		return fmt.Errorf("%d output tokens, want 1 to %d", n, maxTokensLimit)
	}
	return nil
}

func inspectStopSequence(resp Response) error {
	if err := requireStopReason(StopSequence)(resp); err != nil {
		return err
	}
	if strings.Contains(resp.Text, stopSequence) {
		return fmt.Errorf("answer contains the stop sequence %q: %s", stopSequence, quoteAnswer(resp.Text))
	}
	return nil
}

// minGeneratedText is the length, in characters, below which a haiku is not a haiku.
const minGeneratedText = 20

func inspectTextGeneration(resp Response) error {
	if n := len([]rune(strings.TrimSpace(resp.Text))); n <= minGeneratedText {
		return fmt.Errorf("answer of %d characters, want more than %d: %s", n, minGeneratedText, quoteAnswer(resp.Text))
	}
	return nil
}
