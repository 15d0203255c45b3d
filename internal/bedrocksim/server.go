// Package bedrocksim is a Bedrock-compatible HTTP server whose models are personas from a catalog.
package bedrocksim

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// simAccountID is the AWS account the simulator pretends requests come from.
const simAccountID = "123456789012"

// defaultHoldLimit caps how long a neverAnswers persona holds a request.
const defaultHoldLimit = 10 * time.Minute

// operation is one API the simulator serves.
type operation int

const (
	opConverse operation = iota
	opConverseStream
	opGetFoundationModel
	opListFoundationModels
	opGetFoundationModelAvailability
	opGetInferenceProfile
	opListInferenceProfiles
)

// CallCounts are the requests a Server received for one model id, whatever their outcome.
type CallCounts struct {
	Converse       int
	ConverseStream int
	// ControlPlane counts GetFoundationModel, GetFoundationModelAvailability and
	// GetInferenceProfile; the List operations name no model and are not counted.
	ControlPlane int
}

// Server serves the Bedrock Runtime and control-plane APIs for a catalog of personas.
type Server struct {
	// catalog is what the server answers for; SetCatalog replaces it while serving.
	catalog   atomic.Pointer[catalogState]
	holdLimit time.Duration
	accessLog *log.Logger
	tls       *tls.Certificate
	// accessKeys are the secrets by access key id when signatures are verified; nil accepts any key.
	accessKeys map[string]string

	mu    sync.Mutex
	calls map[string]*CallCounts
	// issuedKeys are the secrets of the credentials AssumeRole handed out, when signatures are verified.
	issuedKeys      map[string]string
	assumeRoleCalls []AssumeRoleCall

	requests atomic.Int64
	jitter   *rand.Rand // guarded by mu; seeded so latencies repeat run to run

	requestSeq atomic.Uint64
	toolUseSeq atomic.Uint64
	closing    chan struct{}
	closeOnce  sync.Once
}

// Option configures a Server.
type Option func(*Server)

// WithHoldLimit sets how long a neverAnswers persona holds a request before it answers
// ModelTimeoutException (default 10 minutes); tests shorten it.
func WithHoldLimit(d time.Duration) Option { return func(s *Server) { s.holdLimit = d } }

// WithAccessLog logs one line per request (protocol, method, path, model, status, latency) to w.
func WithAccessLog(w io.Writer) Option {
	return func(s *Server) { s.accessLog = log.New(w, "", log.LstdFlags|log.Lmicroseconds) }
}

// WithTLS serves HTTPS with the certificate, offering HTTP/2 and HTTP/1.1 by ALPN.
func WithTLS(cert tls.Certificate) Option { return func(s *Server) { s.tls = &cert } }

// WithAccessKeys makes the simulator accept only these access keys (id → secret) and verify
// each request's SigV4 signature, as AWS does; without it any key is accepted unverified.
func WithAccessKeys(keys map[string]string) Option {
	return func(s *Server) { s.accessKeys = maps.Clone(keys) }
}

// New returns a Server for the catalog; a nil catalog means DefaultCatalog().
func New(catalog *Catalog, opts ...Option) *Server {
	if catalog == nil {
		catalog = DefaultCatalog()
	}
	s := &Server{
		holdLimit:  defaultHoldLimit,
		calls:      map[string]*CallCounts{},
		issuedKeys: map[string]string{},
		jitter:     rand.New(rand.NewPCG(1, 2)),
		closing:    make(chan struct{}),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.SetCatalog(catalog)
	return s
}

// catalogState is a catalog with the inference profiles it declares, system-defined ones included.
type catalogState struct {
	*Catalog
	profiles []Profile
}

// SetCatalog replaces the catalog the server answers for, while it serves: a test changes what
// ListFoundationModels lists this way, as Bedrock's catalog changes over time. Requests in
// flight finish with the catalog they started with.
func (s *Server) SetCatalog(c *Catalog) {
	s.catalog.Store(&catalogState{Catalog: c, profiles: c.InferenceProfiles()})
}

// Calls returns the requests received so far for a model id. Ids given as ARNs or
// inference profiles ("us.amazon.nova-lite-v1:0") count under the base model id.
func (s *Server) Calls(modelID string) CallCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.calls[modelID]; ok {
		return *c
	}
	return CallCounts{}
}

// Requests returns how many requests the simulator received, of any kind and outcome.
func (s *Server) Requests() int {
	return int(s.requests.Load())
}

// Start serves on addr (for tests "127.0.0.1:0") in the background and returns the
// base URL and a stop function that shuts down gracefully, releasing held requests.
// It speaks HTTP/1.1 and HTTP/2: on http:// cleartext HTTP/2 with prior knowledge (what the
// AWS SDK for JavaScript v3 sends), on https:// (WithTLS) HTTP/2 negotiated by ALPN.
// Start a Server at most once; to serve it elsewhere too, use it as an http.Handler.
func (s *Server) Start(addr string) (baseURL string, stop func(context.Context) error, err error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	httpServer := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
	httpServer.Protocols.SetHTTP1(true)
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		httpServer.Protocols.SetHTTP2(true)
		httpServer.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*s.tls}, MinVersion: tls.VersionTLS12}
		go func() { _ = httpServer.ServeTLS(listener, "", "") }()
	} else {
		httpServer.Protocols.SetUnencryptedHTTP2(true)
		go func() { _ = httpServer.Serve(listener) }()
	}
	stop = func(ctx context.Context) error {
		s.closeOnce.Do(func() { close(s.closing) })
		if err := httpServer.Shutdown(ctx); err != nil {
			return fmt.Errorf("shut down simulator: %w", errors.Join(err, httpServer.Close()))
		}
		return nil
	}
	return scheme + "://" + listener.Addr().String(), stop, nil
}

