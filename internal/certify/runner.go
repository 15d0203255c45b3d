package certify

import (
	"context"
	"fmt"
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
	ModelID      string       `json:"modelId"`
	Results      []Result     `json:"results"`
	StartedAt    time.Time    `json:"startedAt"`
	CompletedAt  time.Time    `json:"completedAt"`
	Usage        Usage        `json:"usage"`
	Capabilities Capabilities `json:"capabilities"`
}

// Reasons given for checks that were not run.
const (
	notRunUnavailable = "not run: model unavailable"
	notRunSelection   = "not run: invalid check selection"
)

// Run certifies a model: availability first, then, if the model is usable, the selected checks
// concurrently, each under its own timeout and all under the run timeout. It always returns a
// complete report with one result per selected check, in battery order. Callers should
// validate the selection with Select beforehand; an invalid one is reported as a failed
// availability check with CONFIGURATION_ERROR, and no call is made.
func Run(ctx context.Context, model Model, opts Options) Report {
	opts = opts.withDefaults()
	report := Report{StartedAt: time.Now()}
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
	results := runChecks(ctx, model, checks, report.Capabilities, opts, progress)
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

// runChecks runs the checks the model supports, at most opts.MaxConcurrency at once, and
// returns their results in the order of checks whatever order they finish in.
func runChecks(ctx context.Context, m Model, checks []Check, capabilities Capabilities, opts Options, progress *progress) []Result {
	env := checkEnv{Interval: opts.ConsistencyInterval}
	slots := make(chan struct{}, opts.MaxConcurrency)
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		if !capabilities.Supports(c.Needs) {
			results[i] = skipped(c.Name, fmt.Sprintf("not supported: the model lacks %s", c.Needs))
			progress.step()
			continue
		}
		wg.Go(func() {
			results[i] = runCheck(ctx, m, c, env, opts.perCallTimeout(c.Timeout), slots)
			progress.step()
		})
	}
	wg.Wait()
	return results
}

// runCheck waits for a free slot, then runs the check under its own deadline.
func runCheck(ctx context.Context, m Model, c Check, env checkEnv, perCall time.Duration, slots chan struct{}) Result {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		result := callFailed(ctx, cost{}, fmt.Errorf("not run: %w", ctx.Err()))
		result.Name = c.Name
		return result
	}
	checkCtx, cancel := context.WithTimeout(ctx, c.deadline(perCall, env))
	defer cancel()
	result := c.run(checkCtx, m, env)
	result.Name = c.Name
	return result
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
