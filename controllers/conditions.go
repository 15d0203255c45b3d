package controllers

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// Condition reasons.
const (
	ReasonPending        = "Pending"
	ReasonRunning        = "Running"
	ReasonCompleted      = "Completed"
	ReasonSuspended      = "Suspended"
	ReasonNotYetRun      = "NotYetRun"
	ReasonAvailable      = "Available"
	ReasonSynced         = "Synced"
	ReasonWriteFailed    = "WriteFailed"
	ReasonMirrorDisabled = "MirrorDisabled"
	ReasonExpired        = "Expired"
)

// ReasonRunRequestIgnored is the Event of a requested-at annotation ignored while suspended.
const ReasonRunRequestIgnored = "RunRequestIgnored"

// pendingConditions are the conditions of an object with no verdict and no run.
func pendingConditions(suspended bool) []metav1.Condition {
	reason, message := ReasonPending, "Waiting for the first certification run"
	if suspended {
		reason, message = ReasonSuspended, "Suspended before the first run"
	}
	return []metav1.Condition{
		{Type: certv1.ConditionCertified, Status: metav1.ConditionUnknown, Reason: ReasonNotYetRun, Message: "No run has completed yet"},
		{Type: certv1.ConditionModelAvailable, Status: metav1.ConditionUnknown, Reason: ReasonNotYetRun, Message: "The model has not been contacted yet"},
		{Type: certv1.ConditionProgressing, Status: metav1.ConditionFalse, Reason: reason, Message: message},
	}
}

// mirrorDisabledCondition is DatabaseSynced without a database; with one, the mirror
// controller writes the condition (syncedCondition).
func mirrorDisabledCondition() metav1.Condition {
	return metav1.Condition{Type: certv1.ConditionDatabaseSynced, Status: metav1.ConditionUnknown,
		Reason: ReasonMirrorDisabled, Message: "The PostgreSQL mirror is off (--database-url is empty)"}
}

// readyCondition is the aggregate kstatus and Argo CD read: True while the last verdict is
// CERTIFIED and valid (a re-certification in progress does not take it away), False otherwise.
func readyCondition(status *certv1.ModelCertificationStatus, suspended bool, now time.Time) metav1.Condition {
	ready := metav1.Condition{Type: certv1.ConditionReady, Status: metav1.ConditionFalse}
	certified := meta.FindStatusCondition(status.Conditions, certv1.ConditionCertified)
	switch {
	case certified != nil && certified.Status == metav1.ConditionTrue && status.ValidUntil != nil && !now.Before(status.ValidUntil.Time):
		ready.Reason, ready.Message = ReasonExpired, "The last certification expired at "+status.ValidUntil.UTC().Format(time.RFC3339)
	case certified != nil && certified.Status == metav1.ConditionTrue:
		ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, certified.Reason, certified.Message
	case certified != nil && certified.Status == metav1.ConditionFalse:
		ready.Reason, ready.Message = certified.Reason, certified.Message
	case status.Phase == certv1.PhaseProcessing:
		ready.Reason, ready.Message = ReasonRunning, "The first certification run is in progress"
	case suspended:
		ready.Reason, ready.Message = ReasonSuspended, "Suspended before the first run"
	default:
		ready.Reason, ready.Message = ReasonPending, "Waiting for the first certification run"
	}
	if status.Phase == certv1.PhaseProcessing && certified != nil && certified.Status != metav1.ConditionUnknown {
		ready.Message += "; a re-certification is in progress"
	}
	return ready
}

// setSummary sets the conditions that sum the object up for readers that know nothing else of
// it: Ready for kubectl wait and Argo CD, and kstatus's abnormal-true pair, Reconciling and
// Stalled, each present only while true, never both.
func setSummary(status *certv1.ModelCertificationStatus, suspended bool, now time.Time) {
	ready := readyCondition(status, suspended, now)
	setConditions(status, ready)
	setAbnormal(status, certv1.ConditionReconciling, reconcilingCondition(status, suspended))
	setAbnormal(status, certv1.ConditionStalled, stalledCondition(status, ready, suspended))
}

