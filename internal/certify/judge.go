package certify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// DefaultPolicy is the policy a ModelCertification gets when it sets none.
var DefaultPolicy = Policy{CertifyScore: 80, WarnScore: 60}

// Policy sets the score thresholds of a verdict and the checks it cannot do without. Its values
// are taken as they are: a warnScore of 0 is a real choice (never fail on score alone), so there
// are no zero-value defaults.
type Policy struct {
	// CertifyScore is the lowest score that certifies the model.
	CertifyScore float64
	// WarnScore is the lowest score that gives a quality warning instead of a failure.
	WarnScore float64
	// RequiredChecks must pass: one that failed, was skipped or was not run makes the verdict
	// FAILED whatever the score.
	RequiredChecks []string
}

// VerdictStatus is the outcome of a run, in the database's vocabulary.
type VerdictStatus string

// The verdict statuses.
const (
	VerdictCertified      VerdictStatus = "CERTIFIED"
	VerdictQualityWarning VerdictStatus = "QUALITY_WARNING"
	VerdictFailed         VerdictStatus = "FAILED"
)

// Badge summarises a rating for people.
type Badge string

// The badges, best first.
const (
	BadgePremium        Badge = "PREMIUM"
	BadgeRecommended    Badge = "RECOMMENDED"
	BadgeFunctional     Badge = "FUNCTIONAL"
	BadgeLimited        Badge = "LIMITED"
	BadgeNotRecommended Badge = "NOT_RECOMMENDED"
	BadgeUnavailable    Badge = "UNAVAILABLE"
)

// badges lists the badges, best first.
var badges = []Badge{BadgePremium, BadgeRecommended, BadgeFunctional, BadgeLimited, BadgeNotRecommended, BadgeUnavailable}

// Below reports whether b is a lower badge than other, in the order of badges; false when
// either is not a badge.
func (b Badge) Below(other Badge) bool {
	i, j := slices.Index(badges, b), slices.Index(badges, other)
	return i >= 0 && j >= 0 && i > j
}

// badgeThresholds gives the lowest rating of each badge, best first.
var badgeThresholds = []struct {
	rating float64
	badge  Badge
}{
	{4.8, BadgePremium}, {4.0, BadgeRecommended}, {3.0, BadgeFunctional}, {2.0, BadgeLimited}, {1.0, BadgeNotRecommended},
}

// maxFailedChecks keeps the verdict small enough for an object's status.
const maxFailedChecks = 10

// FailedCheck is a failed check as the verdict reports it.
type FailedCheck struct {
	Name     string        `json:"name"`
	Category ErrorCategory `json:"category,omitempty"`
	Message  string        `json:"message,omitempty"`
}

