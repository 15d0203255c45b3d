package certify

import (
	"slices"
	"strings"
)

// Capability is an optional feature of a model that some checks need.
type Capability string

// The capabilities checks may need. CapabilityNone means the check runs on every model.
const (
	CapabilityNone         Capability = ""
	CapabilityStreaming    Capability = "streaming"
	CapabilitySystemPrompt Capability = "system-prompt"
	CapabilityToolUse      Capability = "tool-use"
	CapabilityVision       Capability = "vision"
)

// Capabilities says which optional features a model supports.
type Capabilities struct {
	Streaming    bool `json:"streaming"`
	SystemPrompt bool `json:"systemPrompt"`
	ToolUse      bool `json:"toolUse"`
	Vision       bool `json:"vision"`
}

// Supports reports whether the capability is supported; CapabilityNone always is.
func (c Capabilities) Supports(capability Capability) bool {
	switch capability {
	case CapabilityStreaming:
		return c.Streaming
	case CapabilitySystemPrompt:
		return c.SystemPrompt
	case CapabilityToolUse:
		return c.ToolUse
	case CapabilityVision:
		return c.Vision
	}
	return capability == CapabilityNone
}

var allCapabilities = Capabilities{Streaming: true, SystemPrompt: true, ToolUse: true, Vision: true}

// modelFamilies holds what Bedrock's control plane does not say about a model family, keyed by
// the model id prefix (after any geo prefix of an inference profile). The first match wins.
var modelFamilies = []struct {
	prefix       string
	capabilities Capabilities
}{
	{"amazon.nova-lite", allCapabilities},
	{"amazon.nova-pro", allCapabilities},
	{"amazon.nova-micro", Capabilities{Streaming: true, SystemPrompt: true, ToolUse: true}},
	{"amazon.titan-text", Capabilities{Streaming: true}},
	// Claude 3 and later: anthropic.claude-3…, then the family-first ids of Claude 4 onwards.
	{"anthropic.claude-3", allCapabilities},
	{"anthropic.claude-sonnet-", allCapabilities},
	{"anthropic.claude-opus-", allCapabilities},
	{"anthropic.claude-haiku-", allCapabilities},
}

// geoPrefixes are the leading parts of cross-region inference profile ids (us.amazon.nova-lite-v1:0),
// the same list internal/bedrock strips.
var geoPrefixes = []string{"us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."}

// ResolveCapabilities combines the control plane's description of a model with the built-in
// family table. The control plane is trusted for vision and streaming whenever it described
// the model's modalities; the table only stands in when it did not (a thinly described
// inference profile). System prompts and tool use come from the table, and are assumed
// supported for models the table does not know.
func ResolveCapabilities(info ModelInfo) Capabilities {
	known, ok := familyCapabilities(info.ModelID)
	resolved := Capabilities{SystemPrompt: true, ToolUse: true}
	if ok {
		resolved.SystemPrompt, resolved.ToolUse = known.SystemPrompt, known.ToolUse
	}
	described := len(info.InputModalities) > 0
	switch {
	case described:
		resolved.Vision = slices.ContainsFunc(info.InputModalities, func(m string) bool { return strings.EqualFold(m, "IMAGE") })
		resolved.Streaming = info.StreamingSupported
	case ok:
		resolved.Vision, resolved.Streaming = known.Vision, known.Streaming || info.StreamingSupported
	default:
		resolved.Streaming = info.StreamingSupported
	}
	return resolved
}

// familyCapabilities looks a model id up in the family table. It accepts plain ids, inference
// profile ids with a geo prefix, and ARNs of either.
func familyCapabilities(modelID string) (Capabilities, bool) {
	id := strings.ToLower(modelID)
	if i := strings.LastIndex(id, "/"); i >= 0 {
		id = id[i+1:]
	}
	for _, geo := range geoPrefixes {
		if rest, found := strings.CutPrefix(id, geo); found {
			id = rest
			break
		}
	}
	for _, family := range modelFamilies {
		if strings.HasPrefix(id, family.prefix) {
			return family.capabilities, true
		}
	}
	return Capabilities{}, false
}
