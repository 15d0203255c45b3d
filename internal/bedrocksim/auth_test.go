package bedrocksim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

func TestAuthenticateReadsTheScope(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		wantRegion string
		wantCode   string
	}{
		{"sdk style", "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "us-east-1", ""},
		{"other region", "AWS4-HMAC-SHA256 Credential=AKID/20261126/ap-southeast-2/bedrock/aws4_request,SignedHeaders=host,Signature=abc", "ap-southeast-2", ""},
		{"missing", "", "", "UnrecognizedClientException"},
		{"wrong algorithm", "Bearer token", "", "InvalidSignatureException"},
		{"no credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", "", "InvalidSignatureException"},
		{"short scope", "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1, Signature=abc", "", "InvalidSignatureException"},
		{"expired key", "AWS4-HMAC-SHA256 Credential=EXPIRED/20261126/us-east-1/bedrock/aws4_request, Signature=abc", "", "ExpiredTokenException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/foundation-models", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got, apiErr := New(fastCatalog(t)).authenticate(r)
			var code string
			if apiErr != nil {
				code = apiErr.code
			}
			if got != tt.wantRegion || code != tt.wantCode {
				t.Errorf("authenticate = %q, %q; want %q, %q", got, code, tt.wantRegion, tt.wantCode)
			}
		})
	}
}

func TestUnsignedRequestIsRefused(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	resp, err := http.Get(url + "/foundation-models")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("X-Amzn-Errortype"), "UnrecognizedClientException:") {
		t.Errorf("status %d, x-amzn-errortype %q; want 403 UnrecognizedClientException", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
}

func TestExpiredCredentialsSurfaceThroughTheSDK(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := bedrock.NewFromConfig(sdkConfig(t, url, "us-east-1", ExpiredAccessKey))
	_, err := client.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ExpiredTokenException" {
		t.Fatalf("error = %v, want ExpiredTokenException", err)
	}
}

// TestSignaturesAreVerified signs real SDK requests, over HTTP/1.1 and cleartext HTTP/2, with
// paths that need escaping (model ids with ':', profile ARNs with '/'), and checks that only
// the known key with its secret gets through.
func TestSignaturesAreVerified(t *testing.T) {
	_, url := startSim(t, fastCatalog(t), WithAccessKeys(map[string]string{"AKIDKNOWN": "known-secret", "ASIATEMP": "temp-secret"}))
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(h2c.CloseIdleConnections)
	sign := func(key, secret, token string, transport http.RoundTripper) aws.Config {
		cfg := sdkConfig(t, url, "us-east-1", key)
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
		if transport != nil {
			cfg.HTTPClient = &http.Client{Transport: transport}
		}
		return cfg
	}
	tests := []struct {
		name     string
		cfg      aws.Config
		wantCode string
	}{
		{"known key", sign("AKIDKNOWN", "known-secret", "", nil), ""},
		{"known key over h2c", sign("AKIDKNOWN", "known-secret", "", h2c), ""},
		{"session token", sign("ASIATEMP", "temp-secret", "session-token", nil), ""},
		{"unknown key", sign("AKIDUNKNOWN", "known-secret", "", nil), "UnrecognizedClientException"},
		{"wrong secret", sign("AKIDKNOWN", "wrong-secret", "", nil), "InvalidSignatureException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			control, runtime := bedrock.NewFromConfig(tc.cfg), bedrockruntime.NewFromConfig(tc.cfg)
			calls := []func() error{
				func() error {
					_, err := control.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")})
					return err
				},
				func() error {
					_, err := control.GetInferenceProfile(context.Background(), &bedrock.GetInferenceProfileInput{
						InferenceProfileIdentifier: aws.String("arn:aws:bedrock:us-east-1:" + simAccountID + ":inference-profile/us.amazon.nova-lite-v1:0")})
					return err
				},
				func() error {
					_, err := control.ListInferenceProfiles(context.Background(), &bedrock.ListInferenceProfilesInput{MaxResults: aws.Int32(3)})
					return err
				},
				func() error {
					_, err := runtime.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(appProfileARN),
						Messages: []types.Message{userMessage("Say hello.")}})
					return err
				},
			}
			for i, call := range calls {
				err := call()
				var apiErr smithy.APIError
				switch {
				case tc.wantCode == "" && err != nil:
					t.Fatalf("call %d: %v", i, err)
				case tc.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode):
					t.Fatalf("call %d: error = %v, want %s", i, err, tc.wantCode)
				}
			}
		})
	}
}