// setAbnormal sets an abnormal-true condition, or removes it when nil: kstatus reads its
// absence as normal.
func setAbnormal(status *certv1.ModelCertificationStatus, typ string, c *metav1.Condition) {
	if c == nil {
		meta.RemoveStatusCondition(&status.Conditions, typ)
		return
	}
	setConditions(status, *c)
}

// reconcilingCondition is Reconciling=True while a run is in progress or the first run is due;
// nil otherwise. A spec the controller has not yet observed shows in observedGeneration, which
// kstatus reads first.
func reconcilingCondition(status *certv1.ModelCertificationStatus, suspended bool) *metav1.Condition {
	c := &metav1.Condition{Type: certv1.ConditionReconciling, Status: metav1.ConditionTrue}
	switch {
	case status.Phase == certv1.PhaseProcessing:
		c.Reason, c.Message = ReasonRunning, fmt.Sprintf("Run %s (attempt %d) is in progress", status.RunID, status.Attempt)
	case (status.Phase == "" || status.Phase == certv1.PhasePending) && !suspended:
		c.Reason, c.Message = ReasonPending, "Waiting for the first certification run"
	default:
		return nil
	}
	return c
}

// stalledCondition is Stalled=True when no run is in progress and the object is not Ready
// with nothing more to come: a Failed or QualityWarning verdict (reason the phase, message the
// worst check), an expired one, or a suspension before the first run; nil otherwise. A later
// scheduled run may still change a negative verdict, but until then it is the settled answer,
// and readers that wait on the object must hear it rather than wait for ever.
func stalledCondition(status *certv1.ModelCertificationStatus, ready metav1.Condition, suspended bool) *metav1.Condition {
	if ready.Status == metav1.ConditionTrue || reconcilingCondition(status, suspended) != nil {
		return nil
	}
	c := &metav1.Condition{Type: certv1.ConditionStalled, Status: metav1.ConditionTrue}
	switch {
	case ready.Reason == ReasonExpired:
		c.Reason, c.Message = ReasonExpired, ready.Message
		if suspended {
			c.Message += "; suspended, so no run renews it"
		}
	case status.Phase == certv1.PhaseFailed || status.Phase == certv1.PhaseQualityWarning:
		c.Reason, c.Message = string(status.Phase), worstCheck(status)
	case suspended:
		c.Reason, c.Message = ReasonSuspended, "Suspended before the first run; no run starts until spec.suspend is false"
	default:
		return nil
	}
	return c
}

// worstCheck describes the most severe failed check of the last verdict (failedChecks is
// sorted most severe first), or the verdict when no check failed outright, as when a required
// check was skipped.
func worstCheck(status *certv1.ModelCertificationStatus) string {
	if len(status.FailedChecks) == 0 {
		return verdictMessage(status)
	}
	f := status.FailedChecks[0]
	msg := f.Name + " failed"
	if f.Category != "" {
		msg += " (" + f.Category + ")"
	}
	if f.Message != "" {
		msg += ": " + f.Message
	}
	more := len(status.FailedChecks) - 1
	if status.Checks != nil {
		more = int(status.Checks.Failed) - 1
	}
	if more > 0 {
		msg += fmt.Sprintf("; %d more failed", more)
	}
	return msg
}

// verdictMessage summarises a verdict in one line.
func verdictMessage(status *certv1.ModelCertificationStatus) string {
	msg := fmt.Sprintf("%s: score %.1f, rating %.1f (%s)", status.Phase, deref(status.Score), deref(status.Rating), status.Badge)
	if status.ErrorCategory != "" {
		msg += fmt.Sprintf("; %s: %s", status.ErrorCategory, status.ErrorMessage)
	}
	return shorten(msg, 1024)
}

// setConditions merges conditions into the status; apimachinery keeps lastTransitionTime unless
// a condition's status changes. observedGeneration is stamped by patchStatus, in one place.
func setConditions(status *certv1.ModelCertificationStatus, conditions ...metav1.Condition) {
	for _, c := range conditions {
		meta.SetStatusCondition(&status.Conditions, c)
	}
}

// shorten keeps s within n characters, the mark of a cut included, as a status field's
// maxLength counts them.
func shorten(s string, n int) string { return certify.Ellipsis(s, n-1) }

// falseCondition is a False condition with a reason and message.
func falseCondition(typ, reason, message string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: reason, Message: message}
}
