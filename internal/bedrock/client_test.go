package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/google/go-cmp/cmp"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	cptypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// startSim serves the default catalog; requests hold at most 2s for the never-answering persona.
func startSim(t *testing.T) (*bedrocksim.Server, string) {
	t.Helper()
	sim := bedrocksim.New(nil, bedrocksim.WithHoldLimit(2*time.Second))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func newSimClient(t *testing.T, endpoint, modelID string, edits ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		ModelID:     modelID,
		Region:      "us-east-1",
		Endpoint:    endpoint,
		Credentials: Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
		MaxBackoff:  20 * time.Millisecond,
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestNewValidatesConfig(t *testing.T) {
	valid := Config{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1"}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no model", func(c *Config) { c.ModelID = " " }, "ModelID is required"},
		{"no region", func(c *Config) { c.Region = "" }, "Region is required"},
		{"relative endpoint", func(c *Config) { c.Endpoint = "localhost:8080" }, "Endpoint"},
		{"ftp endpoint", func(c *Config) { c.Endpoint = "ftp://example.com" }, "Endpoint"},
		{"key without secret", func(c *Config) { c.Credentials.AccessKeyID = "AKID" }, "Credentials.SecretAccessKey"},
		{"token without keys", func(c *Config) { c.Credentials.SessionToken = "t" }, "Credentials.SessionToken"},
		{"not a role", func(c *Config) { c.Credentials.RoleARN = "arn:aws:iam::123456789012:user/u" }, "Credentials.RoleARN"},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }, "MaxAttempts"},
		{"negative backoff", func(c *Config) { c.MaxBackoff = -time.Second }, "MaxBackoff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			_, err := New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	sim, endpoint := startSim(t)
	tests := []struct {
		modelID        string
		wantAccessible bool
		wantCategory   certify.ErrorCategory // of AccessError, or of the error when wantErr
		wantErr        bool
		wantLifecycle  string
		wantImage      bool
	}{
		{modelID: "amazon.nova-lite-v1:0", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "us.amazon.nova-lite-v1:0", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "amazon.titan-text-express-v1", wantAccessible: true, wantLifecycle: "LEGACY"},
		{modelID: "sim.access-denied-v1", wantCategory: certify.CategoryPermission, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "sim.no-model-access-v1", wantCategory: certify.CategoryProvisioningRequired, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "sim.inference-profile-v1", wantCategory: certify.CategoryConfiguration, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "us.sim.inference-profile-v1", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simapp0nova1", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", wantAccessible: true, wantLifecycle: "ACTIVE", wantImage: true},
		{modelID: "sim.wrong-region-v1", wantErr: true, wantCategory: certify.CategoryUnavailable},
		{modelID: "sim.eu-only-v1", wantErr: true, wantCategory: certify.CategoryUnavailable},
		{modelID: "eu.sim.eu-only-v1", wantErr: true, wantCategory: certify.CategoryUnavailable},
		{modelID: "eu.amazon.nova-lite-v1:0", wantErr: true, wantCategory: certify.CategoryUnavailable},
		{modelID: "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-lite-v1:0", wantErr: true, wantCategory: certify.CategoryUnavailable},
		{modelID: "no.such-model-v1", wantErr: true, wantCategory: certify.CategoryUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.modelID, func(t *testing.T) {
			info, err := newSimClient(t, endpoint, tc.modelID).Describe(context.Background())
			if tc.wantErr {
				if got := certify.CategoryOf(err); got != tc.wantCategory {
					t.Fatalf("Describe error = %v (category %s), want category %s", err, got, tc.wantCategory)
				}
				return
			}
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if info.ModelID != tc.modelID || info.Accessible != tc.wantAccessible ||
				certify.CategoryOf(info.AccessError) != tc.wantCategory || info.Lifecycle != tc.wantLifecycle {
				t.Fatalf("Describe = %+v, want id %s, accessible %v, access error %s, lifecycle %s",
					info, tc.modelID, tc.wantAccessible, tc.wantCategory, tc.wantLifecycle)
			}
			if hasImage := strings.Contains(strings.Join(info.InputModalities, ","), "IMAGE"); hasImage != tc.wantImage {
				t.Errorf("InputModalities = %v, want IMAGE: %v", info.InputModalities, tc.wantImage)
			}
		})
	}
	if got := sim.Calls("sim.access-denied-v1"); got.Converse+got.ConverseStream != 0 {
		t.Errorf("Describe made inference calls: %+v", got)
	}
}

func TestAccessError(t *testing.T) {
	const no, yes = "NOT_AVAILABLE", "AVAILABLE"
	tests := []struct {
		region, authorization, entitlement string
		want                               certify.ErrorCategory
	}{
		{yes, "AUTHORIZED", yes, certify.CategoryNone},
		{no, "NOT_AUTHORIZED", no, certify.CategoryUnavailable}, // nothing else matters outside the region
		{yes, "NOT_AUTHORIZED", no, certify.CategoryPermission},
		{yes, "AUTHORIZED", no, certify.CategoryProvisioningRequired},
	}
	for _, tc := range tests {
		got := accessError(&bedrock.GetFoundationModelAvailabilityOutput{
			RegionAvailability:      cptypes.RegionAvailability(tc.region),
			AuthorizationStatus:     cptypes.AuthorizationStatus(tc.authorization),
			EntitlementAvailability: cptypes.EntitlementAvailability(tc.entitlement),
		})
		if certify.CategoryOf(got) != tc.want {
			t.Errorf("accessError(%s, %s, %s) = %v, want %s", tc.region, tc.authorization, tc.entitlement, got, tc.want)
		}
	}
}

func TestConverse(t *testing.T) {
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "amazon.nova-lite-v1:0")
	maxTokens := int32(5)
	resp, err := c.Converse(context.Background(), certify.Request{
		System:    "You are terse.",
		Messages:  []certify.Message{{Role: certify.RoleUser, Text: "Write an essay about the history of bridges."}},
		MaxTokens: &maxTokens,
	})
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != certify.StopMaxTokens || resp.Text == "" || resp.Usage == nil ||
		resp.Usage.OutputTokens > 5 || resp.Usage.InputTokens == 0 || resp.Latency <= 0 {
		t.Fatalf("Converse = %+v (usage %+v), want a text cut at 5 tokens with usage and latency", resp, resp.Usage)
	}
}