// ServeHTTP routes a request (STS's AssumeRole included), counts it, checks its signature and answers it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	w = recorder
	w.Header().Set("X-Amzn-Requestid", s.nextRequestID())
	s.requests.Add(1)
	if isSTS(r) {
		s.serveSTS(w, r)
		return
	}

	op, rawModelID, routed := route(r)
	modelID, viaProfile := s.resolveModelID(rawModelID)
	if s.accessLog != nil {
		defer func() {
			s.accessLog.Printf("%s %s %s model=%s status=%d latency=%s", r.Proto, r.Method, r.URL.EscapedPath(),
				cmp.Or(modelID, "-"), recorder.status, time.Since(started).Round(time.Microsecond))
		}()
	}
	if !routed {
		unknownOperationError().write(w)
		return
	}
	runtimeCall := s.record(modelID, op)
	region, authErr := s.authenticate(r)
	if authErr != nil {
		authErr.write(w)
		return
	}
	switch op {
	case opConverse, opConverseStream:
		s.serveRuntime(w, r, runtimeRequest{
			op: op, rawModelID: rawModelID, modelID: modelID, viaProfile: viaProfile,
			region: region, call: runtimeCall, started: started,
		})
	case opGetFoundationModel:
		s.serveGetFoundationModel(w, modelID, viaProfile, region)
	case opListFoundationModels:
		s.serveListFoundationModels(w, r.URL.Query(), region)
	case opGetFoundationModelAvailability:
		s.serveAvailability(w, modelID, viaProfile, region)
	case opGetInferenceProfile:
		s.serveGetInferenceProfile(w, rawModelID, region)
	case opListInferenceProfiles:
		s.serveListInferenceProfiles(w, r.URL.Query(), region)
	}
}

// route maps method and path to an operation; path segments are unescaped one by
// one, so model ids may contain ':' or '/' escaped.
func route(r *http.Request) (op operation, modelID string, ok bool) {
	var segments []string
	for _, seg := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		unescaped, err := url.PathUnescape(seg)
		if err != nil {
			return 0, "", false
		}
		segments = append(segments, unescaped)
	}
	switch {
	case r.Method == http.MethodPost && len(segments) == 3 && segments[0] == "model" && segments[2] == "converse":
		return opConverse, segments[1], true
	case r.Method == http.MethodPost && len(segments) == 3 && segments[0] == "model" && segments[2] == "converse-stream":
		return opConverseStream, segments[1], true
	case r.Method == http.MethodGet && len(segments) == 2 && segments[0] == "foundation-models":
		return opGetFoundationModel, segments[1], true
	case r.Method == http.MethodGet && len(segments) == 1 && segments[0] == "foundation-models":
		return opListFoundationModels, "", true
	case r.Method == http.MethodGet && len(segments) == 2 && segments[0] == "foundation-model-availability":
		return opGetFoundationModelAvailability, segments[1], true
	case r.Method == http.MethodGet && len(segments) == 2 && segments[0] == "inference-profiles":
		return opGetInferenceProfile, segments[1], true
	case r.Method == http.MethodGet && len(segments) == 1 && segments[0] == "inference-profiles":
		return opListInferenceProfiles, "", true
	}
	return 0, "", false
}

// resolveModelID turns a model ARN, or an inference profile id or ARN, into the model id
// it names, and reports whether it named a profile. Whether the caller's region may use the
// profile is the operation's to check.
func (s *Server) resolveModelID(raw string) (modelID string, viaProfile bool) {
	if _, resource, ok := strings.Cut(raw, ":foundation-model/"); ok && strings.HasPrefix(raw, "arn:") {
		return resource, false
	}
	id, _, _ := parseProfileARN(raw)
	for _, p := range s.catalog.Load().profiles {
		if p.ID == id {
			return p.ModelID, true
		}
	}
	return raw, false
}

// record counts a request and returns, for runtime calls, its 1-based number among
// the model's runtime calls (the throttling schedule depends on it).
func (s *Server) record(modelID string, op operation) int {
	if modelID == "" {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[modelID]
	if !ok {
		c = &CallCounts{}
		s.calls[modelID] = c
	}
	switch op {
	case opConverse:
		c.Converse++
	case opConverseStream:
		c.ConverseStream++
	default:
		c.ControlPlane++
	}
	return c.Converse + c.ConverseStream
}

func (s *Server) jitterFor(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.jitter.Int64N(int64(max) + 1))
}

func (s *Server) nextRequestID() string {
	n := s.requestSeq.Add(1)
	return fmt.Sprintf("5ac0ffee-0000-4000-8000-%012x", n)
}

func (s *Server) nextToolUseID() string {
	return fmt.Sprintf("tooluse_sim%012d", s.toolUseSeq.Add(1))
}

// statusRecorder remembers the status for the access log and keeps streaming working.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
