package bedrock

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

func TestUnsupportedFeature(t *testing.T) {
	validation := func(message string) error {
		return asReturned(400, &rttypes.ValidationException{Message: aws.String(message)})
	}
	tests := []struct {
		name string
		err  error
		want certify.Capability
	}{
		{"system messages", validation("This model doesn't support system messages. Try again without a system message or use a model that supports system messages."), certify.CapabilitySystemPrompt},
		{"tool use", validation("This model doesn't support tool use."), certify.CapabilityToolUse},
		{"tool use in streaming mode", validation("This model doesn't support tool use in streaming mode."), certify.CapabilityToolUse},
		{"tool choice tool", validation("This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again."), certify.CapabilityToolUse},
		{"tool choice any", validation("This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again."), certify.CapabilityToolUse},
		{"image", validation("This model doesn't support the image content block that you provided. Update the content block and try again."), certify.CapabilityVision},
		{"streaming", validation("The model is unsupported for streaming."), certify.CapabilityStreaming},
		{"typographic apostrophe", validation("This model doesn’t support tool use."), certify.CapabilityToolUse},
		{"generic code", generic("ValidationException", "This model doesn't support system messages."), certify.CapabilitySystemPrompt},
		// Refusals of the request itself, or other codes with a similar text, are not capabilities.
		{"bad request", validation("A conversation must start with a user message. Try again with a conversation that starts with a user message."), certify.CapabilityNone},
		{"invalid model id", validation("The provided model identifier is invalid."), certify.CapabilityNone},
		// No check sends documents, so there is no capability for them.
		{"documents", validation("This model doesn't support documents."), certify.CapabilityNone},
		{"access denied", asReturned(403, &rttypes.AccessDeniedException{Message: aws.String("This model doesn't support tool use.")}), certify.CapabilityNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := UnsupportedFeature(tc.err)
			if got != tc.want || ok != (tc.want != certify.CapabilityNone) {
				t.Fatalf("UnsupportedFeature = %q, %v; want %q", got, ok, tc.want)
			}
			me := Classify(tc.err)
			if me.Unsupported != tc.want {
				t.Fatalf("Classify().Unsupported = %q, want %q", me.Unsupported, tc.want)
			}
			if tc.want != certify.CapabilityNone && (me.Category != certify.CategoryConfiguration || me.Temporary) {
				t.Fatalf("Classify() = {%s, temporary %v}, want a CONFIGURATION_ERROR", me.Category, me.Temporary)
			}
		})
	}
}
