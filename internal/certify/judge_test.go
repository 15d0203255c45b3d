package certify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// results builds a run: availability passed, then n checks of each kind given.
type resultSpec struct {
	n         int
	status    CheckStatus
	latency   time.Duration
	category  ErrorCategory
	errored   bool
	retries   int
	temporary bool
}

func passedSpec(n int, latency time.Duration) resultSpec {
	return resultSpec{n: n, status: CheckPassed, latency: latency}
}

func failedSpec(n int, category ErrorCategory) resultSpec {
	return resultSpec{n: n, status: CheckFailed, category: category, errored: category != CategoryQuality}
}

func skippedSpec(n int) resultSpec { return resultSpec{n: n, status: CheckSkipped} }

func buildResults(specs ...resultSpec) []Result {
	var out []Result
	for _, s := range specs {
		for range s.n {
			out = append(out, Result{
				Name: fmt.Sprintf("check-%d", len(out)), Status: s.status, Latency: s.latency,
				Category: s.category, Errored: s.errored, Retries: s.retries, Temporary: s.temporary, Message: "why " + string(s.category),
			})
		}
	}
	return out
}

// verdictSummary is the part of a verdict the table asserts; messages and lists are tested apart.
type verdictSummary struct {
	Passed                              bool
	Score                               float64
	Status                              VerdictStatus
	Rating                              float64
	Badge                               Badge
	Category                            ErrorCategory
	Total, PassedCount, Failed, Skipped int
}

func summariseVerdict(v Verdict) verdictSummary {
	return verdictSummary{v.Passed, v.Score, v.Status, v.Rating, v.Badge, v.Category, v.Total, v.PassedCount, v.Failed, v.Skipped}
}

