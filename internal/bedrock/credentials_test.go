package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// emptyCredentialChain leaves the SDK's default chain nothing to find: no keys in the
// environment, no shared files, no web identity, no container endpoint. imds is the instance
// metadata endpoint, or "" to disable IMDS as AWS_EC2_METADATA_DISABLED does.
func emptyCredentialChain(t *testing.T, imds string) {
	t.Helper()
	dir := t.TempDir()
	for key, value := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "",
	} {
		t.Setenv(key, value)
	}
	if imds != "" {
		t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
	}
}

// refusingSTS answers every AssumeRole with an STS error, the way STS sends it.
func refusingSTS(t *testing.T, status int, code, message string) {
	t.Helper()
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`+
			`<Code>%s</Code><Message>%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code, message)
	}))
	t.Cleanup(sts.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
}

// TestCredentialFailuresEndThePreflight produces each credential failure for real through the
// SDK and checks that the pre-flight reports AUTHENTICATION_ERROR saying which, with no
// inference call made.
func TestCredentialFailuresEndThePreflight(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/certifier"
	tests := []struct {
		name        string
		setup       func(t *testing.T)
		credentials Credentials
		wantMessage string
	}{
		{"no credentials, IMDS disabled", func(t *testing.T) { emptyCredentialChain(t, "") }, Credentials{},
			"no AWS credentials: the default credential chain found none: access disabled to EC2 IMDS"},
		{"no credentials, IMDS unreachable", func(t *testing.T) { emptyCredentialChain(t, closedPort(t)) }, Credentials{},
			"no AWS credentials: the default credential chain could not reach its source"},
		{"AssumeRole refused", func(t *testing.T) {
			refusingSTS(t, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: "+role)
		}, Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", RoleARN: role},
			"AssumeRole " + role + " refused by STS: AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized"},
		{"AssumeRole of a role that does not exist", func(t *testing.T) {
			// STS does not say that a role is missing: it refuses it like a role one may not assume.
			refusingSTS(t, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/missing")
		}, Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", RoleARN: "arn:aws:iam::123456789012:role/missing"},
			"AssumeRole arn:aws:iam::123456789012:role/missing refused by STS: AccessDenied"},
		{"AssumeRole signed with an unknown key", func(t *testing.T) {
			refusingSTS(t, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}, Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "secret", RoleARN: role},
			"AssumeRole " + role + " refused by STS: InvalidClientTokenId"},
		{"AssumeRole with an expired base token", func(t *testing.T) {
			refusingSTS(t, 400, "ExpiredToken", "The security token included in the request is expired")
		}, Credentials{AccessKeyID: "ASIAEXPIRED", SecretAccessKey: "secret", SessionToken: "old", RoleARN: role},
			"AssumeRole " + role + " refused by STS: ExpiredToken"},
		{"AssumeRole with no base credentials", func(t *testing.T) {
			emptyCredentialChain(t, "")
			refusingSTS(t, 500, "InternalFailure", "must not be reached")
		}, Credentials{RoleARN: role},
			"no AWS credentials: the default credential chain found none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			sim, endpoint := startSim(t)
			const modelID = "amazon.nova-lite-v1:0"
			c := newSimClient(t, endpoint, modelID, func(c *Config) { c.Credentials = tc.credentials })
			report := certify.Run(context.Background(), c, certify.Options{})
			availability := report.Results[0]
			if availability.Name != certify.CheckAvailability || availability.Category != certify.CategoryAuthentication ||
				!strings.Contains(availability.Message, tc.wantMessage) {
				t.Fatalf("availability = %+v, want AUTHENTICATION_ERROR saying %q", availability, tc.wantMessage)
			}
			if got := sim.Calls(modelID); got != (bedrocksim.CallCounts{}) {
				t.Fatalf("the simulator saw %+v, want no call at all", got)
			}
		})
	}
}

// TestClassifyCredentials classifies credential failures as the SDK wraps them.
func TestClassifyCredentials(t *testing.T) {
	sdkWrap := func(err error) error {
		return &smithy.OperationError{ServiceID: "Bedrock", OperationName: "GetFoundationModel",
			Err: fmt.Errorf("get identity: %w", fmt.Errorf("get credentials: %w",
				fmt.Errorf("failed to refresh cached credentials, %w", err)))}
	}
	imdsDisabled := fmt.Errorf("no EC2 IMDS role found, %w", &smithy.OperationError{ServiceID: "ec2imds",
		OperationName: "GetMetadata", Err: errors.New(`access disabled to EC2 IMDS via client option, or "AWS_EC2_METADATA_DISABLED" environment variable`)})
	stsRefused := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}}
	chain := &credentialsError{source: "the default credential chain", err: imdsDisabled}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"chain found none", sdkWrap(chain),
			`no AWS credentials: the default credential chain found none: access disabled to EC2 IMDS via client option, or "AWS_EC2_METADATA_DISABLED" environment variable`},
		{"role refused", sdkWrap(&credentialsError{source: "AssumeRole arn:aws:iam::1:role/r", err: stsRefused}),
			"AssumeRole arn:aws:iam::1:role/r refused by STS: AccessDenied: not authorized to perform: sts:AssumeRole"},
		{"role without base credentials", sdkWrap(&credentialsError{source: "AssumeRole arn:aws:iam::1:role/r",
			err: &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: sdkWrap(chain)}}),
			`no AWS credentials: the default credential chain found none: access disabled to EC2 IMDS via client option, or "AWS_EC2_METADATA_DISABLED" environment variable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.err)
			if got.Category != certify.CategoryAuthentication || got.Message != tc.want || got.Temporary {
				t.Fatalf("Classify = {%s, temporary %v, %q}, want AUTHENTICATION_ERROR %q", got.Category, got.Temporary, got.Message, tc.want)
			}
		})
	}
}

// TestRefusedKeysEndThePreflight signs with keys the simulator, verifying signatures like AWS,
// refuses: the pre-flight says which refusal, and no inference call follows.
func TestRefusedKeysEndThePreflight(t *testing.T) {
	sim := bedrocksim.New(nil, bedrocksim.WithAccessKeys(map[string]string{"AKIDKNOWN": "known-secret"}))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	tests := []struct {
		name        string
		credentials Credentials
		wantMessage string
	}{
		{"unknown access key", Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "known-secret"},
			"unknown access key: The security token included in the request is invalid."},
		{"wrong secret", Credentials{AccessKeyID: "AKIDKNOWN", SecretAccessKey: "wrong-secret"},
			"bad signature (wrong secret key?): The request signature we calculated does not match"},
		{"expired", Credentials{AccessKeyID: bedrocksim.ExpiredAccessKey, SecretAccessKey: "s", SessionToken: "t"},
			"expired credentials: The security token included in the request is expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const modelID = "amazon.nova-micro-v1:0"
			before := sim.Calls(modelID)
			c := newSimClient(t, srv.URL, modelID, func(c *Config) { c.Credentials = tc.credentials })
			report := certify.Run(context.Background(), c, certify.Options{})
			if a := report.Results[0]; a.Category != certify.CategoryAuthentication || !strings.Contains(a.Message, tc.wantMessage) {
				t.Fatalf("availability = %+v, want AUTHENTICATION_ERROR saying %q", a, tc.wantMessage)
			}
			if after := sim.Calls(modelID); after.Converse != before.Converse || after.ConverseStream != before.ConverseStream {
				t.Fatalf("inference calls were made: %+v → %+v", before, after)
			}
		})
	}
	known := newSimClient(t, srv.URL, "amazon.nova-micro-v1:0", func(c *Config) {
		c.Credentials = Credentials{AccessKeyID: "AKIDKNOWN", SecretAccessKey: "known-secret"}
	})
	if _, err := known.Describe(context.Background()); err != nil {
		t.Fatalf("Describe with the known key: %v", err)
	}
}
