package certify

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func values(numbers []number) []float64 {
	out := []float64{}
	for _, n := range numbers {
		out = append(out, n.value)
	}
	return out
}

func TestNumbersIn(t *testing.T) {
	tests := []struct {
		text string
		want []float64
	}{
		{"42", []float64{42}},
		{"17 + 25 = 42.", []float64{17, 25, 42}},
		{"The answer is forty-two.", []float64{42}},
		{"Forty Two", []float64{42}},
		{"one two three four five", []float64{1, 2, 3, 4, 5}},
		{"one, two, three", []float64{1, 2, 3}},
		{"twenty one", []float64{21}},
		{"twenty, one", []float64{20, 1}},
		{"three hundred and five", []float64{305}},
		{"two million three thousand and seven", []float64{2_003_007}},
		{"1,000 and 1, 2, 3", []float64{1000, 1, 2, 3}},
		{"1,2,3,4,5,6,", []float64{1, 2, 3, 4, 5, 6}},
		{"-3.5 and +2", []float64{-3.5, 2}},
		{"1-2-3", []float64{1, 2, 3}},
		{"v4 is not a number, but 4 is", []float64{4}},
		{"12×7=84, café42", []float64{12, 7, 84}},
		{"It's 5.", []float64{5}},
		{"none, nothing, someone", []float64{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, values(numbersIn(tt.text))); diff != "" {
			t.Errorf("numbersIn(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestMention(t *testing.T) {
	tests := []struct {
		text              string
		word              string
		found, allNegated bool
	}{
		{"Red", "red", true, false},
		{"The image is RED.", "red", true, false},
		{"blurred", "red", false, false},
		{"An image is required.", "red", false, false},
		{"It is not red.", "red", true, true},
		{"It isn't red.", "red", true, true},
		{"It isn’t red.", "red", true, true},
		{"I won't say banana", "banana", true, true},
		{"Not blue, but red", "red", true, false},
		{"It is red, not blue", "red", true, false},
		{"No, it's red", "red", true, false},
		{"It's not blue; it's red", "red", true, false},
		{"I can't see images, so I cannot say whether it is red.", "red", true, true},
	}
	for _, tt := range tests {
		found, negated := mention(plainText(tt.text), tt.word)
		if found != tt.found || negated != tt.allNegated {
			t.Errorf("mention(%q, %q) = %v, %v; want %v, %v", tt.text, tt.word, found, negated, tt.found, tt.allNegated)
		}
	}
}

func TestPlainTextAndEcho(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**Tokyo**", "Tokyo"},
		{"```\nTokyo\n```", "Tokyo"},
		{"## Answer\n\n> It’s *red*.", "Answer\n\nIt's red."},
		{"- 1\n- 2", "1\n2"},
		{"_Banana_", "Banana"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	req := Request{System: "Be brief.", Messages: []Message{userMessage("What is 17 + 25? Answer with just the number.")}}
	echoes := []struct{ in, want string }{
		{"what is 17  +  25?\nanswer with JUST the number.", "\n"},
		{"What is 17 + 25? It is 42.", " It is 42."},
		{"Be brief. 42", " 42"},
	}
	for _, tt := range echoes {
		if got := judgedText(req, tt.in); got != tt.want {
			t.Errorf("judgedText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRefusal(t *testing.T) {
	for text, want := range map[string]bool{
		"I'm sorry, but I can't help with that request.":       true,
		"As an AI language model, I cannot see images.":        true,
		"I can’t assist with that.":                            true,
		"I apologize, but I'm unable to assist with that.":     true,
		"The capital of Japan is Tokyo.":                       false,
		"I can see a red square.":                              false,
		"Sorry to hear that! You have 5 cats, which is a lot.": false,
	} {
		if _, got := refusal(text); got != want {
			t.Errorf("refusal(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestExtractJSON(t *testing.T) {
	tests := []struct {
		text string
		want string // "" when nothing is extracted
	}{
		{`{"a": 1}`, `{"a": 1}`},
		{"  {\"a\": 1}\n", `{"a": 1}`},
		{"```json\n{\"a\": 1}\n```", `{"a": 1}`},
		{"Here:\n```\n{\"a\": 1}\n```\nDone.", `{"a": 1}`},
		{"```json\n{\"a\": 1}", `{"a": 1}`}, // a fence cut short
		{`{"a": 1} thanks`, ""},
		{"```json\n{\"a\": 1}\n```\n```json\n{}\n```", ""},
		{"no json here", ""},
	}
	for _, tt := range tests {
		got, ok := extractJSON(tt.text)
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("extractJSON(%q) = %q, %v; want %q", tt.text, got, ok, tt.want)
		}
	}
}

var (
	unitNames = strings.Fields("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
	tenNames  = strings.Fields("_ _ twenty thirty forty fifty sixty seventy eighty ninety")
)

// spell writes n in English words, the way people write numbers out ("three hundred and
// five", "two million seven thousand"), recursively.
func spell(n int64) string {
	switch {
	case n < 20:
		return unitNames[n]
	case n < 100 && n%10 == 0:
		return tenNames[n/10]
	case n < 100:
		return tenNames[n/10] + "-" + unitNames[n%10]
	case n < 1000 && n%100 == 0:
		return unitNames[n/100] + " hundred"
	case n < 1000:
		return unitNames[n/100] + " hundred and " + spell(n%100)
	}
	scale, name := int64(1000), "thousand"
	if n >= 1_000_000_000 {
		scale, name = 1_000_000_000, "billion"
	} else if n >= 1_000_000 {
		scale, name = 1_000_000, "million"
	}
	if n%scale == 0 {
		return spell(n/scale) + " " + name
	}
	return spell(n/scale) + " " + name + " " + spell(n%scale)
}

// withSeparators writes n in digits with thousands separators: 1234567 → "1,234,567".
func withSeparators(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// A number written in words reads back as exactly that number.
func TestSpelledNumbersReadBack(t *testing.T) {
	for _, n := range []int64{0, 7, 13, 20, 42, 99, 100, 105, 999, 1000, 1001, 20_000, 123_456, 1_000_000, 987_654_321, 999_999_999_999} {
		if got := values(numbersIn(spell(n))); !cmp.Equal(got, []float64{float64(n)}) {
			t.Errorf("numbersIn(%q) = %v, want [%d]", spell(n), got, n)
		}
	}
}

// Property: a number embedded as its own sentence, in digits, in digits with separators or in
// words of any letter case, is found whatever text surrounds it.
func FuzzNumbersIn(f *testing.F) {
	f.Add(uint64(42), uint8(0), "The answer is", "Hope this helps!")
	f.Add(uint64(84), uint8(2), "12 times 7", "")
	f.Add(uint64(1_234_567), uint8(1), "one hundred", "thousand")
	f.Add(uint64(305), uint8(3), "```", "-")
	f.Fuzz(func(t *testing.T, n uint64, form uint8, prefix, suffix string) {
		v := int64(n % 1_000_000_000_000)
		var rendered string
		switch form % 4 {
		case 0:
			rendered = strconv.FormatInt(v, 10)
		case 1:
			rendered = withSeparators(v)
		case 2:
			rendered = spell(v)
		default:
			rendered = strings.ToUpper(spell(v))
		}
		text := prefix + ". " + rendered + ". " + suffix
		for _, got := range numbersIn(text) {
			if got.value == float64(v) {
				return
			}
		}
		t.Errorf("numbersIn(%q) = %v, lacks %d", text, values(numbersIn(text)), v)
	})
}

// Property: removing fences is idempotent, leaves no fence line, and keeps every other line.
func FuzzRemoveFences(f *testing.F) {
	f.Add("```json\n{\"a\": 1}\n```")
	f.Add("```\n```x```\n```")
	f.Add("text\n  ~~~\nmore")
	f.Fuzz(func(t *testing.T, text string) {
		once := removeFences(text)
		if twice := removeFences(once); twice != once {
			t.Fatalf("not idempotent: %q → %q → %q", text, once, twice)
		}
		var kept []string
		for _, line := range strings.Split(text, "\n") {
			if trimmed := strings.TrimSpace(line); !strings.HasPrefix(trimmed, "```") && !strings.HasPrefix(trimmed, "~~~") {
				kept = append(kept, line)
			}
		}
		if want := strings.Join(kept, "\n"); once != want {
			t.Fatalf("removeFences(%q) = %q, want %q", text, once, want)
		}
	})
}

// Property: what extractJSON returns is valid JSON, and extracting again gives it back.
func FuzzExtractJSON(f *testing.F) {
	f.Add(`{"name": "Ada", "age": 36}`)
	f.Add("Here:\n```json\n[1, 2]\n```\nDone")
	f.Add("```\n```")
	f.Fuzz(func(t *testing.T, text string) {
		doc, ok := extractJSON(text)
		if !ok {
			if doc != nil {
				t.Fatalf("extractJSON(%q) gave %q with ok false", text, doc)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("extractJSON(%q) = %q, not valid JSON", text, doc)
		}
		if again, ok := extractJSON(string(doc)); !ok || string(again) != string(doc) {
			t.Fatalf("extractJSON(%q) = %q, but that extracts as %q, %v", text, doc, again, ok)
		}
	})
}

// Property: valid JSON is found alone, in a fence, and in a fence between lines of prose.
func FuzzExtractJSONFindsFencedJSON(f *testing.F) {
	f.Add(`{"name": "Ada", "age": 36}`, "Here you go:", "Enjoy!")
	f.Add(`[1, 2, 3]`, "", "")
	f.Fuzz(func(t *testing.T, doc, before, after string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		for _, prose := range []string{before, after} {
			for _, line := range strings.Split(prose, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "```") {
					return // prose with fences of its own is another case
				}
			}
		}
		want := strings.TrimSpace(doc)
		for _, text := range []string{doc, "```json\n" + doc + "\n```", before + "\n```\n" + doc + "\n```\n" + after} {
			if got, ok := extractJSON(text); !ok || string(got) != want {
				t.Fatalf("extractJSON(%q) = %q, %v; want %q", text, got, ok, want)
			}
		}
	})
}

// Property: a word stated plainly in a sentence of its own is mentioned and not negated,
// whatever surrounds it; glued inside a longer word it is not mentioned.
func FuzzMention(f *testing.F) {
	f.Add("red", "I can't say.", "Not blue.")
	f.Add("Tokyo", "", "")
	f.Fuzz(func(t *testing.T, word, prefix, suffix string) {
		if word == "" || strings.IndexFunc(word, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
			return
		}
		text := prefix + ". It is " + word + ". " + suffix
		if found, negated := mention(text, word); !found || negated {
			t.Fatalf("mention(%q, %q) = %v, %v; want found and not negated", text, word, found, negated)
		}
		// Glued alone: a frame of other words would collide with words such as "it" or "is".
		glued := "zq" + word + "zq"
		if found, _ := mention(glued+".", word); found && !strings.EqualFold(glued, word) {
			t.Fatalf("mention found %q inside %q", word, glued)
		}
	})
}
