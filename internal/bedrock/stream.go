package bedrock

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// ConverseStream sends one request and reads its event stream to the end. Time to first token
// is measured at the first text delta; latency when the stream ends.
func (c *Client) ConverseStream(ctx context.Context, req certify.Request) (certify.StreamResponse, error) {
	in, err := newConverseRequest(req)
	if err != nil {
		return certify.StreamResponse{}, fmt.Errorf("converse stream %s: %w", c.modelID, configurationError(err))
	}
	ctx, retries := c.withCallAttempts(ctx)
	start := time.Now()
	out, err := c.sdk.runtime.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId:         aws.String(c.modelID),
		System:          in.system,
		Messages:        in.messages,
		InferenceConfig: in.inference,
		ToolConfig:      in.toolConfig,
	}, c.sdk.modelRetryer(c.modelID), ownStreamProtocol)
	if err != nil {
		failed := certify.StreamResponse{Latency: time.Since(start), Retries: retries()}
		return failed, fmt.Errorf("converse stream %s: %w", c.modelID, Classify(err))
	}
	stream := out.GetStream()
	defer stream.Close()

	resp := certify.StreamResponse{Retries: retries()}
	for event := range stream.Events() {
		switch e := event.(type) {
		case *rttypes.ConverseStreamOutputMemberContentBlockDelta:
			if text, ok := e.Value.Delta.(*rttypes.ContentBlockDeltaMemberText); ok {
				if resp.ContentDeltas == 0 {
					resp.TimeToFirstToken = time.Since(start)
				}
				resp.ContentDeltas++
				resp.Text += text.Value
			}
		case *rttypes.ConverseStreamOutputMemberMessageStop:
			resp.MessageStop = true
			resp.StopReason = certify.StopReason(e.Value.StopReason)
		case *rttypes.ConverseStreamOutputMemberMetadata:
			resp.Usage = usage(e.Value.Usage)
		}
	}
	resp.Latency = time.Since(start)
	// The events channel closes on the stream's end, on an error, and on a cancelled context;
	// only Err, and for a cancelled read the missing messageStop, tell them apart.
	err = stream.Err()
	if err == nil && !resp.MessageStop {
		err = ctx.Err()
	}
	if err != nil {
		return resp, fmt.Errorf("converse stream %s: %w", c.modelID, Classify(err))
	}
	return resp, nil
}

// ownStreamProtocol gives a stream a protocol of its own. The SDK's protocol decodes event
// streams through one buffer per client, so two streams of a shared client at once corrupt each
// other (the race detector caught it once runs shared clients).
func ownStreamProtocol(o *bedrockruntime.Options) {
	o.Protocol = restjson1.New(schemas.AmazonBedrockFrontendService)
}
