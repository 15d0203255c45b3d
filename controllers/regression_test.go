package controllers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestRegressionOf(t *testing.T) {
	earlier := metav1.NewTime(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	now := metav1.NewTime(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	failed := func(names ...string) []certv1.FailedCheck {
		var out []certv1.FailedCheck
		for _, n := range names {
			out = append(out, certv1.FailedCheck{Name: n, Category: "QUALITY_ISSUE"})
		}
		return out
	}
	// verdict is a status holding a verdict completed at `at`.
	verdict := func(phase certv1.Phase, badge string, at metav1.Time, failedChecks ...string) certv1.ModelCertificationStatus {
		return certv1.ModelCertificationStatus{Phase: phase, Passed: phase == certv1.PhaseCertified, Badge: badge,
			CompletedAt: &at, FailedChecks: failed(failedChecks...)}
	}
	// rerunning is the status while a new run is in progress: phase Processing, the last
	// verdict's fields and its Certified condition kept.
	rerunning := func(s certv1.ModelCertificationStatus) certv1.ModelCertificationStatus {
		s.Conditions = []metav1.Condition{{Type: certv1.ConditionCertified, Status: metav1.ConditionFalse, Reason: string(s.Phase)}}
		if s.Passed {
			s.Conditions[0].Status = metav1.ConditionTrue
		}
		s.Phase = certv1.PhaseProcessing
		return s
	}
	withRegression := func(s certv1.ModelCertificationStatus, r *certv1.Regression) certv1.ModelCertificationStatus {
		s.Regression = r
		return s
	}
	earlierRegression := &certv1.Regression{At: earlier, FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM"}

	tests := []struct {
		name          string
		before, after certv1.ModelCertificationStatus
		temporary     bool
		want          *certv1.Regression
		wantRegressed bool
	}{
		{name: "first verdict",
			before: certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing},
			after:  verdict(certv1.PhaseFailed, "NOT_RECOMMENDED", now, "basic-prompt")},
		{name: "certified again with the same badge",
			before: rerunning(verdict(certv1.PhaseCertified, "PREMIUM", earlier)),
			after:  verdict(certv1.PhaseCertified, "PREMIUM", now)},
		{name: "certified with a lower badge",
			before: rerunning(verdict(certv1.PhaseCertified, "PREMIUM", earlier)),
			after:  verdict(certv1.PhaseCertified, "RECOMMENDED", now, "system-prompt"),
			want: &certv1.Regression{At: now, FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM",
				Checks: []string{"system-prompt"}},
			wantRegressed: true},
		{name: "certified to quality warning names only the checks that passed before",
			before: rerunning(verdict(certv1.PhaseCertified, "RECOMMENDED", earlier, "vision")),
			after:  verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", now, "tool-use", "vision", "json-output"),
			want: &certv1.Regression{At: now, FromPhase: certv1.PhaseCertified, FromBadge: "RECOMMENDED",
				Checks: []string{"tool-use", "json-output"}},
			wantRegressed: true},
		{name: "certified to failed with a badge no lower still regresses",
			before: rerunning(verdict(certv1.PhaseCertified, "FUNCTIONAL", earlier)),
			after:  verdict(certv1.PhaseFailed, "FUNCTIONAL", now, "availability"),
			want: &certv1.Regression{At: now, FromPhase: certv1.PhaseCertified, FromBadge: "FUNCTIONAL",
				Checks: []string{"availability"}},
			wantRegressed: true},
		{name: "quality warning to failed reads the last phase from the Certified condition",
			before: rerunning(verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", earlier, "tool-use")),
			after:  verdict(certv1.PhaseFailed, "NOT_RECOMMENDED", now, "tool-use", "streaming"),
			want: &certv1.Regression{At: now, FromPhase: certv1.PhaseQualityWarning, FromBadge: "FUNCTIONAL",
				Checks: []string{"streaming"}},
			wantRegressed: true},
		{name: "a higher verdict clears the regression",
			before: withRegression(rerunning(verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", earlier, "tool-use")), earlierRegression),
			after:  verdict(certv1.PhaseCertified, "PREMIUM", now)},
		{name: "an equal verdict clears the regression",
			before: withRegression(rerunning(verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", earlier, "tool-use")), earlierRegression),
			after:  verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", now, "tool-use")},
		{name: "a temporary failure keeps the regression and is none",
			before:    withRegression(rerunning(verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", earlier, "tool-use")), earlierRegression),
			after:     verdict(certv1.PhaseFailed, "NOT_RECOMMENDED", now, "basic-prompt"),
			temporary: true,
			want:      earlierRegression},
		{name: "a temporary failure of a certified model is no regression",
			before:    rerunning(verdict(certv1.PhaseCertified, "PREMIUM", earlier)),
			after:     verdict(certv1.PhaseFailed, "NOT_RECOMMENDED", now, "basic-prompt"),
			temporary: true},
		{name: "a lost run restarted compares with the verdict before it",
			before: func() certv1.ModelCertificationStatus {
				s := rerunning(verdict(certv1.PhaseCertified, "PREMIUM", earlier))
				s.Attempt = 3
				return s
			}(),
			after:         verdict(certv1.PhaseCertified, "LIMITED", now),
			want:          &certv1.Regression{At: now, FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM"},
			wantRegressed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, regressed := regressionOf(&tt.before, &tt.after, tt.temporary)
			if diff := cmp.Diff(tt.want, got); diff != "" || regressed != tt.wantRegressed {
				t.Errorf("regressed = %v, want %v; regression (-want +got):\n%s", regressed, tt.wantRegressed, diff)
			}
		})
	}
}

func TestRegressionMessage(t *testing.T) {
	score, rating := 71.4, 3.9
	status := &certv1.ModelCertificationStatus{RunID: "run-2", Attempt: 2, Phase: certv1.PhaseQualityWarning,
		Score: &score, Rating: &rating, Badge: "FUNCTIONAL", ErrorCategory: "QUALITY_ISSUE", ErrorMessage: "2 checks failed",
		Regression: &certv1.Regression{FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM", Checks: []string{"tool-use", "vision"}}}
	want := "Run run-2 (attempt 2) regressed from Certified (PREMIUM); no longer passing: tool-use, vision; " +
		"now QualityWarning: score 71.4, rating 3.9 (FUNCTIONAL); QUALITY_ISSUE: 2 checks failed"
	if got := regressionMessage(status); got != want {
		t.Errorf("regressionMessage =\n%q, want\n%q", got, want)
	}
}
