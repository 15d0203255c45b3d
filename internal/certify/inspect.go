package certify

import (
	"errors"
	"fmt"
	"slices"
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

// textJudge judges what an answer says, given as judgedText: plain text without the echoed
// prompt. nil means the answer is right.
type textJudge func(text string) error

// requireAnswer passes when the answer has text beyond the prompt it may repeat and judge
// accepts that text. A wrong answer that refuses is reported as a refusal.
func requireAnswer(req Request, judge textJudge) inspector {
	return func(resp Response) error {
		if err := requireText(resp); err != nil {
			return err
		}
		return judgeAnswer(req, resp.Text, judge)
	}
}

// judgeAnswer is requireAnswer for a text that is known not to be empty.
func judgeAnswer(req Request, answer string, judge textJudge) error {
	text := judgedText(req, answer)
	if !hasContent(text) {
		return fmt.Errorf("answer only repeats the prompt: %s", quoteAnswer(answer))
	}
	err := judge(text)
	if err == nil {
		return nil
	}
	if phrase, refused := refusal(answer); refused {
		return fmt.Errorf("refused (%q): %s", phrase, quoteAnswer(answer))
	}
	return err
}

// notRefused accepts every answer that does not decline.
func notRefused(text string) error {
	if phrase, refused := refusal(text); refused {
		return fmt.Errorf("refused (%q): %s", phrase, quoteAnswer(text))
	}
	return nil
}

// wantWord passes when the answer says one of the spellings as a whole word, in any letter
// case, in a clause that does not negate it: "blurred" does not say red, "not red" and "I
// won't say red" do not either.
func wantWord(spellings ...string) textJudge {
	return func(text string) error {
		switch found, negated := mention(text, spellings...); {
		case !found:
			return fmt.Errorf("answer lacks %q: %s", spellings[0], quoteAnswer(text))
		case negated:
			return fmt.Errorf("answer negates %q: %s", spellings[0], quoteAnswer(text))
		}
		return nil
	}
}

// wantOnlyWord passes when the answer is the one word and nothing else, in any letter case and
// formatting ("BANANA", "**Banana.**").
func wantOnlyWord(word string) textJudge {
	return func(text string) error {
		if got := words(text); len(got) != 1 || got[0] != strings.ToLower(word) {
			return fmt.Errorf("answer is not just %q: %s", strings.ToUpper(word), quoteAnswer(text))
		}
		return nil
	}
}

// wantNumber passes when the number the answer gives is want. The numbers the answer gives are
// those, in digits or words, that it does not negate and that the prompt does not contain (an
// answer may restate "17 + 25"); the answer's is the first or the last of them, as in "42",
// "17 + 25 = 42" and "The answer is 42 (17 plus 25)".
func wantNumber(req Request, want float64) textJudge {
	var asked []float64
	for _, text := range promptTexts(req) {
		for _, n := range numbersIn(plainText(text)) {
			asked = append(asked, n.value)
		}
	}
	return func(text string) error {
		var given []float64
		for _, n := range numbersIn(text) {
			if !n.negated && !slices.Contains(asked, n.value) {
				given = append(given, n.value)
			}
		}
		switch {
		case len(given) == 0:
			return fmt.Errorf("answer gives no number, want %g: %s", want, quoteAnswer(text))
		case given[0] != want && given[len(given)-1] != want:
			return fmt.Errorf("answer gives %g, want %g: %s", given[len(given)-1], want, quoteAnswer(text))
		}
		return nil
	}
}

// wantCount passes when the answer counts from one number to another, each once and in order,
// in digits or words, whatever else it says around the count.
func wantCount(from, to int) textJudge {
	return func(text string) error {
		numbers := numbersIn(text)
		for start := range numbers {
			next := float64(from)
			for _, n := range numbers[start:] {
				if n.value != next {
					break
				}
				if next == float64(to) {
					return nil
				}
				next++
			}
		}
		return fmt.Errorf("answer does not count from %d to %d: %s", from, to, quoteAnswer(text))
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

// inspectBasicPrompt passes an answer that names the capital of Japan (Tokyo) without negating
// it, ends its turn naturally and reports token usage.
var inspectBasicPrompt = allOf(requireAnswer(basicPromptRequest, wantWord(basicPromptAnswer...)),
	requireStopReason(StopEndTurn), requireUsage)

// inspectParameters passes an answer, under temperature, top-p and a 64-token limit, that gives
// 12 × 7 = 84 in digits or words.
var inspectParameters = requireAnswer(parametersRequest, wantNumber(parametersRequest, parametersAnswer))

// inspectErrorHandling passes an answer to a question wrapped in accents, quotes, an emoji and
// markup characters that names the capital of Italy (Rome, or Roma) without negating it.
var inspectErrorHandling = requireAnswer(errorHandlingRequest, wantWord(errorHandlingAnswer...))

// inspectConsistencyAnswer passes one answer of the consistency check: 17 + 25 = 42.
var inspectConsistencyAnswer = requireAnswer(consistencyRequest, wantNumber(consistencyRequest, consistencyAnswer))

// inspectSystemPrompt passes an answer that obeys the system prompt over the user: the one word
// BANANA and nothing else (any letter case, punctuation or Markdown around it).
var inspectSystemPrompt = requireAnswer(systemPromptRequest, wantOnlyWord(systemPromptWord))

// inspectMultiTurn passes an answer that combines a fact from the first turn with one from the
// last: 3 cats and 2 more make 5, a number that stands nowhere in the conversation.
var inspectMultiTurn = requireAnswer(multiTurnRequest, wantNumber(multiTurnRequest, multiTurnAnswer))

// inspectMaxTokens passes an answer to the essay prompt that the token limit cut off: stop
// reason max_tokens, 1 to 16 output tokens, and text that is more than the prompt repeated and
// not a refusal. What the essay says is not judged: the check is about the limit.
func inspectMaxTokens(resp Response) error {
	if err := allOf(requireAnswer(maxTokensRequest, notRefused), requireStopReason(StopMaxTokens), requireUsage)(resp); err != nil {
		return err
	}
	if n := resp.Usage.OutputTokens; n < 1 || n > maxTokensLimit {
		return fmt.Errorf("%d output tokens, want 1 to %d", n, maxTokensLimit)
	}
	return nil
}

// inspectStopSequence passes an answer that the stop sequence "7" cut short: stop reason
// stop_sequence, no "7" in the text, and the count from 1 to 6 that comes before it.
func inspectStopSequence(resp Response) error {
	if err := requireStopReason(StopSequence)(resp); err != nil {
		return err
	}
	if strings.Contains(resp.Text, stopSequence) {
		return fmt.Errorf("answer contains the stop sequence %q: %s", stopSequence, quoteAnswer(resp.Text))
	}
	return requireAnswer(stopSequenceRequest, wantCount(1, 6))(resp)
}

// inspectVision passes an answer that names the colour of the red square as the word red (not
// "blurred" or "required") in a clause that does not negate it.
var inspectVision = requireAnswer(visionRequest, wantWord("red"))

// seaWords are the words by which a haiku shows that it is about the sea.
var seaWords = []string{
	"sea", "seas", "ocean", "oceans", "wave", "waves", "tide", "tides", "tidal", "shore", "shores", "shoreline",
	"seashore", "seaside", "coast", "coastline", "surf", "salt", "salty", "saltwater", "brine", "briny", "gull",
	"gulls", "seagull", "seagulls", "foam", "beach", "sand", "sands", "spray", "swell", "swells", "reef", "harbor",
	"harbour", "sailor", "sailors", "ship", "ships", "sail", "sails", "boat", "boats", "current", "currents",
	"undertow", "breakers", "whitecaps", "seashell", "seashells", "shell", "shells", "marine", "nautical",
	"water", "waters",
}

// Bounds of a haiku line, in words: a line of 5 or 7 syllables has one to about ten words.
const maxHaikuLineWords = 10

// inspectTextGeneration passes an answer that contains a haiku about the sea: a stanza of three
// lines of one to ten words each (or one line split by two " / "), with a word of the sea in it,
// besides the prompt repeated. A lead-in line ending in ":" and a title line apart are allowed.
var inspectTextGeneration = requireAnswer(textGenerationRequest, wantHaiku(seaWords))

func wantHaiku(topic []string) textJudge {
	return func(text string) error {
		stanza, ok := haikuStanza(text)
		if !ok {
			return fmt.Errorf("answer has no stanza of three short lines: %s", quoteAnswer(text))
		}
		if found, _ := mention(strings.Join(stanza, "\n"), topic...); !found {
			return fmt.Errorf("haiku is not about the %s: %s", topic[0], quoteAnswer(strings.Join(stanza, " / ")))
		}
		return nil
	}
}

// haikuStanza finds the first stanza (lines between blank lines) of exactly three lines of one
// to ten words, after dropping the lines that introduce it with a colon.
func haikuStanza(text string) ([]string, bool) {
	for _, block := range strings.Split(text, "\n\n") {
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasSuffix(line, ":") {
				lines = append(lines, line)
			}
		}
		if len(lines) == 1 && strings.Count(lines[0], " / ") == 2 {
			lines = strings.Split(lines[0], " / ")
		}
		if len(lines) == 3 && !slices.ContainsFunc(lines, func(l string) bool {
			n := len(words(l))
			return n < 1 || n > maxHaikuLineWords
		}) {
			return lines, true
		}
	}
	return nil, false
}
