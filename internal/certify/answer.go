package certify

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// This file reads answers the way a person grading them would: past the model's formatting
// (code fences, Markdown, curly quotes), past the prompt it may have echoed, with numbers in
// digits or words, single words matched whole, and nothing counted that the answer negates.

// typographic maps the characters models use for quotes, apostrophes, minus signs and spaces
// to their plain forms.
var typographic = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201c", `"`, "\u201d", `"`,
	"\u2212", "-", "\u2013", "-", "\u2014", " - ", "\u00a0", " ",
)

// markdownMarks are the characters of Markdown emphasis and inline code.
var markdownMarks = strings.NewReplacer("**", "", "__", "", "*", "", "`", "", "~~", "")

// linePrefix matches the Markdown that starts a line: headings, quotes and list bullets.
var linePrefix = regexp.MustCompile(`^\s*(?:#{1,6}\s+|>\s*|[-+]\s+)`)

// removeFences drops the lines that open or close a Markdown code fence, keeping what they
// enclose: for judging, a fenced answer says what its contents say. Because every fence line
// goes, removeFences(removeFences(s)) == removeFences(s).
func removeFences(text string) string {
	lines := strings.Split(text, "\n")
	kept := lines[:0]
	for _, line := range lines {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

// plainText is an answer without its formatting: no code fences, Markdown emphasis, headings,
// quotes or bullets, with plain quotes and apostrophes. Lines are kept.
func plainText(text string) string {
	text = removeFences(typographic.Replace(text))
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		// An underscore between letters is part of a word; elsewhere it is emphasis.
		line = markdownMarks.Replace(linePrefix.ReplaceAllString(line, ""))
		lines[i] = strings.TrimSpace(strings.Trim(line, "_"))
	}
	return strings.Join(lines, "\n")
}

// sentenceEnd splits prompts into sentences for echo removal.
var sentenceEnd = regexp.MustCompile(`[.!?]+(?:\s+|$)|\n+`)

// withoutEcho removes from an answer every sentence of the prompts (of two words or more) that
// it repeats, in any letter case and spacing, so that an answer cannot pass on the strength of
// the question it echoes.
func withoutEcho(text string, prompts ...string) string {
	for _, prompt := range prompts {
		for _, echo := range echoesOf(prompt) {
			text = echo.ReplaceAllString(text, "")
		}
	}
	return text
}

// echoPatterns keeps the patterns of each prompt, compiled once: the battery's prompts are
// fixed, and compiling them for every call was most of what a run allocated.
var echoPatterns sync.Map // prompt → []*regexp.Regexp

// echoesOf returns the patterns matching each sentence of a prompt as an answer may echo it.
func echoesOf(prompt string) []*regexp.Regexp {
	if cached, ok := echoPatterns.Load(prompt); ok {
		return cached.([]*regexp.Regexp)
	}
	var echoes []*regexp.Regexp
	for _, sentence := range sentenceEnd.Split(plainText(prompt), -1) {
		words := strings.Fields(sentence)
		if len(words) < 2 {
			continue
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = regexp.QuoteMeta(w)
		}
		echoes = append(echoes, regexp.MustCompile(`(?i)`+strings.Join(quoted, `\s+`)+`[.!?]*`))
	}
	echoPatterns.Store(prompt, echoes)
	return echoes
}

// promptTexts are the texts of a request a model might echo: system prompt and every turn.
func promptTexts(req Request) []string {
	texts := []string{req.System}
	for _, m := range req.Messages {
		texts = append(texts, m.Text)
	}
	return texts
}

// judgedText is an answer prepared for judging: plain text without the prompt it echoed.
func judgedText(req Request, text string) string {
	return withoutEcho(plainText(text), promptTexts(req)...)
}

// clauseBreak separates clauses: a negation reaches to the end of its clause and no further,
// so "not blue, but red" negates blue only.
var clauseBreak = regexp.MustCompile(`(?i)[.!?;:]+(?:\s|$)|,\s|\n|\s+-\s+|\((?:\s)?|\)|\b(?:but|however|although|though|whereas)\b`)

// token is a word or a number of an answer, with its place in the text.
type token struct {
	// text is the word in lower case, or the number as written.
	text     string
	number   bool
	negated  bool // a negation precedes it in its clause
	joinPrev bool // only spaces or a hyphen separate it from the token before
}

// numeral matches a number in digits: an optional sign, thousands separators, decimals.
var numeral = regexp.MustCompile(`^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?`)

// negators start a negation that lasts to the end of the clause.
var negators = map[string]bool{
	"not": true, "no": true, "never": true, "cannot": true, "without": true, "neither": true, "nor": true,
	"unable": true, "refuse": true, "decline": true, "cant": true, "wont": true, "dont": true, "isnt": true,
	"doesnt": true, "didnt": true, "arent": true, "wasnt": true, "couldnt": true, "wouldnt": true,
}

// tokenize splits plain text into words and numbers, marking the ones a negation covers.
func tokenize(text string) []token {
	var tokens []token
	for _, clause := range clauseBreak.Split(text, -1) {
		negated := false
		joined := false
		for i := 0; i < len(clause); {
			r := rune(clause[i])
			if m := numeral.FindString(clause[i:]); m != "" && !afterWord(clause[:i]) {
				tokens = append(tokens, token{text: strings.ReplaceAll(m, ",", ""), number: true, negated: negated, joinPrev: joined})
				i += len(m)
				joined = true
				continue
			}
			if end := wordEnd(clause, i); end > i {
				word := strings.ToLower(strings.ReplaceAll(clause[i:end], "'", ""))
				if strings.HasSuffix(word, "nt") && strings.Contains(clause[i:end], "n't") {
					negated = true
				}
				tokens = append(tokens, token{text: word, negated: negated, joinPrev: joined})
				if negators[word] {
					negated = true
				}
				i = end
				joined = true
				continue
			}
			if r != ' ' && r != '\t' && r != '-' {
				joined = false
			}
			i++
		}
	}
	return tokens
}

// afterWord reports whether a letter or digit ends text: a number glued to a word ("v4") is
// part of that word.
func afterWord(text string) bool {
	last, _ := utf8.DecodeLastRuneInString(text)
	return unicode.IsLetter(last) || unicode.IsDigit(last)
}

// wordEnd returns the end of the word (letters and inner apostrophes) starting at i, or i.
func wordEnd(s string, i int) int {
	end := i
	for j, r := range s[i:] {
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			end = i + j + len(string(r))
		case r == '\'' && end == i+j && end > i:
			// an apostrophe inside a word ("can't"), checked by the next letter
		default:
			return end
		}
	}
	return end
}

