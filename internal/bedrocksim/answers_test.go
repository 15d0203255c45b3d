package bedrocksim

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func textMessage(role, text string) message {
	return message{Role: role, Content: []contentBlock{{Text: &text}}}
}

func TestAnswerText(t *testing.T) {
	tests := []struct {
		prompt string
		want   string
	}{
		{"Hi", "Hello! How can I help you today?"},
		{"Count from 1 to 5, separated by spaces.", "1 2 3 4 5"},
		{"Count from 1 to 20, separated by commas.", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20"},
		{"Count from 3 to 1.", "3 2 1"},
		{"Say hello in one short sentence.", "Hello, it's nice to meet you!"},
		{"What is 2 + 2? Answer with just the number.", "4"},
		{"What is 6 * 7?", "6 * 7 = 42."},
		{`Return only a JSON object, with no other text, describing a fictional person with keys "name" (a string) and "age" (an integer).`, `{"name": "Ada Lovelace", "age": 36}`},
		{"What is the capital of France?", "The capital of France is Paris."},
	}
	for _, tt := range tests {
		t.Run(tt.prompt, func(t *testing.T) {
			if got := answerText(tt.prompt, []message{textMessage(roleUser, tt.prompt)}); got != tt.want {
				t.Errorf("answerText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAnswerTextShapes(t *testing.T) {
	essay := answerText("Write a long essay about the history of the ocean, at least 500 words.", nil)
	if n := countWords(essay); n < 600 {
		t.Errorf("essay has %d words, want at least 600", n)
	}
	haiku := answerText("Write a haiku about the sea.", nil)
	if lines := strings.Split(haiku, "\n"); len(lines) != 3 || len(haiku) <= 20 {
		t.Errorf("haiku = %q, want three lines", haiku)
	}
	french := answerText(`Répondez en une phrase: what is "naïve café" 🤖 in plain English? Quote: "ok" \ <tag> & done.`, nil)
	if countWords(french) < 5 || !strings.HasSuffix(french, ".") {
		t.Errorf("default answer = %q, want a sentence", french)
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
	p, _ := s.catalog.Persona("amazon.nova-lite-v1:0")
	prompt := "What colour is this image? Answer with one word."
	img := &imageBlock{Format: "png"}
	img.Source.Bytes = solidPNG(t, 220, 10, 10)
	req := &converseRequest{Messages: []message{{Role: roleUser, Content: []contentBlock{{Image: img}, {Text: &prompt}}}}}
	if got := s.answer(p, req).text; got != "Red" {
		t.Errorf("answer = %q, want Red", got)
	}
}

func TestToolInput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{
		"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},
		"count":{"type":"integer"},"ratio":{"type":"number"},"live":{"type":"boolean"},
		"tags":{"type":"array","items":{"type":"string"}},"nested":{"type":"object","properties":{"note":{"type":["string","null"]}}}},
		"required":["location"]}`)
	prompt := "What is the weather in Paris right now?"
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
			if diff := cmp.Diff(tt.want, string(toolInput(schema, prompt, tt.malformed))); diff != "" {
				t.Errorf("toolInput (-want +got):\n%s", diff)
			}
		})
	}
	wrongType := toolInput(json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`), prompt, true)
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
