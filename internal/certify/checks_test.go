package certify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outcome is the part of a result a check test asserts: latency and wording are checked apart.
type outcome struct {
	Status   CheckStatus
	Category ErrorCategory
	Errored  bool
}

var (
	pass    = outcome{Status: CheckPassed}
	quality = outcome{Status: CheckFailed, Category: CategoryQuality}
)

func checkNamed(t *testing.T, name string) Check {
	t.Helper()
	for _, c := range battery {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return Check{}
}

// withAnswer is a model answering the battery correctly except that prompt gets resp instead.
func withAnswer(prompt string, edit func(*Response)) *fakeModel {
	m := goodModel()
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		resp, err := goodConverse(ctx, req)
		if req.Messages[len(req.Messages)-1].Text == prompt {
			edit(&resp)
		}
		return resp, err
	}
	return m
}

func withText(prompt, text string) *fakeModel {
	return withAnswer(prompt, func(r *Response) { r.Text = text })
}

func withStream(edit func(*StreamResponse)) *fakeModel {
	m := goodModel()
	m.stream = func(ctx context.Context, req Request) (StreamResponse, error) {
		resp, err := goodStream(ctx, req)
		edit(&resp)
		return resp, err
	}
	return m
}

func TestChecks(t *testing.T) {
	throttled := &ModelError{Category: CategoryRateLimit, Temporary: true, Message: "too many requests"}
	invalid := &ModelError{Category: CategoryConfiguration, Message: "malformed input request"}
	const (
		essay  = "Write a long essay about the history of the ocean, at least 500 words."
		count  = "Count from 1 to 20, separated by commas."
		person = `Return only a JSON object, with no other text, describing a fictional person with keys "name" (a string) and "age" (an integer).`
	)
	withToolInput := func(input string) *fakeModel {
		return withAnswer("What is the weather in Paris right now?", func(r *Response) {
			r.ToolUses = []ToolUse{{Name: "get_weather", Input: json.RawMessage(input)}}
		})
	}
	tests := []struct {
		name        string
		check       string
		model       Model
		want        outcome
		wantMessage string
	}{
		{"basic passes", "basic-prompt", goodModel(), pass, ""},
		{"basic empty answer", "basic-prompt", withText("Hi", "  "), quality, "empty answer"},
		{"basic wrong stop reason", "basic-prompt", withAnswer("Hi", func(r *Response) { r.StopReason = StopMaxTokens }), quality, `stop reason "max_tokens"`},
		{"basic no usage", "basic-prompt", withAnswer("Hi", func(r *Response) { r.Usage = nil }), quality, "no token usage"},
		{"basic throttled", "basic-prompt", answering(Response{}, throttled), outcome{CheckFailed, CategoryRateLimit, true}, "too many requests"},
		{"basic unclassified error", "basic-prompt", answering(Response{}, errors.New("boom")), outcome{CheckFailed, CategoryUnknown, true}, "converse: boom"},

		{"streaming passes", "streaming", goodModel(), pass, "time to first token 2ms"},
		{"streaming no delta", "streaming", withStream(func(r *StreamResponse) { r.ContentDeltas = 0 }), quality, "no content delta"},
		{"streaming no messageStop", "streaming", withStream(func(r *StreamResponse) { r.MessageStop = false }), quality, "without messageStop"},
		{"streaming empty deltas", "streaming", withStream(func(r *StreamResponse) { r.Text = "" }), quality, "no text"},
		{"streaming error", "streaming", &fakeModel{stream: func(context.Context, Request) (StreamResponse, error) {
			return StreamResponse{}, throttled
		}}, outcome{CheckFailed, CategoryRateLimit, true}, "too many requests"},

		{"parameters passes", "parameters", goodModel(), pass, ""},
		{"parameters empty answer", "parameters", withText("Say hello in one short sentence.", ""), quality, "empty answer"},

		{"error-handling passes", "error-handling", goodModel(), pass, ""},
		{"error-handling rejected", "error-handling", answering(Response{}, invalid), outcome{CheckFailed, CategoryConfiguration, true}, "malformed input"},

		{"consistency passes", "consistency", goodModel(), pass, ""},
		{"consistency notes differing answers", "consistency", func() Model {
			calls := 0
			return withAnswer("What is 2 + 2? Answer with just the number.", func(r *Response) {
				calls++
				if calls == 2 {
					r.Text = "four"
				}
			})
		}(), pass, `answers differ: "4" then "four"`},
		{"consistency second answer empty", "consistency", func() Model {
			calls := 0
			return withAnswer("What is 2 + 2? Answer with just the number.", func(r *Response) {
				calls++
				if calls == 2 {
					r.Text = ""
				}
			})
		}(), quality, "second call: empty answer"},

		{"system-prompt passes", "system-prompt", withText("What is the capital of France?", "banana"), pass, ""},
		{"system-prompt ignored", "system-prompt", withText("What is the capital of France?", "Paris"), quality, `lacks "BANANA": "Paris"`},

		{"multi-turn passes", "multi-turn", goodModel(), pass, ""},
		{"multi-turn forgot", "multi-turn", withText("What is my name? Answer with just the name.", "I don't know your name."), quality, `lacks "Zephyrine"`},

		{"max-tokens passes", "max-tokens", goodModel(), pass, ""},
		{"max-tokens not cut off", "max-tokens", withAnswer(essay, func(r *Response) { r.StopReason = StopEndTurn }), quality, `stop reason "end_turn"`},
		{"max-tokens too many tokens", "max-tokens", withAnswer(essay, func(r *Response) { r.Usage.OutputTokens = 40 }), quality, "40 output tokens"},
		{"max-tokens zero tokens", "max-tokens", withAnswer(essay, func(r *Response) { r.Usage.OutputTokens = 0 }), quality, "0 output tokens"},
		{"max-tokens empty answer", "max-tokens", withText(essay, ""), quality, "empty answer"},

		{"stop-sequence passes", "stop-sequence", goodModel(), pass, ""},
		{"stop-sequence ran past", "stop-sequence", withText(count, "1, 2, 3, 4, 5, 6, 7, 8"), quality, `contains the stop sequence "7"`},
		{"stop-sequence wrong stop reason", "stop-sequence", withAnswer(count, func(r *Response) { r.StopReason = StopEndTurn }), quality, `stop reason "end_turn"`},

		{"json-output passes", "json-output", goodModel(), pass, ""},
		{"json-output fenced passes", "json-output", withText(person, "```json\n{\"name\": \"Ada\", \"age\": 36.0}\n```\n"), pass, ""},
		{"json-output bare fence passes", "json-output", withText(person, "```\n{\"name\": \"Ada\", \"age\": 36}\n```"), pass, ""},
		{"json-output prose", "json-output", withText(person, "Sure! Here is a person: Ada, 36."), quality, "not a JSON object"},
		{"json-output trailing text", "json-output", withText(person, `{"name": "Ada", "age": 36} Hope this helps!`), quality, "text after the JSON object"},
		{"json-output array", "json-output", withText(person, `[{"name": "Ada", "age": 36}]`), quality, "not a JSON object"},
		{"json-output null", "json-output", withText(person, `null`), quality, "JSON null"},
		{"json-output age as string", "json-output", withText(person, `{"name": "Ada", "age": "36"}`), quality, `"age" is "36", want an integer`},
		{"json-output fractional age", "json-output", withText(person, `{"name": "Ada", "age": 36.5}`), quality, `"age" is 36.5, want an integer`},
		{"json-output missing name", "json-output", withText(person, `{"age": 36}`), quality, `"name" is missing or null`},

		{"tool-use passes", "tool-use", goodModel(), pass, ""},
		{"tool-use no call", "tool-use", withAnswer("What is the weather in Paris right now?", func(r *Response) {
			r.ToolUses, r.Text, r.StopReason = nil, "It is sunny.", StopEndTurn
		}), quality, `no call to get_weather (stop reason "end_turn", 0 tool calls)`},
		{"tool-use unit outside enum", "tool-use", withToolInput(`{"city": "Paris", "unit": "kelvin"}`), quality, "does not match its schema: at '/unit': value must be one of 'celsius', 'fahrenheit'"},
		{"tool-use missing unit", "tool-use", withToolInput(`{"city": "Paris"}`), quality, "does not match its schema: at '': missing property 'unit'"},
		{"tool-use extra property", "tool-use", withToolInput(`{"city": "Paris", "unit": "celsius", "country": "FR"}`), quality, "does not match its schema: at '': additional properties 'country' not allowed"},
		{"tool-use several violations", "tool-use", withToolInput(`{"unit": "kelvin", "x": 1}`), quality, "; at '"},
		{"tool-use input not JSON", "tool-use", withToolInput(`{city: Paris}`), quality, "input is not JSON"},

		{"text-generation passes", "text-generation", goodModel(), pass, ""},
		{"text-generation too short", "text-generation", withText("Write a haiku about the sea.", "Sea. Blue. Wet."), quality, "answer of 15 characters"},

		{"vision passes", "vision", goodModel(), pass, ""},
		{"vision wrong colour", "vision", withText("What colour is this image? Answer with one word.", "Blue"), quality, `lacks "red": "Blue"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkNamed(t, tt.check).run(t.Context(), tt.model, checkEnv{Interval: time.Millisecond})
			if diff := cmp.Diff(tt.want, outcome{got.Status, got.Category, got.Errored}); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nmessage: %q", diff, got.Message)
			}
			if !strings.Contains(got.Message, tt.wantMessage) {
				t.Errorf("message %q, want it to contain %q", got.Message, tt.wantMessage)
			}
		})
	}
}

func TestChecksReportUsageAndLatency(t *testing.T) {
	got := checkNamed(t, "consistency").run(t.Context(), goodModel(), checkEnv{Interval: time.Millisecond})
	want := Result{Status: CheckPassed, Latency: 2 * fakeLatency, Usage: Usage{InputTokens: 20, OutputTokens: 24}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consistency result (-want +got):\n%s", diff)
	}
}

func TestConsistencyWaitsForInterval(t *testing.T) {
	m := goodModel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	got := checkNamed(t, "consistency").run(ctx, m, checkEnv{Interval: time.Hour})
	if diff := cmp.Diff(outcome{CheckFailed, CategoryTimeout, true}, outcome{got.Status, got.Category, got.Errored}); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if n := m.converseCalls.Load(); n != 1 {
		t.Errorf("%d calls, want 1: the second must wait for the interval", n)
	}
}

func TestParametersRequest(t *testing.T) {
	var got Request
	m := &fakeModel{converse: func(ctx context.Context, req Request) (Response, error) {
		got = req
		return goodConverse(ctx, req)
	}}
	checkNamed(t, "parameters").run(t.Context(), m, checkEnv{})
	if got.Temperature == nil || *got.Temperature != 0.5 || got.TopP == nil || *got.TopP != 0.9 || got.MaxTokens == nil || *got.MaxTokens != 64 {
		t.Errorf("temperature %v, topP %v, maxTokens %v; want 0.5, 0.9, 64", got.Temperature, got.TopP, got.MaxTokens)
	}
}

func TestVisionImageIsRedSquare(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(visionRequest.Messages[0].Image))
	if err != nil {
		t.Fatalf("decode vision image: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 16 {
		t.Fatalf("image is %v, want 16×16", b)
	}
	want := color.RGBA{R: 255, A: 255}
	for y := range 16 {
		for x := range 16 {
			if got := color.RGBAModel.Convert(img.At(x, y)); got != want {
				t.Fatalf("pixel (%d,%d) is %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestQuoteAnswer(t *testing.T) {
	long := strings.Repeat("ab", maxQuotedAnswer)
	tests := []struct{ in, want string }{
		{"  Paris\n", `"Paris"`},
		{long, `"` + long[:maxQuotedAnswer] + `"…`},
	}
	for _, tt := range tests {
		if got := quoteAnswer(tt.in); got != tt.want {
			t.Errorf("quoteAnswer(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// Retries the adapter reports reach the result, on answers and on errors, summed over a
// check's calls, so that the rating's resilience sees them.
func TestChecksCarryRetries(t *testing.T) {
	throttled := &ModelError{Category: CategoryRateLimit, Temporary: true, Message: "too many requests"}
	tests := []struct {
		name  string
		check string
		model Model
		want  int
	}{
		{"answered after retries", "basic-prompt", withAnswer("Hi", func(r *Response) { r.Retries = 2 }), 2},
		{"gave up after retries", "basic-prompt", answering(Response{Retries: 4}, throttled), 4},
		{"both consistency calls count", "consistency", withAnswer("What is 2 + 2? Answer with just the number.", func(r *Response) { r.Retries = 1 }), 2},
		{"stream retries", "streaming", withStream(func(r *StreamResponse) { r.Retries = 3 }), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkNamed(t, tt.check).run(t.Context(), tt.model, checkEnv{Interval: time.Millisecond})
			if got.Retries != tt.want {
				t.Errorf("Retries = %d, want %d", got.Retries, tt.want)
			}
		})
	}
}
