package controllers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// maxFailedChecks keeps status small; the full results go to certification_runs.
const maxFailedChecks = 10

// apiTime is t as the API server stores it: metav1.Time serialises whole seconds, so keeping
// more in memory would make every read-back differ from what was written.
func apiTime(t time.Time) *metav1.Time {
	v := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &v
}

// startRun moves the status to a new run.
func startRun(status *certv1.ModelCertificationStatus, runID, specHash string, now time.Time, checks int) {
	status.Phase = certv1.PhaseProcessing
	status.RunID = runID
	status.SpecHash = specHash
	status.Attempt++
	status.StartedAt = apiTime(now)
	status.Progress = &certv1.Progress{Done: 0, Total: int32(checks)}
	status.NextRunAt = nil
	setConditions(status, metav1.Condition{Type: certv1.ConditionProgressing, Status: metav1.ConditionTrue,
		Reason: ReasonRunning, Message: fmt.Sprintf("Run %s (attempt %d) is in progress", runID, status.Attempt)})
}

// judgementPolicy is the policy a spec sets for judging its runs.
func judgementPolicy(p *certv1.CertificationPolicy) certify.Policy {
	certifyScore, warnScore := p.Thresholds()
	policy := certify.Policy{CertifyScore: float64(certifyScore), WarnScore: float64(warnScore)}
	for _, name := range p.RequiredChecks {
		policy.RequiredChecks = append(policy.RequiredChecks, string(name))
	}
	return policy
}

// finishRun records the verdict of the run in status.
func finishRun(status *certv1.ModelCertificationStatus, spec *certv1.ModelCertificationSpec, report certify.Report, verdict certify.Verdict) {
	switch verdict.Status {
	case certify.VerdictCertified:
		status.Phase = certv1.PhaseCertified
	case certify.VerdictQualityWarning:
		status.Phase = certv1.PhaseQualityWarning
	default:
		status.Phase = certv1.PhaseFailed
	}
	status.Passed = verdict.Passed
	status.Score, status.Rating = &verdict.Score, &verdict.Rating
	status.Badge = string(verdict.Badge)
	status.ErrorCategory = string(verdict.Category)
	status.ErrorMessage = ""
	if verdict.Category != certify.CategoryNone {
		status.ErrorMessage = shorten(verdict.Message, 1024)
	}
	status.Checks = &certv1.CheckCounts{Total: int32(verdict.Total), Passed: int32(verdict.PassedCount),
		Failed: int32(verdict.Failed), Skipped: int32(verdict.Skipped)}
	status.FailedChecks = nil
	for _, f := range verdict.FailedChecks[:min(len(verdict.FailedChecks), maxFailedChecks)] {
		status.FailedChecks = append(status.FailedChecks, certv1.FailedCheck{
			Name: f.Name, Category: string(f.Category), Message: shorten(f.Message, 256)})
	}
	status.Progress = nil
	status.Usage = &certv1.Usage{InputTokens: report.Usage.InputTokens, OutputTokens: report.Usage.OutputTokens,
		MaxTokens: report.MaxTokens, BudgetSkippedChecks: report.BudgetSkipped}
	status.CompletedAt = apiTime(report.CompletedAt)
	status.DurationMs = report.CompletedAt.Sub(report.StartedAt).Milliseconds()
	if verdict.Status == certify.VerdictCertified {
		status.LastCertifiedAt = status.CompletedAt
	}
	if verdict.Temporary {
		status.ConsecutiveTemporaryFailures++
	} else {
		status.ConsecutiveTemporaryFailures = 0
	}
	status.Capabilities = nil
	for _, c := range report.Capabilities {
		status.Capabilities = append(status.Capabilities, certv1.CapabilityStatus{
			Name: string(c.Name), Supported: c.Supported, Source: string(c.Source), Reason: shorten(c.Reason, 256)})
	}
	schedule(status, spec)

	certified := metav1.Condition{Type: certv1.ConditionCertified, Status: metav1.ConditionFalse,
		Reason: string(status.Phase), Message: verdictMessage(status)}
	if verdict.Passed {
		certified.Status = metav1.ConditionTrue
	}
	setConditions(status,
		certified,
		modelAvailableCondition(report),
		idleCondition(status, spec.Suspend),
	)
}

// idleCondition is Progressing with no run in progress: completed, or suspended.
func idleCondition(status *certv1.ModelCertificationStatus, suspended bool) metav1.Condition {
	if suspended {
		return falseCondition(certv1.ConditionProgressing, ReasonSuspended, "Suspended: no new run starts")
	}
	return falseCondition(certv1.ConditionProgressing, ReasonCompleted,
		fmt.Sprintf("Run %s completed in %dms", status.RunID, status.DurationMs))
}

// schedule derives validUntil and nextRunAt from the last completed run and the spec, so that
// edits to validFor, recertifyAfter or suspend show at once without a new run.
func schedule(status *certv1.ModelCertificationStatus, spec *certv1.ModelCertificationSpec) {
	if status.CompletedAt == nil {
		return
	}
	status.ValidUntil = apiTime(status.CompletedAt.Add(spec.Validity()))
	status.NextRunAt = nil
	if next, ok := nextRunAt(&certv1.ModelCertification{Spec: *spec, Status: *status}); ok &&
		!spec.Suspend && status.Phase != certv1.PhaseProcessing {
		status.NextRunAt = apiTime(next)
	}
}

// modelAvailableCondition reads the availability check of a report.
func modelAvailableCondition(report certify.Report) metav1.Condition {
	c := metav1.Condition{Type: certv1.ConditionModelAvailable, Status: metav1.ConditionUnknown,
		Reason: ReasonNotYetRun, Message: "The availability check did not run"}
	for _, r := range report.Results {
		if r.Name != certify.CheckAvailability {
			continue
		}
		if r.Status == certify.CheckPassed {
			c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonAvailable, "The model is offered and this account may invoke it"
		} else {
			c.Status, c.Reason, c.Message = metav1.ConditionFalse, reasonFor(r.Category), shorten(r.Message, 1024)
		}
	}
	return c
}

// reasonFor turns a category (UPPER_SNAKE) into a condition reason (CamelCase).
func reasonFor(category certify.ErrorCategory) string {
	if category == certify.CategoryNone {
		return "Unknown"
	}
	out := make([]byte, 0, len(category))
	upper := true
	for _, ch := range []byte(category) {
		switch {
		case ch == '_':
			upper = true
		case upper:
			out = append(out, ch)
			upper = false
		default:
			out = append(out, ch+('a'-'A'))
		}
	}
	return string(out)
}