func TestConverseToolUse(t *testing.T) {
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "anthropic.claude-3-haiku-20240307-v1:0")
	schema := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	resp, err := c.Converse(context.Background(), certify.Request{
		Messages:   []certify.Message{{Role: certify.RoleUser, Text: "What is the weather in Paris?"}},
		Tools:      []certify.Tool{{Name: "get_weather", Description: "Current weather of a city", InputSchema: schema}},
		ToolChoice: "get_weather",
	})
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if resp.StopReason != certify.StopToolUse || len(resp.ToolUses) != 1 || resp.ToolUses[0].Name != "get_weather" {
		t.Fatalf("Converse = %+v, want one get_weather call", resp)
	}
	var input struct{ City string }
	if err := json.Unmarshal(resp.ToolUses[0].Input, &input); err != nil || input.City == "" {
		t.Fatalf("tool input %s: %v, want an object with a city", resp.ToolUses[0].Input, err)
	}
}

func TestConverseRejectsBadTools(t *testing.T) {
	c := newSimClient(t, "http://127.0.0.1:1", "amazon.nova-lite-v1:0")
	for name, req := range map[string]certify.Request{
		"invalid schema":   {Tools: []certify.Tool{{Name: "t", InputSchema: json.RawMessage(`{`)}}},
		"choice, no tools": {ToolChoice: "t"},
	} {
		_, err := c.Converse(context.Background(), req)
		if got := certify.CategoryOf(err); got != certify.CategoryConfiguration {
			t.Errorf("%s: error %v (category %s), want CONFIGURATION_ERROR", name, err, got)
		}
	}
	if got := c.Stats(); got.Calls != 0 {
		t.Errorf("a request that cannot be built was sent: %+v", got)
	}
}

