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

// TestSignatureVectors checks the verifier against signatures made elsewhere: AWS's own SigV4
// test suite (get-vanilla), and a request the JavaScript SDK v3 (3.1163.0) sent over cleartext
// HTTP/2, which signs ":authority" instead of "host".
func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, method, host, target, secret, body string
		headers                                  map[string]string
	}{
		{"aws get-vanilla", http.MethodGet, "example.amazonaws.com", "/", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", map[string]string{
			"X-Amz-Date":    "20150830T123600Z",
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		}},
		{"javascript sdk over h2c", http.MethodPost, "127.0.0.1:46233", "/model/us.amazon.nova-lite-v1%3A0/converse", "js-secret",
			// The body is not kept; the signature covers its hash, which the SDK sends.
			strings.Repeat(" ", 93), map[string]string{
				"Amz-Sdk-Invocation-Id": "4caa2fc8-fcb6-4d2f-923f-f51cf24ad6ed",
				"Amz-Sdk-Request":       "attempt=1; max=3",
				"Content-Length":        "93",
				"Content-Type":          "application/json",
				"X-Amz-Content-Sha256":  "3c9150e8b22ea6d0402ed2bd488a1db21a96346464ad038c1cda392db37b201c",
				"X-Amz-Date":            "20261201T161047Z",
				"X-Amz-User-Agent":      "aws-sdk-js/3.1163.0",
				"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDJS/20261201/us-east-1/bedrock/aws4_request, " +
					"SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-user-agent, " +
					"Signature=f0989989ac68a5cc3cd1a531f85ea9cd1bfe39616545301c85bc794f937e4cca",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, secret := range []string{tc.secret, tc.secret + "x"} {
				r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
				r.Host = tc.host
				for k, v := range tc.headers {
					r.Header.Set(k, v)
				}
				sig, apiErr := parseSigV4(r)
				if apiErr != nil {
					t.Fatalf("parse: %s", apiErr.message)
				}
				if got := validSignature(r, sig, secret); got != (secret == tc.secret) {
					t.Fatalf("validSignature with secret %q = %v", secret, got)
				}
			}
		})
	}
}
