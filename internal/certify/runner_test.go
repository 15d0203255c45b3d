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
	// Every check that needs a capability got its answer: the service's word.
	if want := caps(yesService, yesService, yesService, yesService); report.ModelID != novaLiteInfo.ModelID || !cmp.Equal(report.Capabilities, want) {
		t.Errorf("model %q with %+v, want %q with %+v", report.ModelID, report.Capabilities, novaLiteInfo.ModelID, want)
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
	// Nothing is known of the model, so every check is tried.
	want := append([]summarisedResult{{CheckAvailability, outcome{CheckFailed, CategoryRateLimit, true}}}, allWith(pass, CheckNames()[1:]...)...)
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
	// The family table still applies; the control plane said nothing of streaming, which the
	// table has and the streaming check then confirmed.
	if diff := cmp.Diff(caps(yesService, noTable, noTable, noTable), report.Capabilities); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
}

// Bedrock's refusals of features a model lacks, as the adapter reports them.
var (
	noSystemMessages = &ModelError{Category: CategoryConfiguration, Unsupported: CapabilitySystemPrompt,
		Message: "This model doesn't support system messages. Try again without system messages."}
	noToolUse = &ModelError{Category: CategoryConfiguration, Unsupported: CapabilityToolUse, Message: "This model doesn't support tool use."}
)

// llamaModel is a text model the family table does not know, which refuses system prompts and
// tools the way Bedrock does.
func llamaModel() *fakeModel {
	m := goodModel()
	m.describe = func(context.Context) (ModelInfo, error) {
		return ModelInfo{ModelID: "meta.llama3-8b-instruct-v1:0", Lifecycle: "ACTIVE", InputModalities: []string{"TEXT"},
			StreamingSupported: true, Accessible: true}, nil
	}
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		switch {
		case req.System != "":
			return Response{Latency: fakeLatency}, noSystemMessages
		case len(req.Tools) > 0:
			return Response{Latency: fakeLatency}, noToolUse
		}
		return goodConverse(ctx, req)
	}
	return m
}

func TestRunSkipsChecksTheServiceRefuses(t *testing.T) {
	m := llamaModel()
	report := Run(t.Context(), m, fastOptions())

	want := allWith(pass, CheckNames()...)
	for i, r := range want {
		switch r.Name {
		case "system-prompt", "tool-use", "vision":
			want[i].Outcome = outcome{Status: CheckSkipped}
		}
	}
	if diff := cmp.Diff(want, summarise(report.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	messages := map[string]string{}
	for _, r := range report.Results {
		messages[r.Name] = r.Message
	}
	wantMessages := map[string]string{
		"system-prompt": "not supported: " + noSystemMessages.Message,
		"tool-use":      "not supported: " + noToolUse.Message,
		"vision":        "not supported: the model lacks vision (control-plane)",
	}
	for name, msg := range wantMessages {
		if messages[name] != msg {
			t.Errorf("%s: message %q, want %q", name, messages[name], msg)
		}
	}
	wantCapabilities := caps(yesService,
		CapabilityStatus{Source: SourceService, Reason: noSystemMessages.Message},
		CapabilityStatus{Source: SourceService, Reason: noToolUse.Message},
		noCP)
	if diff := cmp.Diff(wantCapabilities, report.Capabilities); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	// A good model takes 13 Converse calls; here vision makes none, and system-prompt and
	// tool-use one refused call each.
	if got := m.converseCalls.Load(); got != 12 {
		t.Errorf("%d converse calls, want 12", got)
	}
	if v := Judge(report.Results, DefaultPolicy); v.Status != VerdictCertified || v.Score != 100 || v.Badge != BadgePremium {
		t.Errorf("verdict %s, score %v, badge %s; want CERTIFIED, 100, PREMIUM", v.Status, v.Score, v.Badge)
	}
}

// TestRunRefusalCostsNoFurtherCall runs two checks that need the same capability, one at a
// time: whichever goes first is refused, and the other is skipped without calling the model.
func TestRunRefusalCostsNoFurtherCall(t *testing.T) {
	var calls atomic.Int32
	refuse := func(ctx context.Context, m Model, env checkEnv) Result {
		calls.Add(1)
		return callFailed(ctx, cost{}, noToolUse)
	}
	checks := []Check{
		{Name: "first", Needs: CapabilityToolUse, Timeout: time.Second, Calls: 1, run: refuse},
		{Name: "second", Needs: CapabilityToolUse, Timeout: time.Second, Calls: 1, run: refuse},
	}
	opts := fastOptions()
	opts.MaxConcurrency = 1
	results, established, _ := runChecks(t.Context(), nil, checks, ResolveCapabilities(ModelInfo{}), opts.withDefaults(), newProgress(nil, 2))

	for _, r := range results {
		if r.Status != CheckSkipped || r.Message != "not supported: "+noToolUse.Message {
			t.Errorf("%s: %s %q, want Skipped with the service's reason", r.Name, r.Status, r.Message)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
	if s, _ := established.Lookup(CapabilityToolUse); s.Supported || s.Source != SourceService {
		t.Errorf("tool use established as %+v, want unsupported by the service", s)
	}
}

// TestRunRefusalOfAnotherCapability: a check that needs nothing in particular but whose request
// the service refuses for a capability the model lacks is Skipped too, and the capability is
// recorded as missing.
func TestRunRefusalOfAnotherCapability(t *testing.T) {
	m := goodModel()
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		return Response{}, noSystemMessages
	}
	opts := fastOptions()
	opts.Include = []string{"basic-prompt"}
	report := Run(t.Context(), m, opts)

	if r := report.Results[1]; r.Status != CheckSkipped || r.Unsupported != CapabilitySystemPrompt {
		t.Errorf("basic-prompt: %s, unsupported %q, want Skipped for system-prompt", r.Status, r.Unsupported)
	}
	if s, _ := report.Capabilities.Lookup(CapabilitySystemPrompt); s.Supported || s.Source != SourceService || s.Reason != noSystemMessages.Message {
		t.Errorf("system prompt established as %+v", s)
	}
}

func TestRunCarriesTemporary(t *testing.T) {
	m := goodModel()
	unavailable := &ModelError{Category: CategoryUnknown, Temporary: true, Message: "ServiceUnavailableException: try again"}
	m.converse = func(ctx context.Context, req Request) (Response, error) { return Response{}, unavailable }
	report := Run(t.Context(), m, fastOptions())

	for _, r := range report.Results[1:] {
		want := r.Name != "streaming" // the stream answers
		if r.Temporary != want {
			t.Errorf("%s: %s, temporary %v; want temporary %v", r.Name, r.Status, r.Temporary, want)
		}
	}
	v := Judge(report.Results, DefaultPolicy)
	if !v.Temporary || v.Status != VerdictFailed || v.Category != CategoryUnknown {
		t.Errorf("verdict %s %s, temporary %v; want a temporary FAILED UNKNOWN_ERROR", v.Status, v.Category, v.Temporary)
	}
}