func TestConverseImage(t *testing.T) {
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "amazon.nova-lite-v1:0")
	resp, err := c.Converse(context.Background(), certify.Request{
		Messages: []certify.Message{{Role: certify.RoleUser, Text: "What colour is this image? One word.", Image: redPNG(t)}},
	})
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if !strings.Contains(strings.ToLower(resp.Text), "red") {
		t.Fatalf("Text = %q, want the image's colour", resp.Text)
	}
}

func redPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: 255, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConverseStream(t *testing.T) {
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "amazon.nova-lite-v1:0")
	resp, err := c.ConverseStream(context.Background(), certify.Request{
		Messages: []certify.Message{{Role: certify.RoleUser, Text: "Write a haiku about the sea."}},
	})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	if resp.ContentDeltas < 2 || !resp.MessageStop || resp.StopReason != certify.StopEndTurn || resp.Usage == nil ||
		resp.TimeToFirstToken <= 0 || resp.TimeToFirstToken > resp.Latency || strings.TrimSpace(resp.Text) == "" {
		t.Fatalf("ConverseStream = %+v, want text in several deltas, a stop, usage and TTFT ≤ latency", resp)
	}
}

func TestConverseStreamInterrupted(t *testing.T) {
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "sim.stream-interrupted-v1")
	resp, err := c.ConverseStream(context.Background(), certify.Request{
		Messages: []certify.Message{{Role: certify.RoleUser, Text: "Write a haiku about the sea."}},
	})
	var me *certify.ModelError
	if !errors.As(err, &me) || !strings.Contains(me.Message, "interrupted") {
		t.Fatalf("ConverseStream error = %v, want the classified stream error", err)
	}
	if resp.MessageStop || resp.ContentDeltas != 1 {
		t.Fatalf("partial response = %+v, want one delta and no stop", resp)
	}
}

func TestThrottlingIsRetriedBySDK(t *testing.T) {
	sim, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "sim.throttled-v1")
	const calls = 3
	var retries []int
	for range calls {
		resp, err := c.Converse(context.Background(), certify.Request{
			Messages: []certify.Message{{Role: certify.RoleUser, Text: "Say hello."}},
		})
		if err != nil {
			t.Fatalf("Converse: %v", err)
		}
		retries = append(retries, resp.Retries)
	}
	// The simulator throttles attempts 1 and 4: 5 attempts make 3 successes, the first and the
	// third call each retried once.
	if diff := cmp.Diff([]int{1, 0, 1}, retries); diff != "" {
		t.Errorf("retries per call (-want +got):\n%s", diff)
	}
	stats, received := c.Stats(), sim.Calls("sim.throttled-v1").Converse
	if stats.Calls != calls || stats.Attempts != 5 || received != 5 {
		t.Fatalf("stats %+v, simulator received %d; want 3 calls in 5 attempts", stats, received)
	}
}

// countingTransport counts the requests sent through Config.HTTPClient.
type countingTransport struct{ requests atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetriesStopAtMaxAttempts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Errortype", "ServiceUnavailableException")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"message":"Service unavailable."}`))
	}))
	defer srv.Close()
	// A custom CA bundle (AWS_CA_BUNDLE) needs the SDK's own buildable client, not a plain one.
	t.Setenv("AWS_CA_BUNDLE", "")
	transport := &countingTransport{}
	c := newSimClient(t, srv.URL, "amazon.nova-lite-v1:0", func(c *Config) {
		c.MaxAttempts = 3
		c.HTTPClient = &http.Client{Transport: transport}
	})
	_, err := c.Converse(context.Background(), certify.Request{Messages: []certify.Message{{Role: certify.RoleUser, Text: "hi"}}})
	var me *certify.ModelError
	if !errors.As(err, &me) || me.Category != certify.CategoryUnknown || !me.Temporary {
		t.Fatalf("error = %v, want a temporary UNKNOWN_ERROR", err)
	}
	if got := c.Stats(); got.Calls != 1 || got.Attempts != 3 || got.Retries() != 2 || transport.requests.Load() != 3 {
		t.Fatalf("stats = %+v, %d requests sent; want 1 call in 3 attempts through the HTTP client", got, transport.requests.Load())
	}
}

