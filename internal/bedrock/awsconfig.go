package bedrock

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// roleSessionName names the STS sessions in CloudTrail when Credentials.SessionName does not,
// so that an audit shows who called the model.
const roleSessionName = "modelcert-operator"

// loadAWSConfig resolves region, credentials and the retryer shared by both Bedrock clients.
// A shared HTTP client (already trusting AWS_CA_BUNDLE) sends every request, STS's included,
// unless Config.HTTPClient is set.
func loadAWSConfig(ctx context.Context, c Config, shared *sharedHTTP) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(c.Region),
		config.WithRetryer(func() aws.Retryer { return newRetryer(c.maxAttempts(), c.MaxBackoff) }),
	}
	if c.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(c.HTTPClient))
	} else if shared != nil {
		opts = append(opts, config.WithHTTPClient(shared.client))
		if shared.caBundle != nil {
			// The bundle as read once; the loader would otherwise read AWS_CA_BUNDLE again.
			opts = append(opts, config.WithCustomCABundle(bytes.NewReader(shared.caBundle)))
		}
	}
	if cr := c.Credentials; cr.static() {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if c.HTTPClient == nil && shared != nil {
		// With a CA bundle the loader replaces the client by a copy with its own transport;
		// the shared one already trusts the bundle.
		cfg.HTTPClient = shared.client
	}
	if !c.Credentials.static() {
		cfg.Credentials = labelledCredentials{source: "the default credential chain", provider: cfg.Credentials}
	}
	if arn := c.Credentials.RoleARN; arn != "" {
		// The base credentials (chain or static) sign the AssumeRole call; the cache refreshes
		// the role's short-lived credentials before they expire.
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = cmp.Or(c.Credentials.SessionName, roleSessionName)
			if id := c.Credentials.ExternalID; id != "" {
				o.ExternalID = aws.String(id)
			}
			for _, k := range slices.Sorted(maps.Keys(c.Credentials.SessionTags)) {
				o.Tags = append(o.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(c.Credentials.SessionTags[k])})
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(labelledCredentials{source: "AssumeRole " + arn, provider: provider})
	}
	return cfg, nil
}

// newRetryer is the SDK's adaptive retryer: on throttling it backs off and also rate-limits
// later attempts client-side, so a throttled model is not hammered by the whole battery.
func newRetryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			if maxBackoff > 0 {
				so.MaxBackoff = maxBackoff
			}
			// A model that is still loading answers ModelNotReadyException; AWS documents it as
			// retryable, but the SDK's defaults do not retry it.
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{
				Codes: map[string]struct{}{"ModelNotReadyException": {}},
			})
		})
	})
}
