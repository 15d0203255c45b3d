package bedrocksim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// accessLogFile is an access log the test reads while the server writes to it.
func accessLogFile(t *testing.T) (*os.File, func() string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// protoRecorder remembers the protocol of every response it carries.
type protoRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	protos []string
}

func (p *protoRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err == nil {
		p.mu.Lock()
		p.protos = append(p.protos, resp.Proto)
		p.mu.Unlock()
	}
	return resp, err
}

// streamHello opens a ConverseStream and reads it to its end, returning the text.
func streamHello(t *testing.T, client *bedrockruntime.Client) string {
	t.Helper()
	out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: []types.Message{userMessage("Count from 1 to 5, separated by spaces.")},
	})
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var text string
	for event := range stream.Events() {
		if d, ok := event.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			if v, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				text += v.Value
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return text
}

// TestCleartextHTTP2 drives the simulator with Go's HTTP/2 transport with prior knowledge,
// as the JavaScript SDK v3 does on http://, through the AWS SDK: Converse and ConverseStream.
func TestCleartextHTTP2(t *testing.T) {
	log, logged := accessLogFile(t)
	_, url := startSim(t, fastCatalog(t), WithAccessLog(log))
	transport := &http.Transport{Protocols: new(http.Protocols)}
	transport.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(transport.CloseIdleConnections)
	recorder := &protoRecorder{next: transport}
	cfg := sdkConfig(t, url, "us-east-1", "AKIDSIMULATOR")
	cfg.HTTPClient = &http.Client{Transport: recorder}
	client := bedrockruntime.NewFromConfig(cfg)

	converse(t, client, "amazon.nova-lite-v1:0", &bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("Say hello.")}})
	if text := streamHello(t, client); text != "1 2 3 4 5" {
		t.Errorf("streamed text = %q", text)
	}
	recorder.mu.Lock()
	defer recorder.mu.Unlock()
	if len(recorder.protos) != 2 || recorder.protos[0] != "HTTP/2.0" || recorder.protos[1] != "HTTP/2.0" {
		t.Fatalf("response protocols = %v, want HTTP/2.0 twice", recorder.protos)
	}
	if got := strings.Count(logged(), "HTTP/2.0 POST /model/"); got != 2 {
		t.Fatalf("access log has %d HTTP/2 requests, want 2:\n%s", got, logged())
	}
}

// startTLSSim serves the simulator over TLS with a fresh self-signed certificate and returns
// its URL and the path of the certificate's PEM.
func startTLSSim(t *testing.T, opts ...Option) (string, string) {
	t.Helper()
	cert, certPEM, err := SelfSignedCertificate("127.0.0.1", "localhost")
	if err != nil {
		t.Fatalf("SelfSignedCertificate: %v", err)
	}
	pemPath := filepath.Join(t.TempDir(), "sim.pem")
	if err := os.WriteFile(pemPath, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	_, url := startSim(t, fastCatalog(t), append(opts, WithTLS(cert))...)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("URL %s is not https", url)
	}
	return url, pemPath
}

// TestTLSNegotiatesHTTP2 checks ALPN with Go's transport (h2 offered first, then http/1.1),
// and that the AWS SDK for Go trusts the certificate through AWS_CA_BUNDLE and streams over it.
func TestTLSNegotiatesHTTP2(t *testing.T) {
	log, logged := accessLogFile(t)
	url, pemPath := startTLSSim(t, WithAccessLog(log))
	certPEM, err := os.ReadFile(pemPath)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	for _, tc := range []struct {
		name      string
		protocols func(*http.Protocols)
		wantMajor int
	}{
		{"h2", func(p *http.Protocols) { p.SetHTTP2(true); p.SetHTTP1(true) }, 2},
		{"http/1.1 only", func(p *http.Protocols) { p.SetHTTP1(true) }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, Protocols: new(http.Protocols)}
			tc.protocols(transport.Protocols)
			defer transport.CloseIdleConnections()
			resp, err := (&http.Client{Transport: transport, Timeout: 10 * time.Second}).Get(url + "/foundation-models")
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			resp.Body.Close()
			// Unsigned, the request is refused, but over the negotiated protocol.
			if resp.ProtoMajor != tc.wantMajor || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s %d, want HTTP/%d and 403", resp.Proto, resp.StatusCode, tc.wantMajor)
			}
		})
	}

	t.Run("AWS SDK with AWS_CA_BUNDLE", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", pemPath)
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(url),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "fake-secret", "")))
		if err != nil {
			t.Fatalf("load SDK config: %v", err)
		}
		client := bedrockruntime.NewFromConfig(cfg)
		converse(t, client, "amazon.nova-lite-v1:0", &bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("Say hello.")}})
		if text := streamHello(t, client); text != "1 2 3 4 5" {
			t.Errorf("streamed text = %q", text)
		}
		if got := strings.Count(logged(), "HTTP/2.0 POST /model/"); got != 2 {
			t.Fatalf("access log has %d HTTP/2 requests from the SDK, want 2:\n%s", got, logged())
		}
	})
}
