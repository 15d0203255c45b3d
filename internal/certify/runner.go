package certify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultRunTimeout          = 10 * time.Minute
	DefaultConsistencyInterval = 2 * time.Second
	DefaultMaxConcurrency      = 4
)

// Options configures a run. Zero values take the defaults.
type Options struct {
	// Include and Exclude select checks by name (see Select).
	Include []string
	Exclude []string
	// CheckTimeout, when set, replaces every check's own timeout for one model call.
	CheckTimeout time.Duration
	// RunTimeout bounds the whole run.
	RunTimeout time.Duration
	// ConsistencyInterval is the pause between the two calls of the consistency check.
	ConsistencyInterval time.Duration
	// Progress, when set, is called after each check with the number done and the total; calls
	// are serialised and done only grows, ending at total.
	Progress func(done, total int)
	// MaxConcurrency bounds the checks in flight at once.
	MaxConcurrency int
	// MaxTokens, when positive, is the run's token budget (input plus output tokens): once the
	// calls made have spent it, no further call is made and every check not yet done is Skipped.
	// Calls already in flight finish, so a run may overshoot it by their usage.
	MaxTokens int64
}

func (o Options) withDefaults() Options {
	if o.RunTimeout <= 0 {
		o.RunTimeout = DefaultRunTimeout
	}
	if o.ConsistencyInterval <= 0 {
		o.ConsistencyInterval = DefaultConsistencyInterval
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	return o
}

// perCallTimeout is the timeout of one model call of a check whose own default is def.
func (o Options) perCallTimeout(def time.Duration) time.Duration {
	if o.CheckTimeout > 0 {
		return o.CheckTimeout
	}
	return def
}

// Report is everything a run found, in battery order.
type Report struct {
	// ModelID is the id Describe reported or, when it failed, the model's own ModelID() if it
	// has one.
	ModelID     string    `json:"modelId"`
	Results     []Result  `json:"results"`
	StartedAt   time.Time `json:"startedAt"`
	CompletedAt time.Time `json:"completedAt"`
	Usage       Usage     `json:"usage"`
	// Capabilities is what the run established about each capability, and who said so.
	Capabilities Capabilities `json:"capabilities"`
	// MaxTokens is the run's token budget; 0 when it had none.
	MaxTokens int64 `json:"maxTokens,omitempty"`
	// BudgetSkipped names the checks skipped because the token budget was reached, in battery
	// order.
	BudgetSkipped []string `json:"budgetSkipped,omitempty"`
}

// Reasons given for checks that were not run.
const (
	notRunUnavailable = "not run: model unavailable"
	notRunSelection   = "not run: invalid check selection"
)

// Run certifies a model: availability first, then, if the model is usable, the selected checks
// concurrently (started in battery order), each under its own timeout and all under the run
// timeout, and within opts.MaxTokens when it is set. It always returns a complete report with
// one result per selected check, in battery order. Callers should validate the selection with
// Select beforehand; an invalid one is reported as a failed availability check with
// CONFIGURATION_ERROR, and no call is made.
func Run(ctx context.Context, model Model, opts Options) Report {
	opts = opts.withDefaults()
	report := Report{StartedAt: time.Now(), MaxTokens: max(opts.MaxTokens, 0)}
	names, err := Select(opts.Include, opts.Exclude)
	if err != nil {
		failed := Result{Name: CheckAvailability, Status: CheckFailed, Category: CategoryConfiguration, Message: shorten(err.Error())}
		results := append([]Result{failed}, notRun(battery, notRunSelection)...)
		newProgress(opts.Progress, len(results)).finish()
		return report.complete(results)
	}
	checks := checksNamed(names[1:])
	progress := newProgress(opts.Progress, len(names))

	ctx, cancel := context.WithTimeout(ctx, opts.RunTimeout)
	defer cancel()
	availabilityCtx, cancelAvailability := context.WithTimeout(ctx, opts.perCallTimeout(DefaultCheckTimeout))
	info, availability, usable := checkAvailability(availabilityCtx, model)
	cancelAvailability()
	progress.step()

	if info.ModelID == "" {
		info.ModelID = configuredID(model)
	}
	report.ModelID = info.ModelID
	report.Capabilities = ResolveCapabilities(info)
	if !usable {
		progress.finish()
		return report.complete(append([]Result{availability}, notRun(checks, notRunUnavailable)...))
	}
	results, established, budgetSkipped := runChecks(ctx, model, checks, report.Capabilities, opts, progress)
	report.Capabilities, report.BudgetSkipped = established, budgetSkipped
	return report.complete(append([]Result{availability}, results...))
}

// configuredID is the id a model was configured with, for models that say (internal/bedrock's
// client does); it names the report and finds the model's family when Describe failed.
func configuredID(m Model) string {
	if named, ok := m.(interface{ ModelID() string }); ok {
		return named.ModelID()
	}
	return ""
}

func (r Report) complete(results []Result) Report {
	r.Results = results
	for _, res := range results {
		r.Usage = r.Usage.Add(res.Usage)
	}
	r.CompletedAt = time.Now()
	return r
}

// checksNamed returns the battery's checks with the given names, in battery order.
func checksNamed(names []string) []Check {
	var checks []Check
	for _, c := range battery {
		for _, n := range names {
			if c.Name == n {
				checks = append(checks, c)
			}
		}
	}
	return checks
}

func notRun(checks []Check, reason string) []Result {
	results := make([]Result, len(checks))
	for i, c := range checks {
		results[i] = skipped(c.Name, reason)
	}
	return results
}

// runChecks runs the checks the model supports, at most opts.MaxConcurrency at once, started
// in the order of checks, and returns their results in that order whatever order they finish
// in, with the capabilities as the service left them: a refusal skips every later check that
// needs the refused capability without calling the model again. Once the token budget is
// reached, the checks not yet done are Skipped (a check cut between two calls keeps the usage of
// the first), and their names are returned in order; their message gives the run's final usage.
func runChecks(ctx context.Context, m Model, checks []Check, known Capabilities, opts Options, progress *progress) ([]Result, Capabilities, []string) {
	env := checkEnv{Interval: opts.ConsistencyInterval}
	ledger := &capabilityLedger{known: known}
	budget := &tokenBudget{max: opts.MaxTokens}
	results := make([]Result, len(checks))
	overBudget := make([]bool, len(checks))
	next := make(chan int, len(checks))
	for i := range checks {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(opts.MaxConcurrency, len(checks)) {
		wg.Go(func() {
			for i := range next {
				c := checks[i]
				results[i], overBudget[i] = runCheck(ctx, m, c, env, opts.perCallTimeout(c.Timeout), ledger, budget)
				progress.step()
			}
		})
	}
	wg.Wait()
	var budgetSkipped []string
	for i, skipped := range overBudget {
		if skipped {
			results[i].Message = budget.reason()
			budgetSkipped = append(budgetSkipped, results[i].Name)
		}
	}
	return results, ledger.capabilities(), budgetSkipped
}

// runCheck runs the check under its own deadline, unless the capability it needs is known to
// be missing by then or the run is over. overBudget reports that the check was Skipped because
// the run's token budget was reached before one of its calls.
func runCheck(ctx context.Context, m Model, c Check, env checkEnv, perCall time.Duration, ledger *capabilityLedger, budget *tokenBudget) (result Result, overBudget bool) {
	if reason, lacking := ledger.lacks(c.Needs); lacking {
		return skipped(c.Name, reason), false
	}
	if ctx.Err() != nil {
		result := callFailed(ctx, cost{}, fmt.Errorf("not run: %w", ctx.Err()))
		result.Name = c.Name
		return result, false
	}
	checkCtx, cancel := context.WithTimeout(ctx, c.deadline(perCall, env))
	defer cancel()
	charged := &budgetedModel{Model: m, budget: budget}
	result = c.run(checkCtx, charged, env)
	result.Name = c.Name
	if charged.refused {
		return Result{Name: c.Name, Status: CheckSkipped, Latency: result.Latency, Usage: result.Usage, Retries: result.Retries}, true
	}
	ledger.learn(c.Needs, result)
	return result, false
}

// capabilityLedger is the run's knowledge of the model's capabilities, updated by the checks
// as the service answers or refuses them.
type capabilityLedger struct {
	mu    sync.Mutex
	known Capabilities
}

// lacks reports whether the capability is known to be missing, and why.
func (l *capabilityLedger) lacks(c Capability) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known.Supports(c) {
		return "", false
	}
	s, _ := l.known.Lookup(c)
	if s.Reason != "" {
		return notSupported(s.Reason), true
	}
	return notSupported(fmt.Sprintf("the model lacks %s (%s)", c, s.Source)), true
}

// learn records what a check's result says of the capabilities: a refusal makes the refused
// one unsupported; an answer to a request that needed one makes it supported. Either is the
// service's word, which overrides the control plane and the table.
func (l *capabilityLedger) learn(needed Capability, r Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.Unsupported != CapabilityNone:
		reason, _ := strings.CutPrefix(r.Message, notSupported(""))
		l.known = l.known.with(CapabilityStatus{Name: r.Unsupported, Source: SourceService, Reason: reason})
	case needed != CapabilityNone && !r.Errored && r.Status != CheckSkipped:
		// A refusal seen by a concurrent check stands: the service said no at least once.
		if s, _ := l.known.Lookup(needed); s.Supported && s.Source != SourceService {
			l.known = l.known.with(CapabilityStatus{Name: needed, Supported: true, Source: SourceService})
		}
	}
}

func (l *capabilityLedger) capabilities() Capabilities {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.known
}

// progress reports completed checks to an optional callback, one call at a time.
type progress struct {
	mu     sync.Mutex
	report func(done, total int)
	done   int
	total  int
}

func newProgress(report func(done, total int), total int) *progress {
	return &progress{report: report, total: total}
}

func (p *progress) step() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.notify()
}

// finish reports every remaining check as done at once, for runs that end early.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == p.total {
		return
	}
	p.done = p.total
	p.notify()
}

// notify calls the callback; the caller holds mu, which serialises the calls.
func (p *progress) notify() {
	if p.report != nil {
		p.report(p.done, p.total)
	}
}
