package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
)

// lockedBuffer collects stderr while the server goroutine writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunServesLogsAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutReader, stdoutWriter := io.Pipe()
	var stderr lockedBuffer
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, []string{"--listen", "127.0.0.1:0"}, stdoutWriter, &stderr) }()

	firstLine, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		t.Fatalf("read first stdout line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(firstLine), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first stdout line = %q, want \"listening on http://127.0.0.1:PORT\"", firstLine)
	}

	client := bedrock.New(bedrock.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	if _, err := client.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")}); err != nil {
		t.Fatalf("GetFoundationModel: %v", err)
	}

	cancel()
	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("exit code = %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after the signal")
	}
	logged := stderr.String()
	if !strings.Contains(logged, "GET /foundation-models/amazon.nova-lite-v1%3A0 model=amazon.nova-lite-v1:0 status=200 latency=") {
		t.Errorf("stderr does not log the request:\n%s", logged)
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
