package bedrock

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// converseRequest is a certify.Request in the SDK's terms; Converse and ConverseStream take
// the same fields.
type converseRequest struct {
	system     []rttypes.SystemContentBlock
	messages   []rttypes.Message
	inference  *rttypes.InferenceConfiguration
	toolConfig *rttypes.ToolConfiguration
}

func newConverseRequest(req certify.Request) (converseRequest, error) {
	var out converseRequest
	if req.System != "" {
		out.system = []rttypes.SystemContentBlock{&rttypes.SystemContentBlockMemberText{Value: req.System}}
	}
	for _, m := range req.Messages {
		out.messages = append(out.messages, message(m))
	}
	if req.MaxTokens != nil || req.Temperature != nil || req.TopP != nil || len(req.StopSequences) > 0 {
		out.inference = &rttypes.InferenceConfiguration{
			MaxTokens:     req.MaxTokens,
			Temperature:   req.Temperature,
			TopP:          req.TopP,
			StopSequences: req.StopSequences,
		}
	}
	tc, err := toolConfig(req.Tools, req.ToolChoice)
	if err != nil {
		return converseRequest{}, err
	}
	out.toolConfig = tc
	return out, nil
}

func message(m certify.Message) rttypes.Message {
	var content []rttypes.ContentBlock
	if len(m.Image) > 0 {
		content = append(content, &rttypes.ContentBlockMemberImage{Value: rttypes.ImageBlock{
			Format: rttypes.ImageFormatPng,
			Source: &rttypes.ImageSourceMemberBytes{Value: m.Image},
		}})
	}
	if m.Text != "" {
		content = append(content, &rttypes.ContentBlockMemberText{Value: m.Text})
	}
	return rttypes.Message{Role: rttypes.ConversationRole(m.Role), Content: content}
}

func toolConfig(tools []certify.Tool, choice string) (*rttypes.ToolConfiguration, error) {
	if len(tools) == 0 {
		if choice != "" {
			return nil, fmt.Errorf("tool choice %q names no declared tool", choice)
		}
		return nil, nil
	}
	tc := &rttypes.ToolConfiguration{}
	for _, t := range tools {
		// The SDK sends documents from Go values, so the schema is decoded first; sent as
		// json.RawMessage it would go out as a byte string.
		var schema any
		if err := json.Unmarshal(t.InputSchema, &schema); err != nil {
			return nil, fmt.Errorf("tool %s: input schema: %w", t.Name, err)
		}
		tc.Tools = append(tc.Tools, &rttypes.ToolMemberToolSpec{Value: rttypes.ToolSpecification{
			Name:        aws.String(t.Name),
			Description: optional(t.Description),
			InputSchema: &rttypes.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
		}})
	}
	if choice != "" {
		tc.ToolChoice = &rttypes.ToolChoiceMemberTool{Value: rttypes.SpecificToolChoice{Name: aws.String(choice)}}
	}
	return tc, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
