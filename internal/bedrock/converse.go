package bedrock

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// Converse sends one request and waits for the whole answer. Latency is measured by the
// client around the call, retries included: it is what a user of the model waits.
func (c *Client) Converse(ctx context.Context, req certify.Request) (certify.Response, error) {
	in, err := newConverseRequest(req)
	if err != nil {
		return certify.Response{}, fmt.Errorf("converse %s: %w", c.modelID, configurationError(err))
	}
	ctx, retries := c.withCallAttempts(ctx)
	start := time.Now()
	out, err := c.sdk.runtime.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:         aws.String(c.modelID),
		System:          in.system,
		Messages:        in.messages,
		InferenceConfig: in.inference,
		ToolConfig:      in.toolConfig,
	}, c.sdk.modelRetryer(c.modelID))
	if err != nil {
		failed := certify.Response{Latency: time.Since(start), Retries: retries()}
		return failed, fmt.Errorf("converse %s: %w", c.modelID, Classify(err))
	}
	resp := certify.Response{
		StopReason: certify.StopReason(out.StopReason),
		Usage:      usage(out.Usage),
		Latency:    time.Since(start),
		Retries:    retries(),
	}
	if msg, ok := out.Output.(*rttypes.ConverseOutputMemberMessage); ok {
		if err := readContent(msg.Value.Content, &resp); err != nil {
			return certify.Response{}, fmt.Errorf("converse %s: %w", c.modelID, err)
		}
	}
	return resp, nil
}

// readContent collects the text and the tool calls of an answer.
func readContent(blocks []rttypes.ContentBlock, resp *certify.Response) error {
	for _, b := range blocks {
		switch b := b.(type) {
		case *rttypes.ContentBlockMemberText:
			resp.Text += b.Value
		case *rttypes.ContentBlockMemberToolUse:
			input, err := toolInput(b.Value)
			if err != nil {
				return err
			}
			resp.ToolUses = append(resp.ToolUses, certify.ToolUse{Name: aws.ToString(b.Value.Name), Input: input})
		}
	}
	return nil
}

// toolInput is the tool call's input as JSON. The model may send input that does not match
// the schema: that is for the checks to judge, so only an undecodable document is an error.
func toolInput(t rttypes.ToolUseBlock) ([]byte, error) {
	if t.Input == nil {
		return nil, nil
	}
	b, err := t.Input.MarshalSmithyDocument()
	if err != nil {
		return nil, fmt.Errorf("tool %s: input: %w", aws.ToString(t.Name), err)
	}
	return b, nil
}

func usage(u *rttypes.TokenUsage) *certify.Usage {
	if u == nil {
		return nil
	}
	return &certify.Usage{
		InputTokens:  int64(aws.ToInt32(u.InputTokens)),
		OutputTokens: int64(aws.ToInt32(u.OutputTokens)),
	}
}

// configurationError marks a request the adapter cannot send as the caller's mistake.
func configurationError(err error) *certify.ModelError {
	return &certify.ModelError{Category: certify.CategoryConfiguration, Message: err.Error(), Err: err}
}
