package certify

import (
	"context"
	"encoding/json"
	"time"
)

// Model is what the engine needs from a model provider. internal/bedrock implements it over
// the Bedrock control plane (Describe) and Bedrock Runtime (Converse, ConverseStream).
// Errors returned by a Model should wrap a *ModelError so that CategoryOf can classify them.
type Model interface {
	// Describe returns control-plane facts about the model: lifecycle, modalities,
	// inference types, streaming support and whether this account may invoke it.
	Describe(ctx context.Context) (ModelInfo, error)
	// Converse sends one request and waits for the whole answer.
	Converse(ctx context.Context, req Request) (Response, error)
	// ConverseStream sends one request and consumes the answer as a stream of events.
	ConverseStream(ctx context.Context, req Request) (StreamResponse, error)
}

// ModelInfo is the control plane's description of a model.
type ModelInfo struct {
	ModelID string
	// FoundationModelID is the model that answers: ModelID itself, or the foundation model an
	// inference profile routes to. Modalities, streaming and capabilities are this model's.
	FoundationModelID string
	// InferenceProfileARN is the profile's ARN when ModelID names an inference profile (a
	// geographic id such as us.amazon.nova-lite-v1:0, or a profile ARN); empty otherwise.
	InferenceProfileARN string
	// Lifecycle is the model's lifecycle status: ACTIVE or LEGACY (both usable), or another value.
	Lifecycle string
	// InputModalities and OutputModalities are TEXT, IMAGE, EMBEDDING, ….
	InputModalities  []string
	OutputModalities []string
	// InferenceTypes are ON_DEMAND, PROVISIONED, INFERENCE_PROFILE, ….
	InferenceTypes     []string
	StreamingSupported bool
	// Accessible reports whether this account may invoke the model (its access is granted and
	// the model is offered in the region). When false, AccessError says why.
	Accessible  bool
	AccessError error
}

// Role is the author of a message.
type Role string

// The message roles of the Converse API.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role Role
	Text string
	// Image is an optional PNG sent with the text.
	Image []byte
}

// Tool is a function the model may call, described by a JSON schema of its input.
type Tool struct {
	Name        string
	Description string
	InputSchema json.RawMessage
}

// Request is one Converse call. Nil pointers leave the model's defaults.
type Request struct {
	System        string
	Messages      []Message
	MaxTokens     *int32
	Temperature   *float32
	TopP          *float32
	StopSequences []string
	Tools         []Tool
	// ToolChoice, when set, forces the model to call the named tool.
	ToolChoice string
}

// StopReason says why the model stopped generating.
type StopReason string

// The stop reasons of the Converse API that the checks look at.
const (
	StopEndTurn       StopReason = "end_turn"
	StopMaxTokens     StopReason = "max_tokens"
	StopSequence      StopReason = "stop_sequence"
	StopToolUse       StopReason = "tool_use"
	StopContentFilter StopReason = "content_filtered"
)

// Usage counts the tokens of one call.
type Usage struct {
	InputTokens  int64 `json:"inputTokens"`
	OutputTokens int64 `json:"outputTokens"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{InputTokens: u.InputTokens + o.InputTokens, OutputTokens: u.OutputTokens + o.OutputTokens}
}

// ToolUse is a tool call the model made.
type ToolUse struct {
	Name  string
	Input json.RawMessage
}

// Response is the answer to a Converse call.
type Response struct {
	Text       string
	StopReason StopReason
	ToolUses   []ToolUse
	// Usage is nil when the service reported none.
	Usage   *Usage
	Latency time.Duration
	// Retries counts the attempts beyond the first that the call took (throttling, 5xx); the
	// adapter fills it on errors too. It feeds the rating's resilience.
	Retries int
}

// StreamResponse is the answer to a ConverseStream call, consumed to its end.
type StreamResponse struct {
	Text string
	// ContentDeltas counts the contentBlockDelta events received.
	ContentDeltas int
	// MessageStop reports whether a messageStop event arrived.
	MessageStop      bool
	StopReason       StopReason
	TimeToFirstToken time.Duration
	Usage            *Usage
	Latency          time.Duration
	// Retries counts the attempts beyond the first that opening the stream took.
	Retries int
}