// words returns the words of plain text in lower case, numbers as written.
func words(text string) []string {
	tokens := tokenize(text)
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.text
	}
	return out
}

// mention reports whether word (or any of its accepted spellings) appears as a whole word in
// the text, and whether every appearance is negated.
func mention(text string, spellings ...string) (found, negated bool) {
	negated = true
	for _, t := range tokenize(text) {
		for _, s := range spellings {
			if t.text == strings.ToLower(s) {
				found = true
				negated = negated && t.negated
			}
		}
	}
	return found, found && negated
}

// The values of the number words numbersIn reads.
var (
	smallNumbers = map[string]int64{
		"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
		"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
		"seventeen": 17, "eighteen": 18, "nineteen": 19,
	}
	tensNumbers = map[string]int64{
		"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
	}
	scaleNumbers = map[string]int64{"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
)

// number is a number found in an answer.
type number struct {
	value   float64
	negated bool
}

// numbersIn returns the numbers of plain text in order, written in digits ("42", "1,000",
// "-3.5") or in English words ("forty-two", "one hundred and five", "two thousand").
// Consecutive number words separated by punctuation are separate numbers ("one, two").
func numbersIn(text string) []number {
	tokens := tokenize(text)
	var out []number
	for i := 0; i < len(tokens); {
		t := tokens[i]
		if t.number {
			if v, err := strconv.ParseFloat(t.text, 64); err == nil {
				out = append(out, number{v, t.negated})
			}
			i++
			continue
		}
		if v, next, ok := wordNumber(tokens, i); ok {
			out = append(out, number{float64(v), t.negated})
			i = next
			continue
		}
		i++
	}
	return out
}

// wordNumber reads a number spelt in words starting at tokens[i]: chunks below a thousand,
// each but the last followed by a scale word, scales decreasing ("two million three thousand
// and five").
func wordNumber(tokens []token, i int) (int64, int, bool) {
	chunk, next, ok := wordChunk(tokens, i)
	if !ok {
		return 0, i, false
	}
	var total, lastScale int64
	for next < len(tokens) && tokens[next].joinPrev {
		scale, isScale := scaleNumbers[tokens[next].text]
		if !isScale || (lastScale != 0 && scale >= lastScale) {
			break
		}
		total, lastScale, chunk = total+chunk*scale, scale, 0
		next++
		j := skipAnd(tokens, next)
		if j >= len(tokens) || !tokens[j].joinPrev {
			break
		}
		c, n, more := wordChunk(tokens, j)
		if !more {
			break
		}
		chunk, next = c, n
	}
	return total + chunk, next, true
}

// skipAnd steps over the "and" of "one hundred and five".
func skipAnd(tokens []token, i int) int {
	if i+1 < len(tokens) && tokens[i].text == "and" && tokens[i].joinPrev && tokens[i+1].joinPrev {
		return i + 1
	}
	return i
}

// wordChunk reads a number below a thousand in words: "seven", "forty-two", "three hundred
// and twelve".
func wordChunk(tokens []token, i int) (int64, int, bool) {
	value, next, ok := wordTens(tokens, i)
	if !ok {
		return 0, i, false
	}
	if value < 10 && next < len(tokens) && tokens[next].joinPrev && tokens[next].text == "hundred" {
		value *= 100
		next++
		if j := skipAnd(tokens, next); j < len(tokens) && tokens[j].joinPrev {
			if rest, n, more := wordTens(tokens, j); more {
				value, next = value+rest, n
			}
		}
	}
	return value, next, true
}

// wordTens reads a number below a hundred in words: "seven", "twelve", "forty", "forty-two".
func wordTens(tokens []token, i int) (int64, int, bool) {
	if i >= len(tokens) || tokens[i].number {
		return 0, i, false
	}
	if v, ok := smallNumbers[tokens[i].text]; ok {
		return v, i + 1, true
	}
	tens, ok := tensNumbers[tokens[i].text]
	if !ok {
		return 0, i, false
	}
	if j := i + 1; j < len(tokens) && tokens[j].joinPrev {
		if unit, ok := smallNumbers[tokens[j].text]; ok && unit >= 1 && unit <= 9 {
			return tens + unit, j + 1, true
		}
	}
	return tens, i + 1, true
}

// refusalPattern recognises an answer that declines instead of answering.
var refusalPattern = regexp.MustCompile(`(?i)\b(?:I(?:'m| am) (?:sorry|afraid|unable|not able)|I (?:can(?:no|')t|can not|won't|will not|must decline|do not|don't) (?:help|assist|provide|answer|comply|do that|see|view|process|fulfil|fulfill|share|say|have)|I apologi[sz]e|as an (?:AI|artificial intelligence)|as a (?:large )?language model)\b`)

// refusal returns the refusing phrase of an answer that declines, if it does.
func refusal(text string) (string, bool) {
	m := refusalPattern.FindString(typographic.Replace(text))
	return m, m != ""
}

// hasContent reports whether text has any letter or digit.
func hasContent(text string) bool {
	return strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}
