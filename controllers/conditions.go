package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// Condition reasons.
const (
	ReasonPending        = "Pending"
	ReasonMirrorDisabled = "MirrorDisabled"
	ReasonNotYetRun      = "NotYetRun"
	ReasonSuspended      = "Suspended"
)

// pendingConditions are the conditions of an object whose first run has not started.
func pendingConditions(mirrorEnabled, suspended bool) []metav1.Condition {
	ready := metav1.Condition{Type: certv1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: ReasonPending, Message: "Waiting for the first certification run"}
	progressing := metav1.Condition{Type: certv1.ConditionProgressing, Status: metav1.ConditionFalse,
		Reason: ReasonPending, Message: "No run has started yet"}
	if suspended {
		ready.Reason, ready.Message = ReasonSuspended, "Suspended before the first run"
		progressing.Reason, progressing.Message = ReasonSuspended, "Suspended"
	}
	database := metav1.Condition{Type: certv1.ConditionDatabaseSynced, Status: metav1.ConditionUnknown,
		Reason: ReasonNotYetRun, Message: "Nothing to mirror yet"}
	if !mirrorEnabled {
		database.Reason, database.Message = ReasonMirrorDisabled, "The PostgreSQL mirror is off (--database-url is empty)"
	}
	return []metav1.Condition{
		ready,
		{Type: certv1.ConditionCertified, Status: metav1.ConditionUnknown, Reason: ReasonNotYetRun, Message: "No run has completed yet"},
		{Type: certv1.ConditionModelAvailable, Status: metav1.ConditionUnknown, Reason: ReasonNotYetRun, Message: "The model has not been contacted yet"},
		database,
		progressing,
	}
}

// setConditions merges conditions into the status, stamping each with the generation observed;
// apimachinery keeps lastTransitionTime unless a condition's status changes.
func setConditions(status *certv1.ModelCertificationStatus, generation int64, conditions []metav1.Condition) {
	for _, c := range conditions {
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&status.Conditions, c)
	}
}
