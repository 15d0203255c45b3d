package certify

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveCapabilities(t *testing.T) {
	textOnly := []string{"TEXT"}
	textImage := []string{"TEXT", "IMAGE"}
	tests := []struct {
		name string
		info ModelInfo
		want Capabilities
	}{
		{"nova lite described", ModelInfo{ModelID: "amazon.nova-lite-v1:0", InputModalities: textImage, StreamingSupported: true}, allCapabilities},
		{"nova pro described", ModelInfo{ModelID: "amazon.nova-pro-v1:0", InputModalities: []string{"text", "image", "video"}, StreamingSupported: true}, allCapabilities},
		{"nova lite profile, undescribed", ModelInfo{ModelID: "us.amazon.nova-lite-v1:0"}, allCapabilities},
		{"nova pro eu profile", ModelInfo{ModelID: "eu.amazon.nova-pro-v1:0"}, allCapabilities},
		{"claude gov profile", ModelInfo{ModelID: "us-gov.anthropic.claude-3-haiku-20240307-v1:0"}, allCapabilities},
		{"nova lite apac profile", ModelInfo{ModelID: "apac.amazon.nova-lite-v1:0"}, allCapabilities},
		{"nova lite profile arn", ModelInfo{ModelID: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"}, allCapabilities},
		{"nova micro", ModelInfo{ModelID: "amazon.nova-micro-v1:0", InputModalities: textOnly, StreamingSupported: true},
			Capabilities{Streaming: true, SystemPrompt: true, ToolUse: true}},
		{"nova micro global profile", ModelInfo{ModelID: "global.amazon.nova-micro-v1:0"},
			Capabilities{Streaming: true, SystemPrompt: true, ToolUse: true}},
		{"titan text", ModelInfo{ModelID: "amazon.titan-text-express-v1", InputModalities: textOnly, StreamingSupported: true},
			Capabilities{Streaming: true}},
		{"titan text without streaming", ModelInfo{ModelID: "amazon.titan-text-lite-v1", InputModalities: textOnly}, Capabilities{}},
		{"claude 3", ModelInfo{ModelID: "anthropic.claude-3-sonnet-20240229-v1:0", InputModalities: textImage, StreamingSupported: true}, allCapabilities},
		{"claude 3.5 profile", ModelInfo{ModelID: "us.anthropic.claude-3-5-sonnet-20241022-v2:0"}, allCapabilities},
		{"claude sonnet 4", ModelInfo{ModelID: "anthropic.claude-sonnet-4-20250514-v1:0", InputModalities: textImage, StreamingSupported: true}, allCapabilities},
		{"claude text-only per control plane", ModelInfo{ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0", InputModalities: textOnly, StreamingSupported: true},
			Capabilities{Streaming: true, SystemPrompt: true, ToolUse: true}},
		{"unknown model with image", ModelInfo{ModelID: "acme.vision-1", InputModalities: textImage, StreamingSupported: true}, allCapabilities},
		{"unknown text model", ModelInfo{ModelID: "acme.chat-1", InputModalities: textOnly},
			Capabilities{SystemPrompt: true, ToolUse: true}},
		{"nothing known", ModelInfo{}, Capabilities{SystemPrompt: true, ToolUse: true}},
		{"geo prefix only stripped once", ModelInfo{ModelID: "us.eu.amazon.titan-text-express-v1"}, Capabilities{SystemPrompt: true, ToolUse: true}},
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
	c := Capabilities{Streaming: true, ToolUse: true}
	want := map[Capability]bool{
		CapabilityNone: true, CapabilityStreaming: true, CapabilityToolUse: true,
		CapabilitySystemPrompt: false, CapabilityVision: false, Capability("telepathy"): false,
	}
	for capability, supported := range want {
		if got := c.Supports(capability); got != supported {
			t.Errorf("Supports(%q) = %v, want %v", capability, got, supported)
		}
	}
}
