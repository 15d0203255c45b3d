package bedrock

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// Client is one model in one region, reached through Bedrock (Describe) and Bedrock Runtime
// (Converse, ConverseStream). It is safe for concurrent use.
type Client struct {
	modelID  string
	region   string
	control  *bedrock.Client
	runtime  *bedrockruntime.Client
	attempts *attemptCounter
}

var _ certify.Model = (*Client)(nil)

// New validates the configuration and builds the clients; it makes no request.
func New(ctx context.Context, c Config) (*Client, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("bedrock config: %w", err)
	}
	cfg, err := loadAWSConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	counter := &attemptCounter{}
	endpoint := func(base **string) {
		if c.Endpoint != "" {
			*base = aws.String(c.Endpoint)
		}
	}
	return &Client{
		modelID: c.ModelID,
		region:  c.Region,
		control: bedrock.NewFromConfig(cfg, func(o *bedrock.Options) {
			endpoint(&o.BaseEndpoint)
			o.APIOptions = append(o.APIOptions, counter.addTo)
		}),
		runtime: bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
			endpoint(&o.BaseEndpoint)
			o.APIOptions = append(o.APIOptions, counter.addTo)
		}),
		attempts: counter,
	}, nil
}

// Stats returns the calls made so far and the HTTP attempts they took, retries included.
func (c *Client) Stats() CallStats { return c.attempts.stats() }
