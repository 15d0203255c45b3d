package bedrocksim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
)

// streamed is what a ConverseStream delivered through the SDK's stream reader.
type streamed struct {
	events     []string
	text       string
	stopReason types.StopReason
	usage      *types.TokenUsage
	err        error
}

func converseStream(t *testing.T, client *bedrockruntime.Client, modelID string, in *bedrockruntime.ConverseStreamInput) streamed {
	t.Helper()
	in.ModelId = aws.String(modelID)
	out, err := client.ConverseStream(context.Background(), in)
	if err != nil {
		t.Fatalf("ConverseStream(%s): %v", modelID, err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var got streamed
	for event := range stream.Events() {
		switch e := event.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			got.events = append(got.events, "messageStart")
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			got.events = append(got.events, "contentBlockDelta")
			if d, ok := e.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				got.text += d.Value
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			got.events = append(got.events, "contentBlockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			got.events = append(got.events, "messageStop")
			got.stopReason = e.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			got.events = append(got.events, "metadata")
			got.usage = e.Value.Usage
		default:
			t.Errorf("unexpected event %T", event)
		}
	}
	got.err = stream.Err()
	return got
}

func TestConverseStreamDeliversDeltas(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "eu-central-1")
	got := converseStream(t, client, "amazon.nova-lite-v1:0", &bedrockruntime.ConverseStreamInput{
		Messages: []types.Message{userMessage("Count from 1 to 20, separated by commas.")},
	})
	if got.err != nil {
		t.Fatalf("stream error: %v", got.err)
	}
	want := "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20"
	if got.text != want {
		t.Errorf("text = %q, want %q", got.text, want)
	}
	deltas := strings.Count(strings.Join(got.events, " "), "contentBlockDelta")
	wantEvents := append(append([]string{"messageStart"}, repeat("contentBlockDelta", deltas)...), "contentBlockStop", "messageStop", "metadata")
	if deltas < 2 {
		t.Errorf("got %d deltas, want several", deltas)
	}
	if diff := cmp.Diff(wantEvents, got.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got.stopReason != types.StopReasonEndTurn {
		t.Errorf("stopReason = %q, want end_turn", got.stopReason)
	}
	if got.usage == nil || aws.ToInt32(got.usage.OutputTokens) != 20 {
		t.Errorf("usage = %+v, want 20 output tokens", got.usage)
	}
	if calls := s.Calls("amazon.nova-lite-v1:0"); calls != (CallCounts{ConverseStream: 1}) {
		t.Errorf("Calls = %+v, want one ConverseStream", calls)
	}
}

func TestConverseStreamMaxTokens(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	got := converseStream(t, client, "amazon.nova-micro-v1:0", &bedrockruntime.ConverseStreamInput{
		Messages:        []types.Message{userMessage("Write a long essay about the history of the ocean, at least 500 words.")},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(7)},
	})
	if got.err != nil || got.stopReason != types.StopReasonMaxTokens || len(strings.Fields(got.text)) != 7 {
		t.Errorf("stream = %q stop %q err %v, want 7 words and max_tokens", got.text, got.stopReason, got.err)
	}
}

func TestConverseStreamExceptionMidStream(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	got := converseStream(t, client, "sim.stream-interrupted-v1", &bedrockruntime.ConverseStreamInput{
		Messages: []types.Message{userMessage("Write a haiku about the sea.")},
	})
	streamErr := asError[*types.ModelStreamErrorException](t, got.err)
	if !strings.Contains(streamErr.ErrorMessage(), "interrupted") {
		t.Errorf("message = %q", streamErr.ErrorMessage())
	}
	if diff := cmp.Diff([]string{"messageStart", "contentBlockDelta"}, got.events); diff != "" {
		t.Errorf("events before the exception (-want +got):\n%s", diff)
	}
}

func TestConverseStreamToolUse(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String("amazon.nova-lite-v1:0"),
		Messages: []types.Message{userMessage("What is the weather in Paris right now?")},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name:        aws.String("get_weather"),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: documentOf(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})},
			}}},
			ToolChoice: &types.ToolChoiceMemberAny{},
		},
	})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var name, input string
	var stop types.StopReason
	for event := range stream.Events() {
		switch e := event.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if start, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				name = aws.ToString(start.Value.Name)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if d, ok := e.Value.Delta.(*types.ContentBlockDeltaMemberToolUse); ok {
				input += aws.ToString(d.Value.Input)
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = e.Value.StopReason
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	if name != "get_weather" || input != `{"city":"Paris"}` || stop != types.StopReasonToolUse {
		t.Errorf("tool use = %q %s stop %q, want get_weather {\"city\":\"Paris\"} tool_use", name, input, stop)
	}
}

func TestConverseStreamErrorsBeforeTheStream(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	_, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("sim.throttled-v1"), Messages: []types.Message{userMessage("Hi")},
	})
	asError[*types.ThrottlingException](t, err)
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// FuzzEventStreamText encodes arbitrary text as deltas and decodes the frames with
// the SDK's decoder: the text must come back unchanged.
func FuzzEventStreamText(f *testing.F) {
	for _, seed := range []string{"", "4", "1, 2, 3, 4, 5", "Waves fold into foam\nsalt wind", "naïve café 🤖", "  spaced  out  ", "tab\tand\u00a0nbsp"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			t.Skip("answers are built from JSON text, so they are always valid UTF-8")
		}
		var buf bytes.Buffer
		events := newEventWriter(&buf)
		for _, chunk := range textDeltas(text) {
			if err := events.event("contentBlockDelta", contentBlockDeltaEvent{Delta: blockDelta{Text: &chunk}}); err != nil {
				t.Fatalf("encode: %v", err)
			}
		}
		decoder := eventstream.NewDecoder()
		var got strings.Builder
		for {
			msg, err := decoder.Decode(&buf, nil)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if h := msg.Headers.Get(":event-type"); h == nil || h.String() != "contentBlockDelta" {
				t.Fatalf("event type header = %v", h)
			}
			var delta contentBlockDeltaEvent
			if err := json.Unmarshal(msg.Payload, &delta); err != nil {
				t.Fatalf("decode payload %q: %v", msg.Payload, err)
			}
			got.WriteString(*delta.Delta.Text)
		}
		if got.String() != text {
			t.Errorf("round trip = %q, want %q", got.String(), text)
		}
	})
}