func TestTransportFailures(t *testing.T) {
	_, endpoint := startSim(t)
	closed := closedPort(t)
	tests := []struct {
		name    string
		client  *Client
		timeout time.Duration
		want    certify.ErrorCategory
	}{
		{"connection refused", newSimClient(t, closed, "amazon.nova-lite-v1:0", func(c *Config) { c.MaxAttempts = 2 }),
			time.Minute, certify.CategoryNetwork},
		{"never answers", newSimClient(t, endpoint, "sim.never-answers-v1"), 200 * time.Millisecond, certify.CategoryTimeout},
		{"expired credentials", newSimClient(t, endpoint, "amazon.nova-lite-v1:0", func(c *Config) {
			c.Credentials.AccessKeyID = bedrocksim.ExpiredAccessKey
		}), time.Minute, certify.CategoryAuthentication},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			_, err := tc.client.Converse(ctx, certify.Request{Messages: []certify.Message{{Role: certify.RoleUser, Text: "hi"}}})
			if got := certify.CategoryOf(err); got != tc.want {
				t.Fatalf("error = %v (category %s), want %s", err, got, tc.want)
			}
		})
	}
}

// closedPort returns the URL of a port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestAssumeRole checks that RoleARN assumes the role with the base credentials and signs
// Bedrock requests with the role's: the fake STS hands out the simulator's expired key.
func TestAssumeRole(t *testing.T) {
	_, endpoint := startSim(t)
	var mu sync.Mutex
	var form url.Values
	var signedBy string
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = r.ParseForm()
		form, signedBy = r.PostForm, r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>` + bedrocksim.ExpiredAccessKey + `</AccessKeyId><SecretAccessKey>s</SecretAccessKey>
<SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/certifier/modelcert-operator</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult></AssumeRoleResponse>`))
	}))
	defer sts.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)

	const role = "arn:aws:iam::123456789012:role/certifier"
	c := newSimClient(t, endpoint, "amazon.nova-lite-v1:0", func(c *Config) { c.Credentials.RoleARN = role })
	_, err := c.Describe(context.Background())
	if got := certify.CategoryOf(err); got != certify.CategoryAuthentication {
		t.Fatalf("Describe error = %v (category %s), want the role's expired credentials to be used", err, got)
	}
	mu.Lock()
	defer mu.Unlock()
	if form.Get("RoleArn") != role || form.Get("RoleSessionName") != roleSessionName ||
		!strings.Contains(signedBy, "Credential=AKIDTEST/") {
		t.Fatalf("AssumeRole form %v signed by %q, want role %s signed with the base key", form, signedBy, role)
	}
}

func TestIsInferenceProfile(t *testing.T) {
	tests := map[string]bool{
		"amazon.nova-lite-v1:0":                          false,
		"us.amazon.nova-lite-v1:0":                       true,
		"apac.anthropic.claude-3-haiku-20240307-v1:0":    true,
		"global.anthropic.claude-sonnet-4-20250514-v1:0": true,
		"us-gov.anthropic.claude-3-haiku-20240307-v1:0":  true,
		"usa.model-v1": false,
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0": true,
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3":       true,
		"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0":                 false,
		"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc":                      false,
	}
	for id, want := range tests {
		if got := isInferenceProfile(id); got != want {
			t.Errorf("isInferenceProfile(%q) = %v, want %v", id, got, want)
		}
	}
}
