package bedrock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

func TestClientsAreSharedPerKey(t *testing.T) {
	_, endpoint := startSim(t)
	base := func(c *Config) {}
	a := newSimClient(t, endpoint, "amazon.nova-lite-v1:0", base)
	b := newSimClient(t, endpoint, "amazon.nova-micro-v1:0", base)
	if a.sdk != b.sdk {
		t.Fatal("two models with the same region, endpoint and credentials do not share their SDK clients")
	}
	for name, edit := range map[string]func(*Config){
		"region":   func(c *Config) { c.Region = "us-west-2" },
		"secret":   func(c *Config) { c.Credentials.SecretAccessKey = "other-secret" },
		"token":    func(c *Config) { c.Credentials.SessionToken = "token" },
		"role":     func(c *Config) { c.Credentials.RoleARN = "arn:aws:iam::123456789012:role/r" },
		"attempts": func(c *Config) { c.MaxAttempts = 2 },
	} {
		if newSimClient(t, endpoint, "amazon.nova-lite-v1:0", edit).sdk == a.sdk {
			t.Errorf("a different %s shares the SDK clients", name)
		}
	}

	// Each Client still counts its own calls.
	hello := certify.Request{Messages: []certify.Message{{Role: certify.RoleUser, Text: "Say hello."}}}
	if _, err := a.Converse(context.Background(), hello); err != nil {
		t.Fatal(err)
	}
	if a.Stats().Calls != 1 || b.Stats().Calls != 0 {
		t.Fatalf("stats a %+v, b %+v; want one call for a only", a.Stats(), b.Stats())
	}
}

func TestClientKeyHidesTheSecret(t *testing.T) {
	key := keyOf(Config{Region: "us-east-1", Credentials: Credentials{AccessKeyID: "AKID", SecretAccessKey: "s3cr3t-value", SessionToken: "t0ken-value"}})
	dump := fmt.Sprintf("%+v %#v", key, key)
	if strings.Contains(dump, "s3cr3t-value") || strings.Contains(dump, "t0ken-value") || key.secretHash == "" {
		t.Fatalf("key %s shows the secret or has no hash of it", dump)
	}
}

func TestClientCacheIsBounded(t *testing.T) {
	cache := newClientCache(2)
	cfg := func(region string) Config {
		return Config{ModelID: "m", Region: region, Endpoint: "http://127.0.0.1:1",
			Credentials: Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}}
	}
	first, err := cache.get(context.Background(), cfg("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"us-west-2", "eu-west-1"} {
		if _, err := cache.get(context.Background(), cfg(region)); err != nil {
			t.Fatal(err)
		}
	}
	if n := cache.len(); n != 2 {
		t.Fatalf("cache holds %d configurations, want 2", n)
	}
	again, err := cache.get(context.Background(), cfg("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if again == first {
		t.Fatal("the least recently used configuration was not evicted")
	}
	if len(cache.http) != 1 {
		t.Fatalf("%d HTTP clients, want one shared by every configuration", len(cache.http))
	}
}

// TestSharedClientsOverTLS certifies through the simulator over TLS with its certificate in
// AWS_CA_BUNDLE: the shared HTTP client trusts it, and streaming works over HTTP/2.
func TestSharedClientsOverTLS(t *testing.T) {
	cert, certPEM, err := bedrocksim.SelfSignedCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pemPath := filepath.Join(t.TempDir(), "sim.pem")
	if err := os.WriteFile(pemPath, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pemPath)
	sim := bedrocksim.New(nil, bedrocksim.WithTLS(cert))
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	c := newSimClient(t, url, "amazon.nova-lite-v1:0")
	report := certify.Run(context.Background(), c, certify.Options{})
	if verdict := certify.Judge(report.Results, certify.DefaultPolicy); verdict.Status != certify.VerdictCertified {
		t.Fatalf("verdict %+v over TLS; results %+v", verdict, report.Results)
	}
	if got := sim.Calls("amazon.nova-lite-v1:0"); got.ConverseStream == 0 {
		t.Fatalf("no ConverseStream call reached the simulator: %+v", got)
	}
	// The bundle was read once: a new configuration (another region) needs the file no more.
	if err := os.Remove(pemPath); err != nil {
		t.Fatal(err)
	}
	other := newSimClient(t, url, "amazon.nova-lite-v1:0", func(c *Config) { c.Region = "us-west-2" })
	if other.sdk == c.sdk {
		t.Fatal("another region shares the SDK clients")
	}
	if _, err := other.Describe(context.Background()); err != nil {
		t.Fatalf("Describe after the bundle file is gone: %v", err)
	}
}

func TestEachModelHasItsOwnRetryer(t *testing.T) {
	// The adaptive retryer rate-limits client-side after throttling and Bedrock's quotas are
	// per model: one model's throttling must not slow another that shares the configuration.
	_, endpoint := startSim(t)
	base := func(c *Config) {}
	lite := newSimClient(t, endpoint, "amazon.nova-lite-v1:0", base)
	micro := newSimClient(t, endpoint, "amazon.nova-micro-v1:0", base)
	liteAgain := newSimClient(t, endpoint, "amazon.nova-lite-v1:0", base)
	retryer := func(c *Client) aws.Retryer {
		var o bedrockruntime.Options
		c.sdk.modelRetryer(c.modelID)(&o)
		return o.Retryer
	}
	if retryer(lite) == retryer(micro) {
		t.Error("two models share one retryer")
	}
	if retryer(lite) != retryer(liteAgain) {
		t.Error("two runs of one model do not share its retryer")
	}
	// A fleet of models does not grow the process: the retryers kept are bounded.
	for i := range 2 * maxModelRetryers {
		lite.sdk.modelRetryer(fmt.Sprintf("sim.model-%d-v1", i))
	}
	if n := lite.sdk.retryers.len(); n != maxModelRetryers {
		t.Errorf("retryers kept after %d models = %d, want %d", 2*maxModelRetryers, n, maxModelRetryers)
	}
}

func TestConcurrentStreamsOfASharedClient(t *testing.T) {
	// Runs share SDK clients; the SDK's event-stream decoder must not be shared by two streams
	// at once (under -race, make test's mode for this package, sharing it is caught).
	_, endpoint := startSim(t)
	c := newSimClient(t, endpoint, "amazon.nova-lite-v1:0", func(*Config) {})
	count := certify.Request{Messages: []certify.Message{{Role: certify.RoleUser, Text: "Count from 1 to 5, separated by spaces."}}}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			resp, err := c.ConverseStream(context.Background(), count)
			if err == nil && (!resp.MessageStop || !strings.Contains(resp.Text, "1 2 3 4 5")) {
				err = fmt.Errorf("stream %+v, want the count to its stop", resp)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
