package bedrocksim

import (
	"strings"
	"unicode"
)

// The simulator counts one token per whitespace-separated word: simple, and
// predictable enough for tests to assert exact usage numbers.

func countWords(s string) int { return len(strings.Fields(s)) }

// inputTokens counts the words of the system prompt and of every text block.
func inputTokens(req *converseRequest) int {
	n := countWords(systemText(req.System))
	for _, m := range req.Messages {
		n += countWords(textOf(m))
	}
	return n
}

// truncateWords keeps the first n words, with the whitespace between them as written.
func truncateWords(s string, n int) (string, bool) {
	words := 0
	inWord := false
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			inWord = false
		case !inWord:
			if words == n {
				return strings.TrimRightFunc(s[:i], unicode.IsSpace), true
			}
			words++
			inWord = true
		}
	}
	return s, false
}

// cutAtStopSequence cuts s before the first occurrence of any stop sequence.
func cutAtStopSequence(s string, sequences []string) (string, bool) {
	cut := -1
	for _, seq := range sequences {
		if seq == "" {
			continue
		}
		if i := strings.Index(s, seq); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return s, false
	}
	return s[:cut], true
}
