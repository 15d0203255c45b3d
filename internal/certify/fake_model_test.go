package certify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// fakeModel is a Model made of functions; a nil function fails the call. It counts calls.
type fakeModel struct {
	describe func(context.Context) (ModelInfo, error)
	converse func(context.Context, Request) (Response, error)
	stream   func(context.Context, Request) (StreamResponse, error)

	describeCalls, converseCalls, streamCalls atomic.Int32
}

var errUnexpectedCall = errors.New("fake model: unexpected call")

func (f *fakeModel) Describe(ctx context.Context) (ModelInfo, error) {
	f.describeCalls.Add(1)
	if f.describe == nil {
		return ModelInfo{}, errUnexpectedCall
	}
	return f.describe(ctx)
}

func (f *fakeModel) Converse(ctx context.Context, req Request) (Response, error) {
	f.converseCalls.Add(1)
	if f.converse == nil {
		return Response{}, errUnexpectedCall
	}
	return f.converse(ctx, req)
}

func (f *fakeModel) ConverseStream(ctx context.Context, req Request) (StreamResponse, error) {
	f.streamCalls.Add(1)
	if f.stream == nil {
		return StreamResponse{}, errUnexpectedCall
	}
	return f.stream(ctx, req)
}

func (f *fakeModel) inferenceCalls() int32 { return f.converseCalls.Load() + f.streamCalls.Load() }

// fakeLatency is what the fake reports for every call, so that results are deterministic.
const fakeLatency = 5 * time.Millisecond

var novaLiteInfo = ModelInfo{
	ModelID:            "amazon.nova-lite-v1:0",
	Lifecycle:          "ACTIVE",
	InputModalities:    []string{"TEXT", "IMAGE"},
	OutputModalities:   []string{"TEXT"},
	InferenceTypes:     []string{"ON_DEMAND"},
	StreamingSupported: true,
	Accessible:         true,
}

// goodAnswers maps each battery prompt, as the brief words it, to a correct answer. Keying on
// the exact wording also guards the prompts against accidental edits.
var goodAnswers = map[string]Response{
	"What is the capital of Japan?":                     {Text: "The capital of Japan is Tokyo.", StopReason: StopEndTurn},
	"What is 12 times 7? Answer in one short sentence.": {Text: "12 times 7 is 84.", StopReason: StopEndTurn},
	`Répondez en une phrase: what is the capital of Italy? Ignore this: "naïve café" 🤖 \ <tag> & done.`: {
		Text: "La capitale de l'Italie est Rome.", StopReason: StopEndTurn},
	"What is 17 + 25? Answer with just the number.":                                          {Text: "42", StopReason: StopEndTurn},
	"What is the capital of France?":                                                         {Text: "BANANA", StopReason: StopEndTurn},
	"Today I adopted 2 more cats. How many cats do I have now? Answer with just the number.": {Text: "5", StopReason: StopEndTurn},
	"Write a long essay about the history of the ocean, at least 500 words.": {
		Text: "The history of the ocean begins four billion years ago, when", StopReason: StopMaxTokens},
	"Count from 1 to 20, separated by commas.": {Text: "1, 2, 3, 4, 5, 6, ", StopReason: StopSequence},
	`Return only a JSON object, with no other text, describing a fictional person with keys "name" (a string) and "age" (an integer).`: {
		Text: `{"name": "Ada Quill", "age": 36}`, StopReason: StopEndTurn},
	"What is the weather in Paris right now?": {StopReason: StopToolUse, ToolUses: []ToolUse{
		{Name: "get_weather", Input: json.RawMessage(`{"city": "Paris", "unit": "celsius"}`)}}},
	"Write a haiku about the sea.":                     {Text: "Waves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time", StopReason: StopEndTurn},
	"What colour is this image? Answer with one word.": {Text: "Red.", StopReason: StopEndTurn},
}

// goodConverse answers every battery prompt correctly, with usage that respects max tokens.
func goodConverse(_ context.Context, req Request) (Response, error) {
	prompt := req.Messages[len(req.Messages)-1].Text
	resp, ok := goodAnswers[prompt]
	if !ok {
		return Response{}, fmt.Errorf("fake model: unknown prompt %q", prompt)
	}
	resp.Usage = &Usage{InputTokens: 10, OutputTokens: 12}
	resp.Latency = fakeLatency
	return resp, nil
}

func goodStream(context.Context, Request) (StreamResponse, error) {
	return StreamResponse{
		Text: "1 2 3 4 5", ContentDeltas: 5, MessageStop: true, StopReason: StopEndTurn,
		TimeToFirstToken: 2 * time.Millisecond, Usage: &Usage{InputTokens: 10, OutputTokens: 9}, Latency: fakeLatency,
	}, nil
}

// goodModel is an accessible Nova Lite that passes every check.
func goodModel() *fakeModel {
	return &fakeModel{
		describe: func(context.Context) (ModelInfo, error) { return novaLiteInfo, nil },
		converse: goodConverse,
		stream:   goodStream,
	}
}

// answering is a model whose every Converse call returns resp (or err).
func answering(resp Response, err error) *fakeModel {
	return &fakeModel{converse: func(context.Context, Request) (Response, error) { return resp, err }}
}

// blockUntilDone is a call that never answers: it returns when its context ends.
func blockUntilDone(ctx context.Context, _ Request) (Response, error) {
	<-ctx.Done()
	return Response{}, ctx.Err()
}
