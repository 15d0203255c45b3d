package certify

import (
	"cmp"
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

// knownCapabilities are the capabilities a run establishes, in report order.
var knownCapabilities = []Capability{CapabilityStreaming, CapabilitySystemPrompt, CapabilityToolUse, CapabilityVision}

// CapabilitySource says who established whether a model has a capability.
type CapabilitySource string

// The sources of a capability, strongest first. The service's word beats the control plane's,
// which beats the built-in table; a capability nobody spoke of is assumed and tried.
const (
	// SourceService: the runtime refused a request for lacking the capability, or answered one
	// that used it.
	SourceService CapabilitySource = "service"
	// SourceControlPlane: GetFoundationModel described it (input modalities, streaming).
	SourceControlPlane CapabilitySource = "control-plane"
	// SourceTable: the built-in table of model families, which only saves calls.
	SourceTable CapabilitySource = "table"
	// SourceAssumed: nothing said otherwise, so the checks that need it are tried.
	SourceAssumed CapabilitySource = "assumed"
)

// CapabilityStatus is what a run established about one capability.
type CapabilityStatus struct {
	Name      Capability       `json:"name"`
	Supported bool             `json:"supported"`
	Source    CapabilitySource `json:"source"`
	// Reason is the service's message when it refused a request for lacking the capability.
	Reason string `json:"reason,omitempty"`
}

// Capabilities lists what a run established about each capability, in a fixed order.
type Capabilities []CapabilityStatus

// Supports reports whether the capability is supported or, unknown, still to be tried;
// CapabilityNone always is.
func (c Capabilities) Supports(capability Capability) bool {
	if capability == CapabilityNone {
		return true
	}
	s, ok := c.Lookup(capability)
	return !ok || s.Supported
}

// Lookup returns what is established about a capability.
func (c Capabilities) Lookup(capability Capability) (CapabilityStatus, bool) {
	i := slices.IndexFunc(c, func(s CapabilityStatus) bool { return s.Name == capability })
	if i < 0 {
		return CapabilityStatus{}, false
	}
	return c[i], true
}

// with returns the list with the capability's status replaced (or appended, for a capability
// the service named that the engine does not know). It never modifies c.
func (c Capabilities) with(s CapabilityStatus) Capabilities {
	out := slices.Clone(c)
	if i := slices.IndexFunc(out, func(o CapabilityStatus) bool { return o.Name == s.Name }); i >= 0 {
		out[i] = s
		return out
	}
	return append(out, s)
}

// familyCapabilities is what the family table knows of a family: the capabilities it has, and
// which of the known capabilities it lacks is implied by absence.
type familyCapabilities map[Capability]bool

var everyCapability = familyCapabilities{CapabilityStreaming: true, CapabilitySystemPrompt: true, CapabilityToolUse: true, CapabilityVision: true}

// modelFamilies holds what Bedrock's control plane does not say about a model family, keyed by
// the model id prefix (after any geo prefix of an inference profile). The first match wins. A
// family's absent capability is known missing, and its checks are skipped without a call.
var modelFamilies = []struct {
	prefix       string
	capabilities familyCapabilities
}{
	{"amazon.nova-lite", everyCapability},
	{"amazon.nova-pro", everyCapability},
	{"amazon.nova-micro", familyCapabilities{CapabilityStreaming: true, CapabilitySystemPrompt: true, CapabilityToolUse: true}},
	{"amazon.titan-text", familyCapabilities{CapabilityStreaming: true}},
	// Claude 3 and later: anthropic.claude-3…, then the family-first ids of Claude 4 onwards.
	{"anthropic.claude-3", everyCapability},
	{"anthropic.claude-sonnet-", everyCapability},
	{"anthropic.claude-opus-", everyCapability},
	{"anthropic.claude-haiku-", everyCapability},
}

// geoPrefixes are the leading parts of cross-region inference profile ids (us.amazon.nova-lite-v1:0),
// the same list internal/bedrock strips.
var geoPrefixes = []string{"us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."}

// ResolveCapabilities is what is known of a model's capabilities before any inference call.
// The control plane is trusted for vision and streaming whenever it described the model's
// modalities; otherwise, and for system prompts and tool use, which it never describes, the
// family table speaks for the families it knows. Anything else is assumed and tried: the
// service's refusal, seen by the run, is the final word.
func ResolveCapabilities(info ModelInfo) Capabilities {
	// An application profile's ARN says nothing of its model: look up the model that answers.
	family, known := lookupFamily(cmp.Or(info.FoundationModelID, info.ModelID))
	described := len(info.InputModalities) > 0
	resolved := make(Capabilities, 0, len(knownCapabilities))
	for _, c := range knownCapabilities {
		s := CapabilityStatus{Name: c, Supported: true, Source: SourceAssumed}
		switch {
		case described && c == CapabilityVision:
			s.Supported = slices.ContainsFunc(info.InputModalities, func(m string) bool { return strings.EqualFold(m, "IMAGE") })
			s.Source = SourceControlPlane
		case (described || info.StreamingSupported) && c == CapabilityStreaming:
			// StreamingSupported false means "not said" unless the model was described.
			s.Supported, s.Source = info.StreamingSupported, SourceControlPlane
		case known:
			s.Supported, s.Source = family[c], SourceTable
		}
		resolved = append(resolved, s)
	}
	return resolved
}

// lookupFamily looks a model id up in the family table. It accepts plain ids, inference
// profile ids with a geo prefix, and ARNs of either.
func lookupFamily(modelID string) (familyCapabilities, bool) {
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
	return nil, false
}
