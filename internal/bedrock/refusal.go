package bedrock

import (
	"strings"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// Refusal is how Bedrock says, in a ValidationException, that the model lacks a feature the
// request used. Bedrock has no error code for it; the message is the only sign.
type Refusal struct {
	// Phrase is a distinctive part of the message, matched case-insensitively.
	Phrase     string
	Capability certify.Capability
}

// Refusals are the phrasings the Converse API uses, as seen from the real service; more
// specific phrases come first ("tool use in streaming mode" before "tool use").
var Refusals = []Refusal{
	// "This model doesn't support system messages. Try again without a system message or use a
	// model that supports system messages."
	{"doesn't support system messages", certify.CapabilitySystemPrompt},
	// ConverseStream with a toolConfig on a model that takes tools only in Converse (Llama 4,
	// Mistral Large): "This model doesn't support tool use in streaming mode."
	{"doesn't support tool use in streaming mode", certify.CapabilityToolUse},
	// "This model doesn't support tool use."
	{"doesn't support tool use", certify.CapabilityToolUse},
	// "This model doesn't support the toolConfig.toolChoice.tool field. Remove
	// toolConfig.toolChoice.tool and try again." (and the same for toolChoice.any)
	{"doesn't support the toolconfig.toolchoice", certify.CapabilityToolUse},
	// "This model doesn't support the image content block that you provided. Update the content
	// block and try again."
	{"doesn't support the image content block", certify.CapabilityVision},
	// InvokeModelWithResponseStream and ConverseStream on a model without streaming:
	// "The model is unsupported for streaming."
	{"unsupported for streaming", certify.CapabilityStreaming},
}

// UnsupportedFeature reports the capability a ValidationException says the model lacks. Any
// other error, and a ValidationException about the request itself, report false.
func UnsupportedFeature(err error) (certify.Capability, bool) {
	code, message := serviceError(err)
	if code != "ValidationException" {
		return certify.CapabilityNone, false
	}
	// Bedrock's messages have been seen with both the ASCII and the typographic apostrophe.
	message = strings.ToLower(strings.ReplaceAll(message, "’", "'"))
	for _, r := range Refusals {
		if strings.Contains(message, r.Phrase) {
			return r.Capability, true
		}
	}
	return certify.CapabilityNone, false
}
