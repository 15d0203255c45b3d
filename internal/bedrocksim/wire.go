package bedrocksim

import "encoding/json"

// The JSON shapes of the Converse and ConverseStream APIs, limited to the members
// the simulator reads or writes. Unknown request members are ignored, like the SDK
// ignores unknown response members.

type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []systemBlock    `json:"system,omitempty"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitempty"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

const (
	roleUser      = "user"
	roleAssistant = "assistant"
)

type contentBlock struct {
	Text       *string          `json:"text,omitempty"`
	Image      *imageBlock      `json:"image,omitempty"`
	ToolUse    *toolUseBlock    `json:"toolUse,omitempty"`
	ToolResult *toolResultBlock `json:"toolResult,omitempty"`
}

type imageBlock struct {
	Format string `json:"format"`
	Source struct {
		Bytes []byte `json:"bytes"`
	} `json:"source"`
}

type toolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
}

type toolResultContent struct {
	Text *string         `json:"text,omitempty"`
	JSON json.RawMessage `json:"json,omitempty"`
}

type systemBlock struct {
	Text string `json:"text"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitempty"`
}

// choiceField names the toolChoice member that forces a tool call ("any" or "tool"), empty
// when the model may choose (auto, or no toolChoice).
func (c *toolConfig) choiceField() string {
	switch {
	case c == nil || c.ToolChoice == nil:
		return ""
	case c.ToolChoice.Any != nil:
		return "any"
	case c.ToolChoice.Tool != nil:
		return "tool"
	}
	return ""
}

type tool struct {
	ToolSpec *toolSpec `json:"toolSpec,omitempty"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

type toolChoice struct {
	Auto *struct{} `json:"auto,omitempty"`
	Any  *struct{} `json:"any,omitempty"`
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool,omitempty"`
}

type converseResponse struct {
	Output struct {
		Message message `json:"message"`
	} `json:"output"`
	StopReason string  `json:"stopReason"`
	Usage      usage   `json:"usage"`
	Metrics    metrics `json:"metrics"`
}

const (
	stopEndTurn      = "end_turn"
	stopToolUse      = "tool_use"
	stopMaxTokens    = "max_tokens"
	stopStopSequence = "stop_sequence"
)

type usage struct {
	InputTokens  int `json:"inputTokens"`
	OutputTokens int `json:"outputTokens"`
	TotalTokens  int `json:"totalTokens"`
}

type metrics struct {
	LatencyMs int64 `json:"latencyMs"`
}

// Stream event payloads; each is the body of one event-stream message whose
// :event-type header names it.

type messageStartEvent struct {
	Role string `json:"role"`
}

type contentBlockStartEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse *toolUseStart `json:"toolUse,omitempty"`
	} `json:"start"`
}

type toolUseStart struct {
	ToolUseID string `json:"toolUseId"`
	Name      string `json:"name"`
}

type contentBlockDeltaEvent struct {
	ContentBlockIndex int        `json:"contentBlockIndex"`
	Delta             blockDelta `json:"delta"`
}

type blockDelta struct {
	Text    *string       `json:"text,omitempty"`
	ToolUse *toolUseDelta `json:"toolUse,omitempty"`
}

type toolUseDelta struct {
	Input string `json:"input"`
}

type contentBlockStopEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
}

type messageStopEvent struct {
	StopReason string `json:"stopReason"`
}

type metadataEvent struct {
	Usage   usage   `json:"usage"`
	Metrics metrics `json:"metrics"`
}
