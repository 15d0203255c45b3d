package controllers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// ReasonRegressed is the reason of the Event of a verdict lower than the one before it.
const ReasonRegressed = "Regressed"

// maxRegressionChecks is the API's bound on status.regression.checks.
const maxRegressionChecks = 16

// regressionOf compares the verdict after, as finishRun recorded it, with the verdict the
// status before it held, and returns the status.regression to keep and whether the new verdict
// is a regression: a Certified object whose new verdict is not, or a lower badge. A verdict that
// is not lower clears it; a temporary failure judges nothing about quality, so it neither sets
// nor clears it.
func regressionOf(before, after *certv1.ModelCertificationStatus, temporary bool) (*certv1.Regression, bool) {
	if temporary {
		return before.Regression, false
	}
	if before.CompletedAt == nil {
		return nil, false
	}
	fromPhase := verdictPhase(before)
	lower := fromPhase == certv1.PhaseCertified && after.Phase != certv1.PhaseCertified ||
		certify.Badge(after.Badge).Below(certify.Badge(before.Badge))
	if !lower {
		return nil, false
	}
	r := &certv1.Regression{At: *after.CompletedAt, FromPhase: fromPhase, FromBadge: before.Badge}
	for _, f := range after.FailedChecks {
		failedBefore := slices.ContainsFunc(before.FailedChecks, func(b certv1.FailedCheck) bool { return b.Name == f.Name })
		if !failedBefore && !slices.Contains(r.Checks, f.Name) && len(r.Checks) < maxRegressionChecks {
			r.Checks = append(r.Checks, f.Name)
		}
	}
	return r, true
}

// verdictPhase is the phase of the last verdict a status holds, also while a new run is in
// progress (phase Processing): the Certified condition's reason names it. Empty when unknown.
func verdictPhase(status *certv1.ModelCertificationStatus) certv1.Phase {
	switch status.Phase {
	case certv1.PhaseCertified, certv1.PhaseQualityWarning, certv1.PhaseFailed:
		return status.Phase
	}
	if status.Passed {
		return certv1.PhaseCertified
	}
	if c := meta.FindStatusCondition(status.Conditions, certv1.ConditionCertified); c != nil {
		switch p := certv1.Phase(c.Reason); p {
		case certv1.PhaseQualityWarning, certv1.PhaseFailed:
			return p
		}
	}
	return ""
}

// regressionMessage is the note of the Regressed Event: what the verdict fell from, to what,
// and the checks that passed before and do not now.
func regressionMessage(status *certv1.ModelCertificationStatus) string {
	r := status.Regression
	msg := fmt.Sprintf("Run %s (attempt %d) regressed from %s (%s)", status.RunID, status.Attempt, r.FromPhase, r.FromBadge)
	if len(r.Checks) > 0 {
		msg += "; no longer passing: " + strings.Join(r.Checks, ", ")
	}
	return shorten(msg+"; now "+verdictMessage(status), 1024)
}
