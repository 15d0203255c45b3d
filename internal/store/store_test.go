package store

import (
	"context"
	"errors"
	"github.com/modelcert/modelcert-operator/internal/testenv"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenErrorsMaskThePassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, dsn string }{
		{"malformed", "postgres://app:s3cret@127.0.0.1:notaport/certs"},
		{"unknown parameter value", "host=127.0.0.1 password=s3cret sslmode=sometimes"},
		{"unreachable", "postgres://app:s3cret@127.0.0.1:1/certs?sslmode=disable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(context.Background(), Config{URL: tc.dsn, QueryTimeout: 2 * time.Second})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "open database") {
				t.Fatalf("error %q: want it to name the database with the password masked", err)
			}
			t.Log(err)
		})
	}
}

// blackhole accepts connections and never answers, like a server lost behind a dead network.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range held {
			conn.Close()
		}
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// within fails the test unless call returns an error within limit.
func within(t *testing.T, limit time.Duration, what string, call func() error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- call() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("%s succeeded, want an error", what)
		}
		t.Logf("%s failed after %v: %v", what, time.Since(start).Round(time.Millisecond), err)
	case <-time.After(limit):
		t.Fatalf("%s still running after %v, want an error within the query timeout", what, limit)
	}
}

func TestOpenGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	dsn := "postgres://app:s3cret@" + blackhole(t) + "/certs?sslmode=disable"
	within(t, 3*time.Second, "Open", func() error {
		s, err := Open(context.Background(), Config{URL: dsn, QueryTimeout: 500 * time.Millisecond})
		if err == nil {
			s.Close()
		}
		return err
	})
}

func TestClosedStoreReturnsErrors(t *testing.T) {
	t.Parallel()
	s := openTestStore(t, testenv.Database(t))
	s.Close()
	within(t, 3*time.Second, "RecordStart on a closed store", func() error {
		_, err := s.RecordStart(context.Background(), testRun{modelID: "m", runID: "run-1"}.start())
		return err
	})
}

// cuttableProxy forwards to a server until Cut, after which every connection, old or new,
// goes silent: the database is lost without a word, the case that hangs a careless client.
type cuttableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn // both sides of every connection, closed on cleanup
	server []net.Conn // the server sides, closed by Cut
}

func newCuttableProxy(t *testing.T, target string) *cuttableProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttableProxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, conn := range p.conns {
			conn.Close()
		}
	})
	go p.serve()
	return p
}

func (p *cuttableProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, client)
		if p.cut {
			p.mu.Unlock()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.conns = append(p.conns, server)
		p.server = append(p.server, server)
		p.mu.Unlock()
		// Closing the server side ends both copies without a word to the client.
		go func() { _, _ = io.Copy(server, client) }()
		go func() { _, _ = io.Copy(client, server) }()
	}
}

// Cut drops the server side of every connection and leaves the clients waiting.
func (p *cuttableProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, server := range p.server {
		server.Close()
	}
}

func TestLostDatabaseReturnsErrorsWithinTheTimeout(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	direct := openTestStore(t, dsn)
	if err := direct.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	direct.Close()

	proxy := newCuttableProxy(t, hostPort(t, dsn))
	s, err := Open(context.Background(), Config{URL: strings.Replace(dsn, hostPort(t, dsn), proxy.ln.Addr().String(), 1), QueryTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := s.RecordStart(context.Background(), run.start()); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	within(t, 3*time.Second, "RecordResult after the database was lost", func() error {
		_, err := s.RecordResult(context.Background(), run.result(StatusCertified), testCheckResults)
		return err
	})
	within(t, 3*time.Second, "Get after the database was lost", func() error {
		_, err := s.Get(context.Background(), "m", "us-east-1")
		if errors.Is(err, ErrNotFound) {
			t.Errorf("Get reported not found for a lost database: %v", err)
		}
		return err
	})
}

// hostPort returns the host:port of a URL DSN.
func hostPort(t *testing.T, dsn string) string {
	t.Helper()
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		t.Skip("the lost-database test needs a URL DSN")
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	return rest[:end]
}
