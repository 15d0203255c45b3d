package controllers

import (
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// storeStatus maps a phase to the database's vocabulary.
func storeStatus(phase certv1.Phase) store.Status {
	switch phase {
	case certv1.PhaseProcessing:
		return store.StatusProcessing
	case certv1.PhaseCertified:
		return store.StatusCertified
	case certv1.PhaseQualityWarning:
		return store.StatusQualityWarning
	case certv1.PhaseFailed:
		return store.StatusFailed
	default:
		return store.StatusPending
	}
}

// severity labels a category for the error_severity column.
func severity(category string) string {
	c := certify.ErrorCategory(category)
	switch {
	case c == certify.CategoryNone:
		return ""
	case c.Critical():
		return "CRITICAL"
	case c.Temporary():
		return "TEMPORARY"
	case c == certify.CategoryQuality:
		return "WARNING"
	default:
		return "ERROR"
	}
}

// rowFor is the database row that mirrors an object's status. The status is the source of
// truth: the row is derived from it alone (the generation too is the one the status observed),
// so a row rebuilt after the database was wiped equals the one first written, and the mirror
// can tell from the status alone whether the database still holds it.
func rowFor(obj *certv1.ModelCertification) store.Certification {
	s := &obj.Status
	row := store.Certification{
		ModelID:       obj.Spec.ModelID,
		Region:        obj.Spec.Region,
		Status:        storeStatus(s.Phase),
		Passed:        s.Passed,
		Score:         deref(s.Score),
		Rating:        deref(s.Rating),
		Badge:         s.Badge,
		ErrorCategory: s.ErrorCategory,
		ErrorSeverity: severity(s.ErrorCategory),
		ErrorMessage:  s.ErrorMessage,
		RunID:         s.RunID,
		Attempt:       int(s.Attempt),
		DurationMs:    s.DurationMs,
		Source: store.Source{Namespace: obj.Namespace, Name: obj.Name, UID: string(obj.UID),
			Generation: s.ObservedGeneration},
	}
	if s.StartedAt != nil {
		row.StartedAt = s.StartedAt.Time
	}
	if s.Checks != nil {
		row.TestsPassed, row.TestsFailed, row.TestsSkipped = int(s.Checks.Passed), int(s.Checks.Failed), int(s.Checks.Skipped)
		if s.Checks.Total > 0 {
			row.SuccessRate = float64(s.Checks.Passed) / float64(s.Checks.Total) * 100
		}
	}
	if len(s.FailedChecks) > 0 {
		row.TestResults, _ = json.Marshal(s.FailedChecks)
	}
	if s.Usage != nil {
		row.InputTokens, row.OutputTokens = s.Usage.InputTokens, s.Usage.OutputTokens
	}
	row.CompletedAt = timeOf(s.CompletedAt)
	row.ExpiresAt = timeOf(s.ValidUntil)
	if s.Phase == certv1.PhaseCertified {
		row.CertifiedAt = row.CompletedAt
	}
	return row
}

// ExpectedRow is what the database should hold for an object, for the consistency check;
// false when the object has not started a run and so has no row.
func ExpectedRow(obj *certv1.ModelCertification) (store.Expected, bool) {
	if obj.Status.RunID == "" {
		return store.Expected{}, false
	}
	row := rowFor(obj)
	return store.Expected{
		Namespace: obj.Namespace, Name: obj.Name, UID: row.Source.UID, Attempt: row.Attempt, StartedAt: row.StartedAt,
		ModelID: row.ModelID, Region: row.Region,
		RunID: row.RunID, Status: row.Status, Score: row.Score, Rating: row.Rating,
		Badge: row.Badge, ErrorCategory: row.ErrorCategory,
	}, true
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}
