package bedrocksim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/smithy-go"
)

func TestRegionOf(t *testing.T) {
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
			got, apiErr := regionOf(r)
			var code string
			if apiErr != nil {
				code = apiErr.code
			}
			if got != tt.wantRegion || code != tt.wantCode {
				t.Errorf("regionOf = %q, %q; want %q, %q", got, code, tt.wantRegion, tt.wantCode)
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
