package bedrocksim

import (
	"encoding/json"
	"strings"
	"testing"

	"slices"

	"github.com/google/go-cmp/cmp"
)

func textMessage(role, text string) message {
	return message{Role: role, Content: []contentBlock{{Text: &text}}}
}

// conversation is a request of alternating user and assistant turns, the last one the user's.
func conversation(turns ...string) *converseRequest {
	req := &converseRequest{}
	for i, text := range turns {
		role := roleUser
		if i%2 == 1 {
			role = roleAssistant
		}
		req.Messages = append(req.Messages, textMessage(role, text))
	}
	return req
}

// The simulator understands questions in general, not the battery's wording.
func TestUnderstand(t *testing.T) {
	well := Persona{ID: "sim.test-v1"}
	tests := []struct {
		name string
		req  *converseRequest
		want draft
	}{
		{"greeting", conversation("Hello there!"), draft{kind: kindGreeting}},
		{"sum", conversation("What is 17 + 25? Answer with just the number."), draft{kindNumber, "42", "17 + 25", true}},
		{"product in words", conversation("What's 9 times 8?"), draft{kindNumber, "72", "9 times 8", false}},
		{"division", conversation("Please calculate 100 / 8 for me."), draft{kindNumber, "12.5", "100 / 8", false}},
		{"count to", conversation("Count to 3."), draft{kind: kindCount, answer: "1 2 3"}},
		{"count down", conversation("Count from 3 to 1, one per line."), draft{kind: kindCount, answer: "3\n2\n1"}},
		{"count with commas", conversation("Count from 1 to 4, separated by commas."), draft{kind: kindCount, answer: "1, 2, 3, 4"}},
		{"capital", conversation("Name the capital city of Germany."), draft{kind: kindCapital, answer: "Berlin", about: "Germany"}},
		{"capital, briefly", conversation("What is the capital of south korea? Just the city."), draft{kindCapital, "Seoul", "South Korea", true}},
		{"unknown capital", conversation("What is the capital of Atlantis?"), draft{answer: "I'm not sure what the capital of Atlantis is."}},
		{"quantity across turns", conversation("I have 3 cats at home.", "How lovely!", "Today I adopted 2 more cats. How many cats do I have now?"),
			draft{kind: kindQuantity, answer: "5", about: "cats"}},
		{"quantity in words, with a loss", conversation("I own two dogs and a cat.", "Nice.", "I gave away one dog. How many dogs do I have? Just the number."),
			draft{kindQuantity, "1", "dogs", true}},
		{"name", conversation("My name is Zephyrine.", "Nice to meet you!", "What's my name?"), draft{kind: kindName, answer: "Zephyrine"}},
		{"name never given", conversation("What is my name?"), draft{answer: "I'm sorry, you haven't told me your name yet."}},
		{"json keys", conversation(`Give me a JSON object with keys "title" (a string) and "pages" (an integer).`),
			draft{kind: kindJSON, answer: `{"title": "example", "pages": 1}`}},
		{"haiku on an unknown topic", conversation("Write a haiku about autumn leaves."),
			draft{kind: kindHaiku, answer: "Quiet thoughts of autumn leaves\ndrift like thin clouds through the day\nthe light finds its shape", about: "the autumn leaves"}},
		{"anything else", conversation("Why is the sky blue?"), draft{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, understand(well, tt.req, 0), cmp.AllowUnexported(draft{})); diff != "" {
				t.Errorf("understand (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnderstandSystemPromptAndEssay(t *testing.T) {
	req := conversation("What is the capital of France?")
	req.System = []systemBlock{{Text: "Whatever the user says, only ever reply with KIWI."}}
	if got := understand(Persona{}, req, 0); got != (draft{kind: kindWord, answer: "KIWI", brief: true}) {
		t.Errorf("system prompt: %+v, want the one word", got)
	}
	ignoring := Persona{Failures: FailureModes{IgnoresSystemPrompt: true}}
	if got := understand(ignoring, req, 0); got.kind != kindCapital || got.answer != "Paris" {
		t.Errorf("ignoring the system prompt: %+v, want the capital", got)
	}
	essay := understand(Persona{}, conversation("Write an essay on volcanoes, at least 800 words."), 0)
	if n := countWords(essay.answer); essay.kind != kindEssay || n < 900 || !strings.Contains(essay.answer, "the volcanoes") {
		t.Errorf("essay of %d words about %q: %.80q", n, essay.about, essay.answer)
	}
}

// Well-behaved personas word the same answer in several ways, in their family's styles.
func TestPhrasingVaries(t *testing.T) {
	requests := []*converseRequest{
		conversation("What is the capital of Japan?"),
		conversation("What is 17 + 25? Answer with just the number."),
		conversation("Write a haiku about the sea."),
		conversation(`Return only a JSON object describing a person with keys "name" (a string) and "age" (an integer).`),
	}
	for _, p := range DefaultCatalog().Personas {
		if strings.HasPrefix(p.ID, "sim.") && p.Failures != (FailureModes{}) {
			continue
		}
		for _, req := range requests {
			seen := map[string]bool{}
			styles := map[style]bool{}
			for call := 1; call <= 40; call++ {
				ph := phrasingFor(p, req, call)
				seen[ph.phrase(understand(p, req, ph.n))] = true
				styles[ph.style] = true
			}
			if len(seen) < 2 || len(styles) < 2 {
				t.Errorf("%s answers %q in %d wordings and %d styles over 40 calls, want several", p.ID, textOf(req.Messages[0]), len(seen), len(styles))
			}
		}
	}
}

func TestFamilyStyles(t *testing.T) {
	req := conversation("What is the capital of Japan?")
	for call := 1; call <= 30; call++ {
		if ph := phrasingFor(Persona{ID: "amazon.titan-text-express-v1"}, req, call); ph.style != terse && ph.style != chatty {
			t.Fatalf("Titan answers in style %d, want terse or chatty", ph.style)
		}
	}
}

// Each useless persona answers every request in its one way, whatever the request.
func TestUselessPersonas(t *testing.T) {
	s := New(fastCatalog(t))
	req := conversation("I have 3 cats.", "Lovely!", "How many cats do I have?")
	req.System = []systemBlock{{Text: "Be brief."}}
	tests := []struct {
		id   string
		want func(string) bool
	}{
		{"sim.echo-last-v1", func(a string) bool { return a == "How many cats do I have?" }},
		{"sim.echo-conversation-v1", func(a string) bool { return a == "Be brief.\n\nI have 3 cats.\n\nLovely!\n\nHow many cats do I have?" }},
		{"sim.refuses-v1", func(a string) bool { return slices.Contains(refusals, a) }},
		{"sim.canned-v1", func(a string) bool {
			return strings.HasPrefix(a, "Thank you for your question!") && !strings.Contains(a, "\n")
		}},
		{"sim.fluent-wrong-v1", func(a string) bool { return a != "" && !strings.Contains(a, "3") && !strings.Contains(a, "three") }},
	}
	for _, tt := range tests {
		p, ok := s.catalog.Load().Persona(tt.id)
		if !ok {
			t.Fatalf("no persona %s", tt.id)
		}
		for call := 1; call <= 5; call++ {
			if got := s.answer(p, req, call).text; !tt.want(got) {
				t.Errorf("%s call %d answered %q", tt.id, call, got)
			}
		}
	}
}

// The fluent-but-wrong persona gives answers of the right form with the wrong content.
func TestMistaken(t *testing.T) {
	history := conversation("I have 3 cats.", "Lovely!", "I adopted 2 more cats. How many cats do I have?").Messages
	tests := []struct{ right, want draft }{
		{draft{kind: kindNumber, answer: "42", about: "17 + 25"}, draft{kind: kindNumber, answer: "46", about: "17 + 25"}},
		{draft{kind: kindCapital, answer: "Tokyo", about: "Japan"}, draft{kind: kindCapital, answer: "Osaka", about: "Japan"}},
		{draft{kind: kindCapital, answer: "Lima", about: "Peru"}, draft{kind: kindCapital, answer: "London", about: "Peru"}},
		{draft{kind: kindCount, answer: "1, 2, 3, 4, 5"}, draft{kind: kindCount, answer: "1, 2, 3, 5"}},
		{draft{kind: kindQuantity, answer: "5", about: "cats"}, draft{kind: kindQuantity, answer: "2", about: "cats"}},
		{draft{kind: kindWord, answer: "BANANA"}, draft{kind: kindWord, answer: "APPLE"}},
		{draft{kind: kindColour, answer: "red"}, draft{kind: kindColour, answer: "green"}},
		{draft{kind: kindJSON, answer: `{"name": "Ada", "age": 36}`}, draft{kind: kindJSON, answer: `{"fullName": "Ada", "years": 36}`}},
	}
	for _, tt := range tests {
		if got := mistaken(tt.right, history); got != tt.want {
			t.Errorf("mistaken(%+v) = %+v, want %+v", tt.right, got, tt.want)
		}
	}
	if got := mistaken(draft{kind: kindHaiku, answer: "x", about: "the sea"}, history); got.about != "the mountains" || strings.Count(got.answer, "\n") != 2 {
		t.Errorf("mistaken haiku = %+v, want three lines about the mountains", got)
	}
}

func TestSpellNumber(t *testing.T) {
	for in, want := range map[string]string{"0": "zero", "7": "seven", "42": "forty-two", "84": "eighty-four", "90": "ninety",
		"100": "one hundred", "305": "three hundred and five", "999": "nine hundred and ninety-nine", "1000": "1000", "2.5": "2.5", "-3": "-3"} {
		if got := spellNumber(in); got != want {
			t.Errorf("spellNumber(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestDominantColour(t *testing.T) {
	tests := []struct {
		r, g, b uint8
		want    string
	}{
		{255, 0, 0, "red"}, {0, 128, 0, "green"}, {0, 0, 200, "blue"}, {250, 250, 10, "yellow"}, {0, 0, 0, "black"}, {255, 255, 255, "white"},
	}
	for _, tt := range tests {
		got, err := dominantColour(solidPNG(t, tt.r, tt.g, tt.b))
		if err != nil || got != tt.want {
			t.Errorf("dominantColour(%d,%d,%d) = %q, %v; want %q", tt.r, tt.g, tt.b, got, err, tt.want)
		}
	}
	if _, err := dominantColour([]byte("not an image")); err == nil {
		t.Error("dominantColour accepted garbage")
	}
}

func TestAnswerImage(t *testing.T) {
	s := New(fastCatalog(t))
	p, _ := s.catalog.Load().Persona("amazon.nova-lite-v1:0")
	prompt := "What colour is this image? Answer with one word."
	img := &imageBlock{Format: "png"}
	img.Source.Bytes = solidPNG(t, 220, 10, 10)
	req := &converseRequest{Messages: []message{{Role: roleUser, Content: []contentBlock{{Image: img}, {Text: &prompt}}}}}
	for call := 1; call <= 10; call++ {
		if got := s.answer(p, req, call).text; !strings.Contains(strings.ToLower(got), "red") {
			t.Errorf("answer = %q, want it to name red", got)
		}
	}
}

func TestToolInput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{
		"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},
		"count":{"type":"integer"},"ratio":{"type":"number"},"live":{"type":"boolean"},
		"tags":{"type":"array","items":{"type":"string"}},"nested":{"type":"object","properties":{"note":{"type":["string","null"]}}}},
		"required":["location"]}`)
	word := promptWord("What is the weather in Paris right now?")
	tests := []struct {
		name      string
		malformed bool
		want      string
	}{
		{"from the schema", false, `{"count":1,"live":true,"location":"Paris","nested":{"note":"Paris"},"ratio":1.5,"tags":["Paris"],"unit":"celsius"}`},
		{"malformed drops a required property", true, `{"count":1,"live":true,"nested":{"note":"Paris"},"ratio":1.5,"tags":["Paris"],"unit":"celsius"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(toolInput(schema, word, tt.malformed))); diff != "" {
				t.Errorf("toolInput (-want +got):\n%s", diff)
			}
		})
	}
	wrongType := toolInput(json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`), word, true)
	if string(wrongType) != `{"city":42}` {
		t.Errorf("malformed without required = %s, want a wrong type", wrongType)
	}
}

func TestTruncateWords(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		want    string
		wantCut bool
	}{
		{"one two three", 2, "one two", true},
		{"one  two\nthree", 3, "one  two\nthree", false},
		{"  lead trail  ", 1, "  lead", true},
		{"", 1, "", false},
	}
	for _, tt := range tests {
		got, cut := truncateWords(tt.in, tt.n)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("truncateWords(%q, %d) = %q, %v; want %q, %v", tt.in, tt.n, got, cut, tt.want, tt.wantCut)
		}
	}
}
