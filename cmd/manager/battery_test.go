package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// uselessPersonas are the default catalog's models that answer without being any use.
var uselessPersonas = []string{"sim.echo-last-v1", "sim.echo-conversation-v1", "sim.fluent-wrong-v1", "sim.refuses-v1", "sim.canned-v1"}

// quickCatalog is the default catalog without latency, plus a Titan-class copy of each useless
// persona (streaming only: system prompt, tools and vision skipped, so fewer checks to fail).
func quickCatalog(t *testing.T) (*bedrocksim.Catalog, []string) {
	t.Helper()
	c := bedrocksim.DefaultCatalog()
	for i := range c.Personas {
		c.Personas[i].LatencyFixed, c.Personas[i].LatencyJitter = 0, 0
	}
	titan, ok := c.Persona("amazon.titan-text-express-v1")
	if !ok {
		t.Fatal("no Titan persona in the default catalog")
	}
	var titanClass []string
	for _, id := range uselessPersonas {
		useless, _ := c.Persona(id)
		clone := titan
		clone.ID = "amazon.titan-text-" + strings.TrimSuffix(strings.TrimPrefix(id, "sim."), "-v1") + "-v1"
		clone.Failures = useless.Failures
		c.Personas = append(c.Personas, clone)
		titanClass = append(titanClass, clone.ID)
	}
	return c, titanClass
}

// A model that answers fluently but uselessly (echoing, refusing, wrong, canned) ends FAILED
// through `manager certify` and the real AWS SDK, never QUALITY_WARNING, however few checks
// its capabilities leave to run.
func TestCertifyUselessPersonasFail(t *testing.T) {
	fakeAWSEnv(t)
	catalog, titanClass := quickCatalog(t)
	srv := httptest.NewServer(bedrocksim.New(catalog))
	t.Cleanup(srv.Close)

	for _, model := range append(append([]string(nil), uselessPersonas...), titanClass...) {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			got := runCertifyJSON(t, "--model", model, "--region", "us-east-1", "--endpoint", srv.URL, "--consistency-interval", "10ms")
			o := got.out
			if got.code != 1 || o.Status != certify.VerdictFailed || o.Passed || o.ErrorCategory != certify.CategoryQuality {
				t.Fatalf("exit %d, status %s, category %q, score %v; want exit 1, FAILED, QUALITY_ISSUE\nfailed: %+v",
					got.code, o.Status, o.ErrorCategory, o.Score, o.FailedChecks)
			}
			if o.Score >= certify.DefaultPolicy.WarnScore {
				t.Errorf("score %v, want below the warn score %v", o.Score, certify.DefaultPolicy.WarnScore)
			}
			t.Logf("%s: score %v, %d passed of %d run", model, o.Score, o.Checks.Passed, o.Checks.Total-o.Checks.Skipped)
		})
	}
}

// answerRecorder keeps the text of every Converse answer a handler sends, per model.
type answerRecorder struct {
	next http.Handler
	mu   sync.Mutex
	seen map[string]map[string]bool // model id → answer texts
}

func (a *answerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	a.next.ServeHTTP(teeWriter{w, &body}, r)
	parts := strings.Split(r.URL.Path, "/") // /model/{id}/converse
	if len(parts) != 4 || parts[3] != "converse" {
		return
	}
	var resp struct {
		Output struct {
			Message struct {
				Content []struct{ Text *string } `json:"content"`
			} `json:"message"`
		} `json:"output"`
	}
	if json.Unmarshal(body.Bytes(), &resp) != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range resp.Output.Message.Content {
		if c.Text != nil {
			if a.seen[parts[2]] == nil {
				a.seen[parts[2]] = map[string]bool{}
			}
			a.seen[parts[2]][*c.Text] = true
		}
	}
}

type teeWriter struct {
	http.ResponseWriter
	copy *bytes.Buffer
}

func (t teeWriter) Write(b []byte) (int, error) {
	t.copy.Write(b)
	return t.ResponseWriter.Write(b)
}

// Well-behaved models word their answers differently from run to run, in their family's
// styles, and every wording certifies with every check passed.
func TestCertifyWellBehavedPersonasUnderVariedAnswers(t *testing.T) {
	fakeAWSEnv(t)
	catalog, _ := quickCatalog(t)
	recorder := &answerRecorder{next: bedrocksim.New(catalog), seen: map[string]map[string]bool{}}
	srv := httptest.NewServer(recorder)
	t.Cleanup(srv.Close)

	const runs = 4
	models := []string{"amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.titan-text-express-v1", "anthropic.claude-3-haiku-20240307-v1:0"}
	for _, model := range models {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			for run := range runs {
				got := runCertifyJSON(t, "--model", model, "--region", "us-east-1", "--endpoint", srv.URL, "--consistency-interval", "10ms")
				if got.code != 0 || got.out.Status != certify.VerdictCertified || got.out.Checks.Failed != 0 {
					t.Fatalf("run %d: exit %d, status %s; want CERTIFIED with no failed check\nfailed: %+v",
						run+1, got.code, got.out.Status, got.out.FailedChecks)
				}
			}
		})
	}
	t.Cleanup(func() {
		// One wording per prompt would give at most 11 texts (12 Converse prompts, one of them
		// asked twice, the tool call without text); varied phrasing gives more.
		for _, model := range models {
			n := len(recorder.seen[model])
			t.Logf("%s: %d distinct answers over %d runs", model, n, runs)
			if n <= 12 {
				t.Errorf("%s gave %d distinct answers over %d runs, want more than one wording per prompt", model, n, runs)
			}
		}
	})
}
