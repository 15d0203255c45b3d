package bedrock

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// credentialsError is a failure to obtain credentials to sign with. The SDK reports such a
// failure only through plain wrapped errors ("get identity: get credentials: failed to refresh
// cached credentials, …"), so the adapter labels its providers' errors with where they came from.
type credentialsError struct {
	// source is where the credentials were to come from: the default chain, or AssumeRole.
	source string
	err    error
}

func (e *credentialsError) Error() string {
	return fmt.Sprintf("get credentials from %s: %v", e.source, e.err)
}

func (e *credentialsError) Unwrap() error { return e.err }

// RetryableError keeps the SDK's retryer from retrying the call: the provider has retried
// what it could (IMDS, STS), and missing credentials do not appear between attempts.
func (e *credentialsError) RetryableError() bool { return false }

// labelledCredentials wraps a provider so that its errors say where they came from.
type labelledCredentials struct {
	source   string
	provider aws.CredentialsProvider
}

func (l labelledCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := l.provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &credentialsError{source: l.source, err: err}
	}
	return creds, nil
}

// credentialsFailure says in a few words why no credentials could be had: STS refused the
// role, the instance metadata service was unreachable, or the chain found none at all.
func credentialsFailure(ce *credentialsError) string {
	// A role's base credentials may have failed first: that is the cause to report.
	var inner *credentialsError
	if errors.As(ce.err, &inner) {
		return credentialsFailure(inner)
	}
	if code, message := serviceError(ce.err); code != "" {
		return fmt.Sprintf("%s refused by STS: %s: %s", ce.source, code, message)
	}
	if text, ok := networkFailure(ce.err); ok {
		return fmt.Sprintf("no AWS credentials: %s could not reach its source: %s", ce.source, text)
	}
	if errors.Is(ce.err, context.DeadlineExceeded) {
		return fmt.Sprintf("no AWS credentials: %s could not reach its source in time", ce.source)
	}
	return fmt.Sprintf("no AWS credentials: %s found none: %s", ce.source, innermost(ce.err).Error())
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
