package bedrock

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// DefaultMaxAttempts is how many times one call is attempted, the first included, when
// Config.MaxAttempts is zero.
const DefaultMaxAttempts = 5

// Config says which model to certify, where, and with which credentials.
type Config struct {
	// ModelID is a foundation model id (amazon.nova-lite-v1:0) or an inference profile id
	// (us.amazon.nova-lite-v1:0).
	ModelID string
	Region  string
	// Endpoint, when set, replaces the Bedrock and Bedrock Runtime endpoints (a VPC endpoint,
	// or the simulator). STS keeps its own endpoint.
	Endpoint    string
	Credentials Credentials
	// MaxAttempts bounds the attempts of one call, retries included; zero means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts; zero keeps the SDK's default (20s). The adaptive
	// retryer's client-side rate limit, which slows calls after throttling, still applies.
	MaxBackoff time.Duration
	// HTTPClient, when set, sends the requests (tests). With a custom CA bundle (AWS_CA_BUNDLE)
	// the SDK requires it to be an *awshttp.BuildableClient.
	HTTPClient aws.HTTPClient
}

// Credentials selects how requests are signed. Empty means the SDK's default chain
// (environment, shared files, web identity, IMDS). Static keys replace the chain;
// RoleARN assumes a role through STS on top of either.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	RoleARN         string
	// ExternalID is sent with AssumeRole when set, for roles whose trust policy requires one.
	ExternalID string
	// SessionName names the assumed-role session (empty: "modelcert-operator") and SessionTags
	// tag it; see ObjectSession.
	SessionName string
	SessionTags map[string]string
}

func (c Config) validate() error {
	var errs []error
	if strings.TrimSpace(c.ModelID) == "" {
		errs = append(errs, errors.New("ModelID is required"))
	}
	return joinLine(append(errs, c.connectionErrors()...))
}

// connectionErrors are what is wrong with the configuration but for the model.
func (c Config) connectionErrors() []error {
	var errs []error
	if strings.TrimSpace(c.Region) == "" {
		errs = append(errs, errors.New("Region is required"))
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("Endpoint %q is not an http(s) URL", c.Endpoint))
		}
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("MaxAttempts %d is negative", c.MaxAttempts))
	}
	if c.MaxBackoff < 0 {
		errs = append(errs, fmt.Errorf("MaxBackoff %s is negative", c.MaxBackoff))
	}
	return append(errs, c.Credentials.validate()...)
}

// joinLine joins errors on one line, so that a command can print them as one.
func joinLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

func (c Credentials) validate() []error {
	var errs []error
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errors.New("Credentials.AccessKeyID and Credentials.SecretAccessKey must be set together"))
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		errs = append(errs, errors.New("Credentials.SessionToken needs Credentials.AccessKeyID and Credentials.SecretAccessKey"))
	}
	if c.RoleARN != "" && (!strings.HasPrefix(c.RoleARN, "arn:") || !strings.Contains(c.RoleARN, ":role/")) {
		errs = append(errs, fmt.Errorf("Credentials.RoleARN %q is not an IAM role ARN", c.RoleARN))
	}
	if c.RoleARN == "" && (c.ExternalID != "" || c.SessionName != "" || len(c.SessionTags) > 0) {
		errs = append(errs, errors.New("Credentials.ExternalID, SessionName and SessionTags need Credentials.RoleARN"))
	}
	if c.SessionName != "" && !sessionNameChars.MatchString(c.SessionName) {
		errs = append(errs, fmt.Errorf("Credentials.SessionName %q is not 2 to 64 of the characters STS allows ([\\w+=,.@-])", c.SessionName))
	}
	return errs
}

func (c Config) maxAttempts() int {
	if c.MaxAttempts == 0 {
		return DefaultMaxAttempts
	}
	return c.MaxAttempts
}

func (c Credentials) static() bool { return c.AccessKeyID != "" }