// Verdict is the judgement of a run.
type Verdict struct {
	// Passed is true when the model is certified.
	Passed bool `json:"passed"`
	// Score is the percentage of run (not skipped) checks that passed, to one decimal.
	Score  float64       `json:"score"`
	Status VerdictStatus `json:"status"`
	// Rating is 0 to 5, to one decimal.
	Rating float64 `json:"rating"`
	Badge  Badge   `json:"badge"`
	// Category is the most severe category among the results; CategoryNone when all passed.
	// A required check that was skipped or not run adds QUALITY_ISSUE.
	Category ErrorCategory `json:"category,omitempty"`
	// Temporary reports that every failure of a run that did not certify was temporary
	// (throttling that outlasted the retries, timeouts, network, 5xx, a model not ready): the
	// status is FAILED with the failures' category, no judgement of quality is made, and the
	// next run should come soon.
	Temporary bool `json:"temporary"`
	// Message is a short summary for people.
	Message     string `json:"message"`
	Total       int    `json:"total"`
	PassedCount int    `json:"passedCount"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	// AvgLatency is the mean latency of the passed checks; JSON gives it as avgLatencyMs.
	AvgLatency time.Duration `json:"-"`
	// FailedChecks lists at most 10 failed checks, most severe first, then in battery order.
	FailedChecks []FailedCheck `json:"failedChecks,omitempty"`
}

// MarshalJSON writes the verdict with its latency in milliseconds, as results have it.
func (v Verdict) MarshalJSON() ([]byte, error) {
	type plain Verdict // drops this method, so that encoding does not recurse
	return json.Marshal(struct {
		plain
		AvgLatencyMs int64 `json:"avgLatencyMs"`
	}{plain(v), v.AvgLatency.Milliseconds()})
}

// Judge turns check results into a verdict. It is a pure function of its arguments.
//
// The score is passed / (total − skipped) × 100. The rating is
// success×0.5 + resilience + performance + stability, where, over the checks that ran
// (skipped ones excluded, as for the score):
//   - success = passed / ran × 4;
//   - resilience = max(0.5, 1 − min(mean retries, 6)/6 × 0.5);
//   - performance = 1.0, 0.7, 0.4 or 0.2 as the mean latency of passed checks is under 2 s,
//     5 s, 10 s or more, and 0 when no check passed (nothing was measured);
//   - stability = 1 − failed / ran.
//
// The status is FAILED for a critical category or an unmet required check, else it follows
// the score and the policy's thresholds. A run that did not certify and whose failures were all
// temporary is FAILED and marked Temporary instead of being judged on quality. The badge
// follows the rating, capped by the status: PREMIUM only with every run check passed,
// QUALITY_WARNING at most FUNCTIONAL, FAILED at most NOT_RECOMMENDED, a critical category
// UNAVAILABLE.
//
// When no inference check ran (every result is skipped, bar possibly availability) nothing was
// learned about the model: the verdict is FAILED with rating 0 and badge UNAVAILABLE, and its
// category is the worst found, or UNAVAILABLE.
func Judge(results []Result, policy Policy) Verdict {
	v := Verdict{Total: len(results)}
	var passedLatency time.Duration
	var retries int
	allTemporary := true
	for _, r := range results {
		switch r.Status {
		case CheckPassed:
			v.PassedCount++
			passedLatency += r.Latency
		case CheckFailed:
			v.Failed++
			allTemporary = allTemporary && r.Temporary
		default:
			v.Skipped++
			continue
		}
		retries += r.Retries
		v.Category = MostSevere(v.Category, r.Category)
	}
	ran := v.Total - v.Skipped
	if v.PassedCount > 0 {
		v.AvgLatency = passedLatency / time.Duration(v.PassedCount)
	}
	if ran > 0 {
		v.Score = roundTenth(float64(v.PassedCount*100) / float64(ran))
	}
	v.FailedChecks = failedChecks(results)
	v.Message = summary(v, ran)
	unmet, unmetWithoutFailing := unmetRequired(results, policy.RequiredChecks)
	v.Temporary = v.Failed > 0 && allTemporary && !unmetWithoutFailing

	if !inferenceRan(results) {
		v.Status, v.Badge = VerdictFailed, BadgeUnavailable
		if v.Category == CategoryNone {
			v.Category = CategoryUnavailable
		}
		if ran == 0 {
			v.Message = "no check was run"
		}
		return v
	}

	success := float64(v.PassedCount) / float64(ran) * 4
	resilience := math.Max(0.5, 1-math.Min(float64(retries)/float64(ran), 6)/6*0.5)
	stability := 1 - float64(v.Failed)/float64(ran)
	v.Rating = min(max(roundTenth(success*0.5+resilience+performance(v.PassedCount, v.AvgLatency)+stability), 0), 5)

	switch {
	case v.Category.Critical():
		v.Status = VerdictFailed
	case len(unmet) > 0:
		v.Status = VerdictFailed
		if unmetWithoutFailing {
			v.Category = MostSevere(v.Category, CategoryQuality)
		}
		v.Message = shorten(fmt.Sprintf("required %s; %s", strings.Join(unmet, ", "), v.Message))
	case v.Score >= policy.CertifyScore:
		v.Status = VerdictCertified
	case v.Score >= policy.WarnScore:
		v.Status = VerdictQualityWarning
	default:
		v.Status = VerdictFailed
	}
	if v.Status == VerdictCertified {
		v.Temporary = false
	}
	if v.Temporary {
		v.Status = VerdictFailed
		v.Message = shorten("temporary failure, no quality verdict: " + v.Message)
	}
	v.Passed = v.Status == VerdictCertified
	v.Badge = capBadge(badgeFor(v.Rating), v)
	return v
}

// unmetRequired describes each required check that did not pass ("tool-use failed"), and
// reports whether any of them was skipped or not run rather than failed.
func unmetRequired(results []Result, required []string) (unmet []string, withoutFailing bool) {
	for _, name := range required {
		i := slices.IndexFunc(results, func(r Result) bool { return r.Name == name })
		switch {
		case i < 0:
			unmet, withoutFailing = append(unmet, name+" not run"), true
		case results[i].Status == CheckFailed:
			unmet = append(unmet, name+" failed")
		case results[i].Status == CheckSkipped:
			unmet, withoutFailing = append(unmet, name+" skipped"), true
		}
	}
	return unmet, withoutFailing
}

// capBadge keeps a badge within what the verdict allows.
func capBadge(b Badge, v Verdict) Badge {
	ceiling := BadgePremium
	switch {
	case v.Category.Critical():
		ceiling = BadgeUnavailable
	case v.Status == VerdictFailed:
		ceiling = BadgeNotRecommended
	case v.Status == VerdictQualityWarning:
		ceiling = BadgeFunctional
	case v.Failed > 0:
		ceiling = BadgeRecommended
	}
	if ceiling.Below(b) {
		return ceiling
	}
	return b
}

// inferenceRan reports whether any check other than availability was run.
func inferenceRan(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool {
		return r.Name != CheckAvailability && r.Status != CheckSkipped
	})
}

// performance scores the mean latency of the passed checks.
func performance(passed int, mean time.Duration) float64 {
	switch {
	case passed == 0:
		return 0
	case mean < 2*time.Second:
		return 1.0
	case mean < 5*time.Second:
		return 0.7
	case mean < 10*time.Second:
		return 0.4
	}
	return 0.2
}

func badgeFor(rating float64) Badge {
	for _, t := range badgeThresholds {
		if rating >= t.rating {
			return t.badge
		}
	}
	return BadgeUnavailable
}

// failedChecks lists the failed results, most severe first, keeping battery order among equals.
func failedChecks(results []Result) []FailedCheck {
	var failed []FailedCheck
	for _, r := range results {
		if r.Status == CheckFailed {
			failed = append(failed, FailedCheck{Name: r.Name, Category: r.Category, Message: r.Message})
		}
	}
	slices.SortStableFunc(failed, func(a, b FailedCheck) int {
		return cmp.Compare(b.Category.Severity(), a.Category.Severity())
	})
	if len(failed) > maxFailedChecks {
		failed = failed[:maxFailedChecks]
	}
	return failed
}

// summary says how many checks passed and, if any failed, why the worst one did.
func summary(v Verdict, ran int) string {
	counts := fmt.Sprintf("%d of %d checks passed", v.PassedCount, ran)
	if v.Skipped > 0 {
		counts += fmt.Sprintf(" (%d skipped)", v.Skipped)
	}
	if len(v.FailedChecks) == 0 {
		return counts
	}
	worst := v.FailedChecks[0]
	return shorten(fmt.Sprintf("%s; worst: %s (%s): %s", counts, worst.Name, worst.Category, worst.Message))
}

func roundTenth(x float64) float64 {
	return math.Round(x*10) / 10
}
