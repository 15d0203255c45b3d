package bedrock

import (
	"context"
	"fmt"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// Client is one model in one region, reached through Bedrock (Describe) and Bedrock Runtime
// (Converse, ConverseStream). It is safe for concurrent use.
type Client struct {
	modelID  string
	region   string
	sdk      *sdkClients
	attempts *attemptCounter
}

var _ certify.Model = (*Client)(nil)

// New validates the configuration and returns a client; it makes no request. Clients with the
// same region, endpoint, credentials and retry settings share one AWS configuration, its SDK
// clients and credential cache, and one HTTP transport, so that runs reuse connections (at
// most maxSharedConfigs configurations are kept). A Config with its own HTTPClient shares nothing.
func New(ctx context.Context, c Config) (*Client, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("bedrock config: %w", err)
	}
	sdk, err := sdkFor(ctx, c)
	if err != nil {
		return nil, err
	}
	return &Client{modelID: c.ModelID, region: c.Region, sdk: sdk, attempts: &attemptCounter{}}, nil
}

// Stats returns the calls made so far and the HTTP attempts they took, retries included.
func (c *Client) Stats() CallStats { return c.attempts.stats() }

// sdkFor returns the SDK clients of c: shared with every Config of the same settings, unless c
// brings its own HTTPClient.
func sdkFor(ctx context.Context, c Config) (*sdkClients, error) {
	if c.HTTPClient != nil {
		return newSDKClients(ctx, c, nil)
	}
	return shared.get(ctx, c)
}
