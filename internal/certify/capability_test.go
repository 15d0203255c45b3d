package certify

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// caps builds a capability list in report order, naming each status, for short tables:
// streaming, system-prompt, tool-use, vision.
func caps(streaming, systemPrompt, toolUse, vision CapabilityStatus) Capabilities {
	streaming.Name, systemPrompt.Name, toolUse.Name, vision.Name = CapabilityStreaming, CapabilitySystemPrompt, CapabilityToolUse, CapabilityVision
	return Capabilities{streaming, systemPrompt, toolUse, vision}
}

var (
	yesCP      = CapabilityStatus{Supported: true, Source: SourceControlPlane}
	noCP       = CapabilityStatus{Source: SourceControlPlane}
	yesTable   = CapabilityStatus{Supported: true, Source: SourceTable}
	noTable    = CapabilityStatus{Source: SourceTable}
	assumed    = CapabilityStatus{Supported: true, Source: SourceAssumed}
	yesService = CapabilityStatus{Supported: true, Source: SourceService}
)

func TestResolveCapabilities(t *testing.T) {
	textOnly := []string{"TEXT"}
	textImage := []string{"TEXT", "IMAGE"}
	allFromTable := caps(yesTable, yesTable, yesTable, yesTable)
	described := caps(yesCP, yesTable, yesTable, yesCP)
	tests := []struct {
		name string
		info ModelInfo
		want Capabilities
	}{
		{"nova lite described", ModelInfo{ModelID: "amazon.nova-lite-v1:0", InputModalities: textImage, StreamingSupported: true}, described},
		{"nova pro described", ModelInfo{ModelID: "amazon.nova-pro-v1:0", InputModalities: []string{"text", "image", "video"}, StreamingSupported: true}, described},
		{"nova lite profile, undescribed", ModelInfo{ModelID: "us.amazon.nova-lite-v1:0"}, allFromTable},
		{"nova pro eu profile", ModelInfo{ModelID: "eu.amazon.nova-pro-v1:0"}, allFromTable},
		{"claude gov profile", ModelInfo{ModelID: "us-gov.anthropic.claude-3-haiku-20240307-v1:0"}, allFromTable},
		{"nova lite apac profile", ModelInfo{ModelID: "apac.amazon.nova-lite-v1:0"}, allFromTable},
		{"nova lite profile arn", ModelInfo{ModelID: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"}, allFromTable},
		{"nova micro", ModelInfo{ModelID: "amazon.nova-micro-v1:0", InputModalities: textOnly, StreamingSupported: true},
			caps(yesCP, yesTable, yesTable, noCP)},
		{"nova micro global profile", ModelInfo{ModelID: "global.amazon.nova-micro-v1:0"},
			caps(yesTable, yesTable, yesTable, noTable)},
		{"titan text", ModelInfo{ModelID: "amazon.titan-text-express-v1", InputModalities: textOnly, StreamingSupported: true},
			caps(yesCP, noTable, noTable, noCP)},
		{"titan text without streaming", ModelInfo{ModelID: "amazon.titan-text-lite-v1", InputModalities: textOnly},
			caps(noCP, noTable, noTable, noCP)},
		{"undescribed, but streaming said", ModelInfo{ModelID: "amazon.titan-text-lite-v1", StreamingSupported: true},
			caps(yesCP, noTable, noTable, noTable)},
		{"claude 3", ModelInfo{ModelID: "anthropic.claude-3-sonnet-20240229-v1:0", InputModalities: textImage, StreamingSupported: true}, described},
		{"application profile arn, its model named", ModelInfo{
			ModelID:           "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simapp0nova1",
			FoundationModelID: "amazon.titan-text-express-v1"}, caps(yesTable, noTable, noTable, noTable)},
		{"claude 3.5 profile", ModelInfo{ModelID: "us.anthropic.claude-3-5-sonnet-20241022-v2:0"}, allFromTable},
		{"claude sonnet 4", ModelInfo{ModelID: "anthropic.claude-sonnet-4-20250514-v1:0", InputModalities: textImage, StreamingSupported: true}, described},
		{"claude text-only per control plane", ModelInfo{ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0", InputModalities: textOnly, StreamingSupported: true},
			caps(yesCP, yesTable, yesTable, noCP)},
		// Families the table does not know: what the control plane said, and everything else tried.
		{"unknown model with image", ModelInfo{ModelID: "acme.vision-1", InputModalities: textImage, StreamingSupported: true},
			caps(yesCP, assumed, assumed, yesCP)},
		{"llama 3, text only", ModelInfo{ModelID: "meta.llama3-8b-instruct-v1:0", InputModalities: textOnly, StreamingSupported: true},
			caps(yesCP, assumed, assumed, noCP)},
		{"unknown text model without streaming", ModelInfo{ModelID: "acme.chat-1", InputModalities: textOnly},
			caps(noCP, assumed, assumed, noCP)},
		{"nothing known", ModelInfo{}, caps(assumed, assumed, assumed, assumed)},
		{"geo prefix only stripped once", ModelInfo{ModelID: "us.eu.amazon.titan-text-express-v1"}, caps(assumed, assumed, assumed, assumed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ResolveCapabilities(tt.info)); diff != "" {
				t.Errorf("ResolveCapabilities(%+v) (-want +got):\n%s", tt.info, diff)
			}
		})
	}
}

func TestCapabilitiesSupports(t *testing.T) {
	c := caps(yesCP, noTable, yesService, CapabilityStatus{Source: SourceService, Reason: "This model doesn't support the image content block that you provided."})
	want := map[Capability]bool{
		CapabilityNone: true, CapabilityStreaming: true, CapabilityToolUse: true,
		CapabilitySystemPrompt: false, CapabilityVision: false,
		// Nothing is known of it, so it is tried.
		Capability("telepathy"): true,
	}
	for capability, supported := range want {
		if got := c.Supports(capability); got != supported {
			t.Errorf("Supports(%q) = %v, want %v", capability, got, supported)
		}
	}
}
