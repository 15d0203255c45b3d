package certify

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// budgetChecks are one-call checks that goodModel passes, each call costing 22 tokens.
var budgetChecks = []string{"basic-prompt", "parameters", "error-handling", "multi-turn", "max-tokens", "stop-sequence"}

// TestRunTokenBudget: once a run's usage reaches its budget no further call is made, and every
// check not done is Skipped with a reason naming the budget and the run's final usage. One check
// at a time, checks start in battery order, so the skipped ones are the last.
func TestRunTokenBudget(t *testing.T) {
	tests := []struct {
		name      string
		include   []string
		maxTokens int64
		// calls is the exact number of inference calls; each costs 22 tokens.
		calls   int32
		passed  int
		skipped []string
	}{
		{name: "no budget", include: budgetChecks, calls: 6, passed: 6},
		{name: "budget above the battery's needs", include: budgetChecks, maxTokens: 1000, calls: 6, passed: 6},
		{name: "budget reached exactly", include: budgetChecks, maxTokens: 44, calls: 2, passed: 2, skipped: budgetChecks[2:]},
		{name: "budget reached within a call", include: budgetChecks, maxTokens: 50, calls: 3, passed: 3, skipped: budgetChecks[3:]},
		{name: "budget of one token", include: budgetChecks, maxTokens: 1, calls: 1, passed: 1, skipped: budgetChecks[1:]},
		// The first call spends the budget: the second call of the same check is not made, and
		// the check keeps the usage of the first.
		{name: "budget reached between a check's calls", include: []string{"consistency"}, maxTokens: 1, calls: 1, passed: 0, skipped: []string{"consistency"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := goodModel()
			opts := fastOptions()
			opts.Include, opts.MaxTokens, opts.MaxConcurrency = tc.include, tc.maxTokens, 1
			report := Run(t.Context(), m, opts)

			if got := m.inferenceCalls(); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
			spent := int64(tc.calls) * 22
			if got := report.Usage.InputTokens + report.Usage.OutputTokens; got != spent {
				t.Errorf("usage %d tokens, want %d", got, spent)
			}
			reason := fmt.Sprintf("token budget of %d reached after %d tokens", tc.maxTokens, spent)
			var passed int
			var skipped []string
			for _, r := range report.Results[1:] {
				switch {
				case r.Status == CheckPassed:
					passed++
				case r.Status == CheckSkipped && r.Message == reason && r.Category == CategoryNone:
					skipped = append(skipped, r.Name)
				default:
					t.Errorf("%s: %s %s %q, want Passed or Skipped with %q", r.Name, r.Status, r.Category, r.Message, reason)
				}
			}
			if passed != tc.passed {
				t.Errorf("%d checks passed, want %d", passed, tc.passed)
			}
			if diff := cmp.Diff(skipped, report.BudgetSkipped); diff != "" {
				t.Errorf("budgetSkipped (-skipped results +report):\n%s", diff)
			}
			if diff := cmp.Diff(tc.skipped, skipped); diff != "" {
				t.Errorf("skipped checks (-want +got):\n%s", diff)
			}
			if report.MaxTokens != tc.maxTokens {
				t.Errorf("report maxTokens %d, want %d", report.MaxTokens, tc.maxTokens)
			}
		})
	}
}

// TestRunTokenBudgetInFlight: calls already in flight when the budget is reached finish, so a
// run overshoots by at most MaxConcurrency calls; none starts afterwards.
func TestRunTokenBudgetInFlight(t *testing.T) {
	const concurrency = 4
	var mu sync.Mutex
	inFlight := 0
	allIn := make(chan struct{})
	m := goodModel()
	m.converse = func(ctx context.Context, req Request) (Response, error) {
		// Hold every call until four are in flight: all four were admitted before any spent.
		mu.Lock()
		if inFlight++; inFlight == concurrency {
			close(allIn)
		}
		mu.Unlock()
		select {
		case <-allIn:
		case <-ctx.Done():
			return Response{}, ctx.Err()
		}
		return goodConverse(ctx, req)
	}
	opts := fastOptions()
	opts.Include, opts.MaxTokens, opts.MaxConcurrency = budgetChecks, 1, concurrency
	report := Run(t.Context(), m, opts)

	if got := m.inferenceCalls(); got != concurrency {
		t.Errorf("%d calls, want %d", got, concurrency)
	}
	if got, want := report.Usage, (Usage{InputTokens: 40, OutputTokens: 48}); got != want {
		t.Errorf("usage %+v, want %+v", got, want)
	}
	if len(report.BudgetSkipped) != len(budgetChecks)-concurrency {
		t.Errorf("skipped by the budget: %v, want %d checks", report.BudgetSkipped, len(budgetChecks)-concurrency)
	}
}

// TestJudgeBudgetSkipped: checks skipped by the budget count as skipped (not against the
// model), but a required one that was skipped fails the verdict.
func TestJudgeBudgetSkipped(t *testing.T) {
	m := goodModel()
	opts := fastOptions()
	opts.Include, opts.MaxTokens, opts.MaxConcurrency = budgetChecks, 44, 1
	report := Run(t.Context(), m, opts)

	v := Judge(report.Results, DefaultPolicy)
	if v.Status != VerdictCertified || v.Score != 100 || v.Skipped != 4 {
		t.Errorf("verdict %s, score %v, %d skipped; want CERTIFIED, 100, 4", v.Status, v.Score, v.Skipped)
	}
	required := report.BudgetSkipped[0]
	v = Judge(report.Results, Policy{CertifyScore: 80, WarnScore: 60, RequiredChecks: []string{required}})
	if v.Status != VerdictFailed || v.Category != CategoryQuality {
		t.Errorf("verdict with %s required: %s %s, want FAILED QUALITY_ISSUE", required, v.Status, v.Category)
	}
}
