package certify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"image/png"
	"slices"
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

// secondAnswer is a model answering the battery correctly except that the second consistency
// call gets text instead.
func secondAnswer(text string) *fakeModel {
	calls := 0
	return withAnswer(consistencyRequest.Messages[0].Text, func(r *Response) {
		calls++
		if calls == 2 {
			r.Text = text
		}
	})
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
		japan  = "What is the capital of Japan?"
		times  = "What is 12 times 7? Answer in one short sentence."
		sum    = "What is 17 + 25? Answer with just the number."
		cats   = "Today I adopted 2 more cats. How many cats do I have now? Answer with just the number."
		haiku  = "Write a haiku about the sea."
		colour = "What colour is this image? Answer with one word."
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
		{"basic empty answer", "basic-prompt", withText(japan, "  "), quality, "empty answer"},
		{"basic wrong capital", "basic-prompt", withText(japan, "The capital of Japan is Kyoto."), quality, `lacks "Tokyo"`},
		{"basic wrong stop reason", "basic-prompt", withAnswer(japan, func(r *Response) { r.StopReason = StopMaxTokens }), quality, `stop reason "max_tokens"`},
		{"basic no usage", "basic-prompt", withAnswer(japan, func(r *Response) { r.Usage = nil }), quality, "no token usage"},
		{"basic throttled", "basic-prompt", answering(Response{}, throttled), outcome{CheckFailed, CategoryRateLimit, true}, "too many requests"},
		{"basic unclassified error", "basic-prompt", answering(Response{}, errors.New("boom")), outcome{CheckFailed, CategoryUnknown, true}, "converse: boom"},

		{"streaming passes", "streaming", goodModel(), pass, "time to first token 2ms"},
		{"streaming no delta", "streaming", withStream(func(r *StreamResponse) { r.ContentDeltas = 0 }), quality, "no content delta"},
		{"streaming no messageStop", "streaming", withStream(func(r *StreamResponse) { r.MessageStop = false }), quality, "without messageStop"},
		{"streaming empty deltas", "streaming", withStream(func(r *StreamResponse) { r.Text = "" }), quality, "no text"},
		{"streaming miscounted", "streaming", withStream(func(r *StreamResponse) { r.Text = "1 2 4 5" }), quality, "does not count from 1 to 5"},
		{"streaming error", "streaming", &fakeModel{stream: func(context.Context, Request) (StreamResponse, error) {
			return StreamResponse{}, throttled
		}}, outcome{CheckFailed, CategoryRateLimit, true}, "too many requests"},

		{"parameters passes", "parameters", goodModel(), pass, ""},
		{"parameters empty answer", "parameters", withText(times, ""), quality, "empty answer"},
		{"parameters wrong product", "parameters", withText(times, "12 times 7 is 74."), quality, "answer gives 74, want 84"},

		{"error-handling passes", "error-handling", goodModel(), pass, ""},
		{"error-handling rejected", "error-handling", answering(Response{}, invalid), outcome{CheckFailed, CategoryConfiguration, true}, "malformed input"},

		{"consistency passes", "consistency", goodModel(), pass, ""},
		{"consistency notes differing wording", "consistency", secondAnswer("forty-two"), pass, `same answer, worded differently: "42" then "forty-two"`},
		{"consistency second answer empty", "consistency", secondAnswer(""), quality, "second call: empty answer"},
		{"consistency second answer wrong", "consistency", secondAnswer("17 + 25 = 43"), quality, "second call: answer gives 43, want 42"},
		{"consistency both wrong alike", "consistency", withText(sum, "43"), quality, "first call: answer gives 43, want 42"},

		{"system-prompt passes", "system-prompt", withText("What is the capital of France?", "banana"), pass, ""},
		{"system-prompt ignored", "system-prompt", withText("What is the capital of France?", "Paris"), quality, `not just "BANANA": "Paris"`},
		{"system-prompt refused", "system-prompt", withText("What is the capital of France?", "I won't say banana."), quality, `refused ("I won't say")`},

		{"multi-turn passes", "multi-turn", goodModel(), pass, ""},
		{"multi-turn forgot the first turn", "multi-turn", withText(cats, "You have 2 cats."), quality, "answer gives no number, want 5"},
		{"multi-turn wrong sum", "multi-turn", withText(cats, "6"), quality, "answer gives 6, want 5"},

		{"max-tokens passes", "max-tokens", goodModel(), pass, ""},
		{"max-tokens not cut off", "max-tokens", withAnswer(essay, func(r *Response) { r.StopReason = StopEndTurn }), quality, `stop reason "end_turn"`},
		{"max-tokens too many tokens", "max-tokens", withAnswer(essay, func(r *Response) { r.Usage.OutputTokens = 40 }), quality, "40 output tokens"},
		{"max-tokens zero tokens", "max-tokens", withAnswer(essay, func(r *Response) { r.Usage.OutputTokens = 0 }), quality, "0 output tokens"},
		{"max-tokens empty answer", "max-tokens", withText(essay, ""), quality, "empty answer"},

		{"stop-sequence passes", "stop-sequence", goodModel(), pass, ""},
		{"stop-sequence ran past", "stop-sequence", withText(count, "1, 2, 3, 4, 5, 6, 7, 8"), quality, `contains the stop sequence "7"`},
		{"stop-sequence wrong stop reason", "stop-sequence", withAnswer(count, func(r *Response) { r.StopReason = StopEndTurn }), quality, `stop reason "end_turn"`},
		{"stop-sequence no text before the stop", "stop-sequence", withText(count, ""), quality, "empty answer"},
		{"stop-sequence skipped a number", "stop-sequence", withText(count, "1, 2, 3, 5, 6, "), quality, "does not count from 1 to 6"},

		{"json-output passes", "json-output", goodModel(), pass, ""},
		{"json-output fenced passes", "json-output", withText(person, "```json\n{\"name\": \"Ada\", \"age\": 36.0}\n```\n"), pass, ""},
		{"json-output bare fence passes", "json-output", withText(person, "```\n{\"name\": \"Ada\", \"age\": 36}\n```"), pass, ""},
		{"json-output prose", "json-output", withText(person, "Sure! Here is a person: Ada, 36."), quality, "not a JSON object"},
		{"json-output trailing text", "json-output", withText(person, `{"name": "Ada", "age": 36} Hope this helps!`), quality, "text after the JSON object"},
		{"json-output prose around a fence passes", "json-output", withText(person, "Here you go:\n```json\n{\"name\": \"Ada\", \"age\": 36}\n```\nEnjoy!"), pass, ""},
		{"json-output two fences", "json-output", withText(person, "```json\n{\"name\": \"Ada\", \"age\": 36}\n```\n```json\n{}\n```"), quality, "not a JSON object"},
		{"json-output wrong keys", "json-output", withText(person, `{"fullName": "Ada", "years": 36}`), quality, `"name" is missing or null`},
		{"json-output empty name", "json-output", withText(person, `{"name": " ", "age": 36}`), quality, `"name" is " ", want a non-empty string`},
		{"json-output implausible age", "json-output", withText(person, `{"name": "Ada", "age": 412}`), quality, `"age" is 412, want 0 to 150`},
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
		{"tool-use city with its country", "tool-use", withToolInput(`{"city": "paris, France", "unit": "celsius"}`), pass, ""},
		{"tool-use wrong city", "tool-use", withToolInput(`{"city": "London", "unit": "celsius"}`), quality, `get_weather city is "London", want Paris`},

		{"text-generation passes", "text-generation", goodModel(), pass, ""},
		{"text-generation one line", "text-generation", withText(haiku, "Sea. Blue. Wet."), quality, "no stanza of three short lines"},
		{"text-generation echo", "text-generation", withText(haiku, "Write a haiku about the sea."), quality, "only repeats the prompt"},
		{"text-generation off topic", "text-generation", withText(haiku, "Granite peaks stand still\nsnow hides the narrow pass\neagles own the sky"), quality, "not about the sea"},

		{"vision passes", "vision", goodModel(), pass, ""},
		{"vision wrong colour", "vision", withText(colour, "Blue"), quality, `lacks "red": "Blue"`},
		{"vision red inside a word", "vision", withText(colour, "An image is required."), quality, `lacks "red"`},
		{"vision negated", "vision", withText(colour, "It is not red."), quality, `negates "red"`},
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
		{"answered after retries", "basic-prompt", withAnswer("What is the capital of Japan?", func(r *Response) { r.Retries = 2 }), 2},
		{"gave up after retries", "basic-prompt", answering(Response{Retries: 4}, throttled), 4},
		{"both consistency calls count", "consistency", withAnswer("What is 17 + 25? Answer with just the number.", func(r *Response) { r.Retries = 1 }), 2},
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

// styled is an answer in the manner of one kind of model.
type styled struct {
	style string
	text  string
}

// styledAnswers gives, per check, right answers in the styles of several model families (terse,
// chatty, Markdown, code-fenced, in words) and wrong ones of the same shape. Echoes, refusals
// and a canned paragraph are added to the wrong ones of every check.
var styledAnswers = []struct {
	check string
	right []styled
	wrong []styled
}{
	{"basic-prompt", []styled{
		{"terse", "Tokyo"}, {"terse", "Tokyo."}, {"lower case", "tokyo"}, {"romanised", "Tōkyō"},
		{"chatty", "The capital of Japan is Tokyo. It is also the country's largest city, with over 13 million people."},
		{"hedged", "As an AI, I don't have live data, but the capital of Japan is Tokyo."},
		{"markdown", "**Tokyo** is the capital of Japan."}, {"markdown heading", "## Answer\n\nThe capital of Japan is **Tokyo**."},
		{"fenced", "```\nTokyo\n```"},
	}, []styled{
		{"wrong city", "The capital of Japan is Kyoto."}, {"terse wrong", "Osaka."},
		{"negated", "It is not Tokyo; Kyoto is."}, {"inside a word", "Tokyoites love the capital."},
	}},
	{"streaming", []styled{
		{"terse", "1 2 3 4 5"}, {"chatty", "Sure! Here you go: 1 2 3 4 5"}, {"fenced", "```\n1 2 3 4 5\n```"},
		{"words", "one two three four five"}, {"lines", "1\n2\n3\n4\n5"}, {"markdown list", "- 1\n- 2\n- 3\n- 4\n- 5"},
	}, []styled{{"skips", "1 2 4 5 6"}, {"backwards", "5 4 3 2 1"}}},
	{"parameters", []styled{
		{"terse", "84"}, {"sentence", "12 times 7 is 84."}, {"markdown", "12 × 7 = **84**"},
		{"words", "The answer is eighty-four."}, {"fenced", "```\n84\n```"}, {"restated", "84, because 12 × 7 = 84."},
	}, []styled{{"off by ten", "12 times 7 is 74."}, {"swapped digits", "It's 48."}, {"negated", "It is not 84."}}},
	{"error-handling", []styled{
		{"terse", "Rome."}, {"french", "La capitale de l'Italie est Rome."}, {"italian", "Roma"},
		{"markdown", "The capital of Italy is **Rome**."}, {"chatty", "Sure! The capital of Italy is Rome, a city with nearly three thousand years of history."},
	}, []styled{{"wrong city", "The capital of Italy is Milan."}, {"inside a word", "Romeo and Juliet is set in Verona."}}},
	{"consistency", []styled{
		{"terse", "42"}, {"period", "42."}, {"chatty", "The answer is 42."}, {"equation", "17 + 25 = 42"},
		{"markdown", "**42**"}, {"words", "forty-two"}, {"capitalised words", "Forty Two"}, {"fenced", "```\n42\n```"},
	}, []styled{{"off by one", "43"}, {"wrong equation", "17 + 25 = 43"}, {"negated", "The answer is not 42."}}},
	{"system-prompt", []styled{
		{"terse", "BANANA"}, {"title case", "Banana."}, {"markdown", "**BANANA**"}, {"code", "`BANANA`"}, {"exclaimed", "BANANA!"},
	}, []styled{
		{"ignored", "The capital of France is Paris."}, {"negated", "I won't say banana."},
		{"more than the word", "BANANA. The capital of France is Paris."}, {"another word", "APPLE"},
	}},
	{"multi-turn", []styled{
		{"terse", "5"}, {"sentence", "You now have 5 cats."}, {"markdown", "**5**"}, {"words", "five"},
		{"worked", "You have five cats now: 3 plus 2."},
	}, []styled{{"first turn only", "3"}, {"last turn only", "You have 2 cats."}, {"off by one", "6"}}},
	{"max-tokens", []styled{
		{"plain", "The history of the ocean begins four billion years ago, when"},
		{"markdown", "# The History of the Ocean\n\nThe ocean covers more than seventy percent"},
		{"chatty", "Certainly! Here is an essay on the history of the ocean:"},
	}, nil},
	{"stop-sequence", []styled{
		{"terse", "1, 2, 3, 4, 5, 6, "}, {"chatty", "Sure! Here you go: 1, 2, 3, 4, 5, 6, "},
		{"open fence", "```\n1, 2, 3, 4, 5, 6, "}, {"no spaces", "1,2,3,4,5,6,"}, {"lines", "1\n2\n3\n4\n5\n6\n"},
	}, []styled{{"skips", "1, 2, 3, 5, 6, "}, {"no count", "Here you go: "}}},
	{"json-output", []styled{
		{"terse", `{"name": "Ada Quill", "age": 36}`},
		{"pretty", "{\n  \"name\": \"Ada Quill\",\n  \"age\": 36,\n  \"city\": \"Lyon\"\n}"},
		{"fenced", "```json\n{\"name\": \"Ada Quill\", \"age\": 36}\n```"},
		{"chatty fenced", "Here is a fictional person:\n\n```json\n{\"name\": \"Ada Quill\", \"age\": 36}\n```\n\nLet me know if you need more!"},
	}, []styled{
		{"wrong keys", `{"fullName": "Ada Quill", "years": 36}`}, {"age in words", `{"name": "Ada Quill", "age": "thirty-six"}`},
		{"prose", "Ada Quill is a 36-year-old engineer."}, {"implausible", `{"name": "Ada Quill", "age": 412}`},
	}},
	{"text-generation", []styled{
		{"plain", "Waves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time"},
		{"chatty", "Here's a haiku about the sea:\n\nWaves crash on the shore\nSalt spray dances in the wind\nEndless blue expanse"},
		{"markdown", "**Ocean Haiku**\n\n*Waves fold into foam*\n*salt wind carries gull voices*\n*the tide keeps its time*"},
		{"fenced", "```\nWaves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time\n```"},
		{"slashes", "Waves fold into foam / salt wind carries gull voices / the tide keeps its time"},
	}, []styled{
		{"prose", "The sea is big and blue and I like it very much."},
		{"off topic", "Granite peaks stand still\nsnow hides the narrow pass\neagles own the sky"},
		{"prompt thrice", "Write a haiku about the sea.\nWrite a haiku about the sea.\nWrite a haiku about the sea."},
	}},
	{"vision", []styled{
		{"terse", "Red"}, {"period", "Red."}, {"sentence", "The image is red."}, {"markdown", "**Red**"},
		{"chatty", "It's a solid red square."}, {"hedged", "I can't be fully certain, but it looks red."},
	}, []styled{
		{"wrong colour", "Blue"}, {"inside a word", "blurred"}, {"needs an image", "An image is required to answer."},
		{"negated", "It is not red."}, {"refused", "I can't see images, so I cannot say whether it is red."},
	}},
}

// cannedParagraph is the same answer to every question.
const cannedParagraph = "Thank you for your question! The answer depends on several factors, and I would be glad to explain them in more detail. Let me know if there is anything else I can help you with today."

// failureStyles are answers that must fail every check: the last user message or the whole
// conversation echoed, a polite refusal, a canned paragraph.
func failureStyles(req Request) []styled {
	return []styled{
		{"echo last message", req.Messages[len(req.Messages)-1].Text},
		{"echo conversation", strings.TrimSpace(strings.Join(promptTexts(req), "\n\n"))},
		{"refusal", "I'm sorry, but I can't help with that request."},
		{"as an AI", "As an AI language model, I am unable to provide that information."},
		{"canned", cannedParagraph},
	}
}

// styledModel answers the check's prompt with text, as the check expects it to stop.
func styledModel(check, text string) Model {
	if check == "streaming" {
		return withStream(func(r *StreamResponse) { r.Text = text })
	}
	req := checkRequests[check]
	return withText(req.Messages[len(req.Messages)-1].Text, text)
}

// checkRequests are the requests of the checks that send one text prompt.
var checkRequests = map[string]Request{
	"basic-prompt": basicPromptRequest, "streaming": streamingRequest, "parameters": parametersRequest,
	"error-handling": errorHandlingRequest, "consistency": consistencyRequest, "system-prompt": systemPromptRequest,
	"multi-turn": multiTurnRequest, "max-tokens": maxTokensRequest, "stop-sequence": stopSequenceRequest,
	"json-output": jsonOutputRequest, "text-generation": textGenerationRequest, "vision": visionRequest,
	"tool-use": toolUseRequest,
}

func TestChecksJudgeStyles(t *testing.T) {
	for _, tt := range styledAnswers {
		c := checkNamed(t, tt.check)
		wrong := append(slices.Clone(tt.wrong), failureStyles(checkRequests[tt.check])...)
		if tt.check == "max-tokens" {
			// max-tokens judges the limit, not what the essay says: a canned paragraph cut
			// off at the limit passes it.
			wrong = slices.DeleteFunc(wrong, func(a styled) bool { return a.style == "canned" })
		}
		for _, a := range tt.right {
			t.Run(tt.check+"/passes/"+a.style, func(t *testing.T) {
				if got := c.run(t.Context(), styledModel(tt.check, a.text), checkEnv{Interval: time.Millisecond}); got.Status != CheckPassed {
					t.Errorf("%q: %s %s, want it to pass", a.text, got.Status, got.Message)
				}
			})
		}
		for _, a := range wrong {
			t.Run(tt.check+"/fails/"+a.style, func(t *testing.T) {
				got := c.run(t.Context(), styledModel(tt.check, a.text), checkEnv{Interval: time.Millisecond})
				if got.Status != CheckFailed || got.Category != CategoryQuality {
					t.Errorf("%q: %s %s, want a quality failure", a.text, got.Status, got.Message)
				}
			})
		}
	}
}

// An adversary that answers text only fails tool-use whatever it says.
func TestToolUseFailureStyles(t *testing.T) {
	c := checkNamed(t, "tool-use")
	for _, a := range failureStyles(toolUseRequest) {
		m := withAnswer(toolUseRequest.Messages[0].Text, func(r *Response) {
			r.ToolUses, r.Text, r.StopReason = nil, a.text, StopEndTurn
		})
		if got := c.run(t.Context(), m, checkEnv{}); got.Status != CheckFailed {
			t.Errorf("%s: %s, want failed", a.style, got.Status)
		}
	}
}

// No right answer stands in its prompt: an echo cannot carry it.
func TestPromptsDoNotContainTheirAnswers(t *testing.T) {
	wordAnswers := []struct {
		req  Request
		word []string
	}{
		{basicPromptRequest, basicPromptAnswer}, {errorHandlingRequest, errorHandlingAnswer}, {visionRequest, []string{"red"}},
	}
	for _, w := range wordAnswers {
		for _, text := range promptTexts(w.req) {
			if found, _ := mention(plainText(text), w.word...); found {
				t.Errorf("prompt %q contains its answer %v", text, w.word)
			}
		}
	}
	numbers := []struct {
		req  Request
		want float64
	}{{parametersRequest, parametersAnswer}, {consistencyRequest, consistencyAnswer}, {multiTurnRequest, multiTurnAnswer}}
	for _, n := range numbers {
		for _, text := range promptTexts(n.req) {
			if slices.Contains(values(numbersIn(plainText(text))), n.want) {
				t.Errorf("prompt %q contains its answer %g", text, n.want)
			}
		}
	}
}
