package certify

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fastOptions keep runner tests quick: the interval is the only deliberate wait.
func fastOptions() Options {
	return Options{ConsistencyInterval: time.Millisecond, CheckTimeout: 2 * time.Second, RunTimeout: 5 * time.Second}
}

// summarise reduces results to name → status/category/errored, for comparing whole reports.
type summarisedResult struct {
	Name    string
	Outcome outcome
}

func summarise(results []Result) []summarisedResult {
	out := make([]summarisedResult, len(results))
	for i, r := range results {
		out[i] = summarisedResult{r.Name, outcome{r.Status, r.Category, r.Errored}}
	}
	return out
}

func allWith(o outcome, names ...string) []summarisedResult {
	out := make([]summarisedResult, len(names))
	for i, n := range names {
		out[i] = summarisedResult{n, o}
	}
	return out
}

func TestRunGoodModel(t *testing.T) {
	m := goodModel()
	report := Run(t.Context(), m, fastOptions())

	if diff := cmp.Diff(allWith(pass, CheckNames()...), summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if report.ModelID != novaLiteInfo.ModelID || report.Capabilities != allCapabilities {
		t.Errorf("model %q with %+v, want %q with every capability", report.ModelID, report.Capabilities, novaLiteInfo.ModelID)
	}
	// 12 Converse checks, consistency twice; one stream; each call 10 tokens in, 12 (stream 9) out.
	if got, want := report.Usage, (Usage{InputTokens: 14 * 10, OutputTokens: 13*12 + 9}); got != want {
		t.Errorf("usage %+v, want %+v", got, want)
	}
	if m.converseCalls.Load() != 13 || m.streamCalls.Load() != 1 || m.describeCalls.Load() != 1 {
		t.Errorf("calls: %d converse, %d stream, %d describe; want 13, 1, 1", m.converseCalls.Load(), m.streamCalls.Load(), m.describeCalls.Load())
	}
	if report.StartedAt.IsZero() || report.CompletedAt.Before(report.StartedAt) {
		t.Errorf("started %v, completed %v", report.StartedAt, report.CompletedAt)
	}
	if v := Judge(report.Results, DefaultPolicy); v.Status != VerdictCertified || v.Badge != BadgePremium {
		t.Errorf("verdict %s %s (rating %v), want CERTIFIED PREMIUM", v.Status, v.Badge, v.Rating)
	}
}

func TestRunStopsEarlyWhenModelUnusable(t *testing.T) {
	denied := &ModelError{Category: CategoryPermission, Message: "access denied"}
	tests := []struct {
		name     string
		describe func(context.Context) (ModelInfo, error)
		want     outcome
	}{
		{"not accessible", func(context.Context) (ModelInfo, error) {
			info := novaLiteInfo
			info.Accessible, info.AccessError = false, denied
			return info, nil
		}, outcome{CheckFailed, CategoryPermission, true}},
		{"describe fails critically", func(context.Context) (ModelInfo, error) { return ModelInfo{}, denied }, outcome{CheckFailed, CategoryPermission, true}},
		{"end of life", func(context.Context) (ModelInfo, error) {
			info := novaLiteInfo
			info.Lifecycle = "EOL"
			return info, nil
		}, outcome{CheckFailed, CategoryUnavailable, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := goodModel()
			m.describe = tt.describe
			report := Run(t.Context(), m, fastOptions())

			want := append(allWith(tt.want, CheckAvailability), allWith(outcome{Status: CheckSkipped}, CheckNames()[1:]...)...)
			if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			for _, r := range report.Results[1:] {
				if r.Message != "not run: model unavailable" {
					t.Errorf("%s: message %q", r.Name, r.Message)
				}
			}
			if n := m.inferenceCalls(); n != 0 {
				t.Errorf("%d inference calls, want none", n)
			}
		})
	}
}

func TestRunContinuesAfterTemporaryDescribeFailure(t *testing.T) {
	m := goodModel()
	m.describe = func(context.Context) (ModelInfo, error) {
		return ModelInfo{}, &ModelError{Category: CategoryRateLimit, Message: "slow down"}
	}
	report := Run(t.Context(), m, fastOptions())
	// Nothing is known of the model: streaming and vision are not assumed.
	want := []summarisedResult{{CheckAvailability, outcome{CheckFailed, CategoryRateLimit, true}}}
	for _, name := range CheckNames()[1:] {
		o := pass
		if name == "streaming" || name == "vision" {
			o = outcome{Status: CheckSkipped}
		}
		want = append(want, summarisedResult{name, o})
	}
	if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestRunSkipsUnsupportedCapabilities(t *testing.T) {
	m := goodModel()
	m.describe = func(context.Context) (ModelInfo, error) {
		return ModelInfo{ModelID: "amazon.titan-text-express-v1", Lifecycle: "ACTIVE", InputModalities: []string{"TEXT"}, Accessible: true}, nil
	}
	report := Run(t.Context(), m, fastOptions())
	skippedChecks := map[string]bool{"streaming": true, "system-prompt": true, "tool-use": true, "vision": true}
	for _, r := range report.Results {
		if skippedChecks[r.Name] {
			if r.Status != CheckSkipped || !strings.HasPrefix(r.Message, "not supported: the model lacks ") {
				t.Errorf("%s: %s %q, want Skipped as not supported", r.Name, r.Status, r.Message)
			}
		} else if r.Status != CheckPassed {
			t.Errorf("%s: %s %q, want Passed", r.Name, r.Status, r.Message)
		}
	}
	if n := m.streamCalls.Load(); n != 0 {
		t.Errorf("%d stream calls, want none", n)
	}
}

func TestRunCheckTimeout(t *testing.T) {
	m := goodModel()
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		if req.Messages[0].Text == basicPromptRequest.Messages[0].Text {
			return blockUntilDone(ctx, req)
		}
		return goodConverse(ctx, req)
	}
	opts := fastOptions()
	opts.CheckTimeout = 20 * time.Millisecond
	report := Run(t.Context(), m, opts)

	want := allWith(pass, CheckNames()...)
	want[1].Outcome = outcome{CheckFailed, CategoryTimeout, true}
	if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestRunTimeout(t *testing.T) {
	m := goodModel()
	m.converse = blockUntilDone
	opts := fastOptions()
	opts.RunTimeout = 30 * time.Millisecond
	opts.Include = []string{"basic-prompt", "parameters", "multi-turn"}
	// One at a time: the later checks never start, and must be reported as timed out too.
	opts.MaxConcurrency = 1
	report := Run(t.Context(), m, opts)

	want := append(allWith(pass, CheckAvailability), allWith(outcome{CheckFailed, CategoryTimeout, true}, opts.Include...)...)
	if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestRunProgress(t *testing.T) {
	tests := []struct {
		name  string
		model func() *fakeModel
		opts  Options
	}{
		{"full run", goodModel, fastOptions()},
		{"early stop", func() *fakeModel {
			m := goodModel()
			m.describe = func(context.Context) (ModelInfo, error) { return ModelInfo{Lifecycle: "ACTIVE"}, nil }
			return m
		}, fastOptions()},
		{"selection", goodModel, Options{Include: []string{"basic-prompt", "vision"}, ConsistencyInterval: time.Millisecond}},
		{"invalid selection", goodModel, Options{Include: []string{"telepathy"}}},
		{"availability alone, unavailable", func() *fakeModel {
			m := goodModel()
			m.describe = func(context.Context) (ModelInfo, error) { return ModelInfo{Lifecycle: "ACTIVE"}, nil }
			return m
		}, Options{Include: []string{"availability"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls [][2]int
			opts := tt.opts
			opts.Progress = func(done, total int) { calls = append(calls, [2]int{done, total}) }
			report := Run(t.Context(), tt.model(), opts)

			total := len(report.Results)
			if len(calls) == 0 || calls[len(calls)-1] != [2]int{total, total} {
				t.Fatalf("progress calls %v, want them to end at (%d, %d)", calls, total, total)
			}
			for i := 1; i < len(calls); i++ {
				if calls[i][0] <= calls[i-1][0] || calls[i][1] != total {
					t.Errorf("progress calls %v: done must grow, total stay %d", calls, total)
				}
			}
		})
	}
}

func TestRunSelection(t *testing.T) {
	m := goodModel()
	opts := fastOptions()
	opts.Include = []string{"vision", "basic-prompt", "streaming"}
	opts.Exclude = []string{"streaming"}
	report := Run(t.Context(), m, opts)

	if diff := cmp.Diff(allWith(pass, "availability", "basic-prompt", "vision"), summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if m.converseCalls.Load() != 2 || m.streamCalls.Load() != 0 {
		t.Errorf("%d converse and %d stream calls, want 2 and 0", m.converseCalls.Load(), m.streamCalls.Load())
	}
}

func TestRunInvalidSelection(t *testing.T) {
	m := goodModel()
	opts := fastOptions()
	opts.Include = []string{"telepathy"}
	report := Run(t.Context(), m, opts)

	want := append(allWith(outcome{CheckFailed, CategoryConfiguration, false}, CheckAvailability), allWith(outcome{Status: CheckSkipped}, CheckNames()[1:]...)...)
	if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if !strings.Contains(report.Results[0].Message, `unknown check "telepathy"`) {
		t.Errorf("message %q, want it to name the unknown check", report.Results[0].Message)
	}
	if n := m.describeCalls.Load() + m.inferenceCalls(); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

func TestRunBoundsConcurrency(t *testing.T) {
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	m := goodModel()
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		mu.Lock()
		most.Store(max(most.Load(), n))
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		return goodConverse(ctx, req)
	}
	opts := fastOptions()
	opts.MaxConcurrency = 2
	report := Run(t.Context(), m, opts)

	if got := most.Load(); got < 1 || got > 2 {
		t.Errorf("at most %d calls in flight, want 1 or 2", got)
	}
	if diff := cmp.Diff(allWith(pass, CheckNames()...), summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestCheckDeadline(t *testing.T) {
	env := checkEnv{Interval: 2 * time.Second}
	tests := []struct {
		check string
		want  time.Duration
	}{
		{"basic-prompt", 10 * time.Second},
		{"consistency", 2*10*time.Second + 2*time.Second},
	}
	for _, tt := range tests {
		if got := checkNamed(t, tt.check).deadline(10*time.Second, env); got != tt.want {
			t.Errorf("%s deadline = %v, want %v", tt.check, got, tt.want)
		}
	}
}

func TestReportJSON(t *testing.T) {
	report := Run(t.Context(), goodModel(), Options{Include: []string{"basic-prompt"}, ConsistencyInterval: time.Millisecond})
	got, err := jsonRoundTrip(report)
	if err != nil {
		t.Fatal(err)
	}
	// Latencies travel in whole milliseconds; times lose their monotonic reading.
	opts := cmp.Options{cmpopts.EquateApproxTime(time.Millisecond), cmpopts.IgnoreFields(Result{}, "Latency")}
	if diff := cmp.Diff(report, got, opts); diff != "" {
		t.Errorf("report after a JSON round trip (-want +got):\n%s", diff)
	}
}

// namedModel is a model that knows its configured id, as internal/bedrock's client does.
type namedModel struct {
	*fakeModel
	id string
}

func (n namedModel) ModelID() string { return n.id }

func TestRunNamesModelWhenDescribeFails(t *testing.T) {
	m := goodModel()
	m.describe = func(context.Context) (ModelInfo, error) {
		return ModelInfo{}, &ModelError{Category: CategoryNetwork, Message: "connection reset"}
	}
	report := Run(t.Context(), namedModel{m, "us.amazon.titan-text-express-v1"}, fastOptions())
	if report.ModelID != "us.amazon.titan-text-express-v1" {
		t.Errorf("model id %q, want the configured one", report.ModelID)
	}
	// The family table still applies; the control plane said nothing of streaming.
	if want := (Capabilities{Streaming: true}); report.Capabilities != want {
		t.Errorf("capabilities %+v, want %+v", report.Capabilities, want)
	}
}
