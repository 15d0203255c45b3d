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