func TestJudge(t *testing.T) {
	fast := 1300 * time.Millisecond
	retried := func(s resultSpec, retries int) resultSpec { s.retries = retries; return s }
	tests := []struct {
		name    string
		results []Result
		policy  Policy
		want    verdictSummary
	}{
		{"7 of 7 fast, clean", buildResults(passedSpec(7, fast)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 5.0, BadgePremium, CategoryNone, 7, 7, 0, 0}},
		{"skipped checks do not count", buildResults(passedSpec(5, fast), skippedSpec(2)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 5.0, BadgePremium, CategoryNone, 7, 5, 0, 2}},
		{"critical category despite a high score", buildResults(passedSpec(9, fast), failedSpec(1, CategoryPermission)), DefaultPolicy,
			// success 0.9×4×0.5 + resilience 1 + performance 1 + stability 0.9; critical: UNAVAILABLE
			verdictSummary{false, 90, VerdictFailed, 4.7, BadgeUnavailable, CategoryPermission, 10, 9, 1, 0}},
		{"score exactly 80 certifies", buildResults(passedSpec(4, fast), failedSpec(1, CategoryQuality)), DefaultPolicy,
			// 1.6 + 1 + 1 + stability 0.8: a wrong answer counts against stability too
			verdictSummary{true, 80, VerdictCertified, 4.4, BadgeRecommended, CategoryQuality, 5, 4, 1, 0}},
		{"score exactly 60 warns", buildResults(passedSpec(3, fast), failedSpec(2, CategoryQuality)), DefaultPolicy,
			// 3.8 would be RECOMMENDED; a warning is at most FUNCTIONAL
			verdictSummary{false, 60, VerdictQualityWarning, 3.8, BadgeFunctional, CategoryQuality, 5, 3, 2, 0}},
		{"score 71.4 warns", buildResults(passedSpec(5, fast), failedSpec(2, CategoryQuality)), DefaultPolicy,
			verdictSummary{false, 71.4, VerdictQualityWarning, 4.1, BadgeFunctional, CategoryQuality, 7, 5, 2, 0}},
		{"score 57.1 fails", buildResults(passedSpec(4, fast), failedSpec(3, CategoryQuality)), DefaultPolicy,
			// 3.7 would be FUNCTIONAL; a failure is at most NOT_RECOMMENDED
			verdictSummary{false, 57.1, VerdictFailed, 3.7, BadgeNotRecommended, CategoryQuality, 7, 4, 3, 0}},
		{"stricter policy", buildResults(passedSpec(4, fast), failedSpec(1, CategoryQuality)), Policy{CertifyScore: 90, WarnScore: 80},
			verdictSummary{false, 80, VerdictQualityWarning, 4.4, BadgeFunctional, CategoryQuality, 5, 4, 1, 0}},
		{"warnScore 0 never fails on score alone", buildResults(passedSpec(1, fast), failedSpec(4, CategoryQuality)), Policy{CertifyScore: 80, WarnScore: 0},
			// 0.4 + 1 + 1 + 0.2
			verdictSummary{false, 20, VerdictQualityWarning, 2.6, BadgeLimited, CategoryQuality, 5, 1, 4, 0}},
		{"mean latency exactly 2 s", buildResults(passedSpec(7, 2*time.Second)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.7, BadgeRecommended, CategoryNone, 7, 7, 0, 0}},
		{"mean latency 4.9 s", buildResults(passedSpec(7, 4900*time.Millisecond)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.7, BadgeRecommended, CategoryNone, 7, 7, 0, 0}},
		{"mean latency 7 s", buildResults(passedSpec(7, 7*time.Second)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.4, BadgeRecommended, CategoryNone, 7, 7, 0, 0}},
		{"mean latency 10 s", buildResults(passedSpec(7, 10*time.Second)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.2, BadgeRecommended, CategoryNone, 7, 7, 0, 0}},
		{"latency of failed checks ignored", buildResults(passedSpec(4, fast), resultSpec{n: 1, status: CheckFailed, latency: time.Minute, category: CategoryQuality}), DefaultPolicy,
			verdictSummary{true, 80, VerdictCertified, 4.4, BadgeRecommended, CategoryQuality, 5, 4, 1, 0}},
		{"three retries on average", buildResults(retried(passedSpec(7, fast), 3)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.8, BadgePremium, CategoryNone, 7, 7, 0, 0}},
		{"retries beyond six count as six", buildResults(retried(passedSpec(7, fast), 20)), DefaultPolicy,
			verdictSummary{true, 100, VerdictCertified, 4.5, BadgeRecommended, CategoryNone, 7, 7, 0, 0}},
		{"timeouts lower stability", buildResults(passedSpec(4, fast), failedSpec(1, CategoryTimeout)), DefaultPolicy,
			verdictSummary{true, 80, VerdictCertified, 4.4, BadgeRecommended, CategoryTimeout, 5, 4, 1, 0}},
		{"functional", buildResults(passedSpec(3, 7*time.Second), failedSpec(2, CategoryTimeout)), DefaultPolicy,
			// 1.2 + 1 + 0.4 + 0.6
			verdictSummary{false, 60, VerdictQualityWarning, 3.2, BadgeFunctional, CategoryTimeout, 5, 3, 2, 0}},
		{"limited", buildResults(passedSpec(2, 12*time.Second), failedSpec(3, CategoryNetwork)), DefaultPolicy,
			// 0.8 + 1 + 0.2 + 0.4 would be LIMITED; a failure is at most NOT_RECOMMENDED
			verdictSummary{false, 40, VerdictFailed, 2.4, BadgeNotRecommended, CategoryNetwork, 5, 2, 3, 0}},
		{"nothing passed", buildResults(failedSpec(5, CategoryUnknown)), DefaultPolicy,
			// 0 + 1 + 0 + 0
			verdictSummary{false, 0, VerdictFailed, 1.0, BadgeNotRecommended, CategoryUnknown, 5, 0, 5, 0}},
		{"nothing passed after many retries", buildResults(retried(failedSpec(5, CategoryRateLimit), 6)), DefaultPolicy,
			verdictSummary{false, 0, VerdictFailed, 0.5, BadgeUnavailable, CategoryRateLimit, 5, 0, 5, 0}},
		{"all skipped", buildResults(skippedSpec(14)), DefaultPolicy,
			verdictSummary{false, 0, VerdictFailed, 0, BadgeUnavailable, CategoryUnavailable, 14, 0, 0, 14}},
		{"no results", nil, DefaultPolicy,
			verdictSummary{false, 0, VerdictFailed, 0, BadgeUnavailable, CategoryUnavailable, 0, 0, 0, 0}},
		{"model unavailable: only availability ran", append(
			[]Result{{Name: CheckAvailability, Status: CheckFailed, Category: CategoryPermission, Errored: true}},
			buildResults(skippedSpec(13))...), DefaultPolicy,
			verdictSummary{false, 0, VerdictFailed, 0, BadgeUnavailable, CategoryPermission, 14, 0, 1, 13}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summariseVerdict(Judge(tt.results, tt.policy))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
				t.Errorf("Judge() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeDetails(t *testing.T) {
	results := []Result{
		{Name: "availability", Status: CheckPassed, Latency: time.Second},
		{Name: "basic-prompt", Status: CheckFailed, Category: CategoryQuality, Message: "empty answer"},
		{Name: "streaming", Status: CheckPassed, Latency: 2 * time.Second},
		{Name: "parameters", Status: CheckFailed, Category: CategoryUnknown, Errored: true, Message: "boom"},
		{Name: "consistency", Status: CheckFailed, Category: CategoryRateLimit, Errored: true, Message: "throttled"},
		{Name: "vision", Status: CheckSkipped, Message: "not supported: the model lacks vision"},
		{Name: "json-output", Status: CheckFailed, Category: CategoryQuality, Message: "not JSON"},
	}
	got := Judge(results, DefaultPolicy)
	want := Verdict{
		// Rating, rounded once at the end: success 2/6×4×0.5 + resilience 1 + performance 1
		// + stability (1 − 4/6) = 3.0; FAILED caps the badge.
		Score: 33.3, Status: VerdictFailed, Rating: 3.0, Badge: BadgeNotRecommended, Category: CategoryRateLimit,
		Message: "2 of 6 checks passed (1 skipped); worst: consistency (RATE_LIMIT): throttled",
		Total:   7, PassedCount: 2, Failed: 4, Skipped: 1, AvgLatency: 1500 * time.Millisecond,
		FailedChecks: []FailedCheck{
			{Name: "consistency", Category: CategoryRateLimit, Message: "throttled"},
			{Name: "basic-prompt", Category: CategoryQuality, Message: "empty answer"},
			{Name: "json-output", Category: CategoryQuality, Message: "not JSON"},
			{Name: "parameters", Category: CategoryUnknown, Message: "boom"},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("Judge() (-want +got):\n%s", diff)
	}
}

func TestJudgeCapsFailedChecks(t *testing.T) {
	results := buildResults(failedSpec(11, CategoryQuality), failedSpec(1, CategoryTimeout))
	got := Judge(results, DefaultPolicy).FailedChecks
	if len(got) != maxFailedChecks {
		t.Fatalf("%d failed checks listed, want %d", len(got), maxFailedChecks)
	}
	if got[0].Name != "check-11" || got[1].Name != "check-0" || got[9].Name != "check-8" {
		t.Errorf("failed checks %v: want the timeout first, then battery order", got)
	}
}

func TestJudgeMessages(t *testing.T) {
	tests := []struct {
		name    string
		results []Result
		want    string
	}{
		{"all passed", buildResults(passedSpec(7, time.Second)), "7 of 7 checks passed"},
		{"nothing run", buildResults(skippedSpec(3)), "no check was run"},
		{"unavailable", append([]Result{{Name: CheckAvailability, Status: CheckFailed, Category: CategoryPermission, Errored: true, Message: "model is not accessible"}}, buildResults(skippedSpec(2))...),
			"0 of 1 checks passed (2 skipped); worst: availability (PERMISSION_ERROR): model is not accessible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Judge(tt.results, DefaultPolicy).Message; got != tt.want {
				t.Errorf("message %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVerdictJSON(t *testing.T) {
	v := Judge(append(buildResults(passedSpec(3, 1500*time.Millisecond)), Result{Name: "vision", Status: CheckFailed, Category: CategoryQuality, Message: "blue"}), DefaultPolicy)
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"passed":false,"score":75,"status":"QUALITY_WARNING","rating":4.3,"badge":"FUNCTIONAL","category":"QUALITY_ISSUE","temporary":false,` +
		`"message":"3 of 4 checks passed; worst: vision (QUALITY_ISSUE): blue","total":4,"passedCount":3,"failed":1,"skipped":0,` +
		`"failedChecks":[{"name":"vision","category":"QUALITY_ISSUE","message":"blue"}],"avgLatencyMs":1500}`
	if string(data) != want {
		t.Errorf("JSON\n got %s\nwant %s", data, want)
	}
}

// named gives the last result its name, for policies that name checks.
func named(results []Result, name string) []Result {
	results[len(results)-1].Name = name
	return results
}

func temporarySpec(n int, category ErrorCategory) resultSpec {
	s := failedSpec(n, category)
	s.temporary = true
	return s
}

// TestJudgeVerdictRules covers what the table above does not show: the badge's caps, required
// checks and temporary failures.
func TestJudgeVerdictRules(t *testing.T) {
	fast := time.Second
	requireToolUse := Policy{CertifyScore: 80, WarnScore: 60, RequiredChecks: []string{"tool-use"}}
	type want struct {
		status    VerdictStatus
		badge     Badge
		category  ErrorCategory
		temporary bool
		message   string // a prefix
	}
	tests := []struct {
		name    string
		results []Result
		policy  Policy
		want    want
	}{
		// 13/14 rates 4.8: PREMIUM by the number, but a failed check rules it out.
		{"one failure of 14 is not premium", buildResults(passedSpec(13, fast), failedSpec(1, CategoryQuality)), DefaultPolicy,
			want{VerdictCertified, BadgeRecommended, CategoryQuality, false, "13 of 14 checks passed"}},
		{"every check passed is premium", buildResults(passedSpec(13, fast), skippedSpec(1)), DefaultPolicy,
			want{VerdictCertified, BadgePremium, CategoryNone, false, "13 of 13 checks passed (1 skipped)"}},
		{"throttled beyond retries", buildResults(passedSpec(3, fast), temporarySpec(4, CategoryRateLimit)), DefaultPolicy,
			want{VerdictFailed, BadgeNotRecommended, CategoryRateLimit, true, "temporary failure, no quality verdict: 3 of 7 checks passed"}},
		{"5xx is temporary under UNKNOWN_ERROR", buildResults(passedSpec(2, fast), temporarySpec(5, CategoryUnknown)), DefaultPolicy,
			want{VerdictFailed, BadgeNotRecommended, CategoryUnknown, true, "temporary failure"}},
		// A score in the warning band from temporary failures alone says nothing of quality.
		{"temporary failures do not warn", buildResults(passedSpec(7, fast), temporarySpec(3, CategoryTimeout)), DefaultPolicy,
			want{VerdictFailed, BadgeNotRecommended, CategoryTimeout, true, "temporary failure"}},
		{"a temporary failure within a certified run", buildResults(passedSpec(13, fast), temporarySpec(1, CategoryRateLimit)), DefaultPolicy,
			want{VerdictCertified, BadgeRecommended, CategoryRateLimit, false, "13 of 14 checks passed"}},
		{"a wrong answer among temporary failures", buildResults(passedSpec(3, fast), temporarySpec(3, CategoryRateLimit), failedSpec(1, CategoryQuality)), DefaultPolicy,
			want{VerdictFailed, BadgeNotRecommended, CategoryRateLimit, false, "3 of 7 checks passed"}},
		{"required check failed despite the score", named(buildResults(passedSpec(13, fast), failedSpec(1, CategoryQuality)), "tool-use"), requireToolUse,
			want{VerdictFailed, BadgeNotRecommended, CategoryQuality, false, "required tool-use failed; 13 of 14 checks passed"}},
		{"required check skipped", named(buildResults(passedSpec(13, fast), skippedSpec(1)), "tool-use"), requireToolUse,
			want{VerdictFailed, BadgeNotRecommended, CategoryQuality, false, "required tool-use skipped; 13 of 13 checks passed (1 skipped)"}},
		{"required check not run", buildResults(passedSpec(13, fast)), requireToolUse,
			want{VerdictFailed, BadgeNotRecommended, CategoryQuality, false, "required tool-use not run"}},
		{"required check failed for a temporary reason", named(buildResults(passedSpec(13, fast), temporarySpec(1, CategoryRateLimit)), "tool-use"), requireToolUse,
			want{VerdictFailed, BadgeNotRecommended, CategoryRateLimit, true, "temporary failure, no quality verdict: required tool-use failed"}},
		{"required check passed", named(buildResults(passedSpec(14, fast)), "tool-use"), requireToolUse,
			want{VerdictCertified, BadgePremium, CategoryNone, false, "14 of 14 checks passed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.results, tt.policy)
			got := want{v.Status, v.Badge, v.Category, v.Temporary, tt.want.message}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" || !strings.HasPrefix(v.Message, tt.want.message) {
				t.Errorf("Judge() rating %v, message %q (-want +got):\n%s", v.Rating, v.Message, diff)
			}
		})
	}
}

func TestBadgeBelow(t *testing.T) {
	tests := []struct {
		b, other Badge
		want     bool
	}{
		{BadgeRecommended, BadgePremium, true},
		{BadgeUnavailable, BadgeNotRecommended, true},
		{BadgePremium, BadgeRecommended, false},
		{BadgeFunctional, BadgeFunctional, false},
		{"", BadgePremium, false},
		{BadgeLimited, "GOLD", false},
	}
	for _, tt := range tests {
		if got := tt.b.Below(tt.other); got != tt.want {
			t.Errorf("%q.Below(%q) = %v, want %v", tt.b, tt.other, got, tt.want)
		}
	}
}
