package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// startRun runs the command in the background and returns the URL it listens on, and a
// function that stops it and returns its exit code.
func startRun(t *testing.T, args []string, stderr io.Writer) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stdoutReader, stdoutWriter := io.Pipe()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, args, stdoutWriter, stderr) }()

	firstLine, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		t.Fatalf("read first stdout line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(firstLine), "listening on ")
	if !ok {
		t.Fatalf("first stdout line = %q, want \"listening on URL\"", firstLine)
	}
	return url, func() int {
		cancel()
		select {
		case code := <-exit:
			return code
		case <-time.After(5 * time.Second):
			t.Fatal("run did not return after the signal")
			return -1
		}
	}
}

func TestRunServesLogsAndShutsDown(t *testing.T) {
	var stderr testenv.Buffer
	url, stop := startRun(t, []string{"--listen", "127.0.0.1:0", "--access-key", "AKIDTEST:secret"}, &stderr)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want http://127.0.0.1:PORT", url)
	}
	client := bedrock.New(bedrock.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if _, err := client.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")}); err != nil {
		t.Fatalf("GetFoundationModel: %v", err)
	}
	wrongSecret := bedrock.New(bedrock.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "not-the-secret", ""),
	})
	_, err := wrongSecret.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("GetFoundationModel with a wrong secret: %v, want InvalidSignatureException", err)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit code = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	logged := stderr.String()
	if !strings.Contains(logged, "HTTP/1.1 GET /foundation-models/amazon.nova-lite-v1%3A0 model=amazon.nova-lite-v1:0 status=200 latency=") {
		t.Errorf("stderr does not log the request:\n%s", logged)
	}
}

// TestRunServesTLS starts the command with a self-signed certificate, and the AWS SDK trusts
// it through the PEM the command wrote and AWS_CA_BUNDLE; the SDK negotiates HTTP/2.
func TestRunServesTLS(t *testing.T) {
	var stderr testenv.Buffer
	pemPath := filepath.Join(t.TempDir(), "sim.pem")
	url, stop := startRun(t, []string{"--tls", "--tls-cert-out", pemPath}, &stderr)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL = %q, want https://127.0.0.1:PORT", url)
	}
	t.Setenv("AWS_CA_BUNDLE", pemPath)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(url),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")))
	if err != nil {
		t.Fatalf("load SDK config: %v", err)
	}
	if _, err := bedrock.NewFromConfig(cfg).GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")}); err != nil {
		t.Fatalf("GetFoundationModel over TLS: %v", err)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit code = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "HTTP/2.0 GET /foundation-models/") {
		t.Errorf("stderr does not log an HTTP/2 request:\n%s", stderr.String())
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	badCatalog := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(badCatalog, []byte("- id: a\n  regions: [us-east-1]\n  failures: {throttleRate: 7}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown flag", []string{"--port", "1"}, []string{"flag provided but not defined: -port"}},
		{"bad listen address", []string{"--listen", "localhost"}, []string{"--listen: address localhost: missing port in address"}},
		{"stray argument", []string{"serve"}, []string{`unexpected argument "serve"`}},
		{"missing catalog", []string{"--catalog", filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml"}},
		{"malformed catalog", []string{"--catalog", badCatalog}, []string{badCatalog, "personas[0] (a): failures.throttleRate"}},
		{"cert without key", []string{"--tls-cert", badCatalog}, []string{"--tls-cert and --tls-key go together"}},
		{"self-signed and a cert", []string{"--tls", "--tls-cert", "c", "--tls-key", "k"}, []string{"--tls and --tls-cert/--tls-key exclude each other"}},
		{"cert out without tls", []string{"--tls-cert-out", "x.pem"}, []string{"--tls-cert-out needs --tls"}},
		{"access key without secret", []string{"--access-key", "AKID"}, []string{`invalid value "AKID" for flag -access-key: want ID:SECRET`}},
		{"unreadable cert", []string{"--tls-cert", filepath.Join(dir, "no.pem"), "--tls-key", filepath.Join(dir, "no.key")}, []string{"--tls-cert/--tls-key: open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit code = %d, want %d", code, exitUsage)
			}
			if lines := strings.Count(stderr.String(), "\n"); lines != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", lines, stderr.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), want)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
