package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/store"
)

func TestRowDiffers(t *testing.T) {
	started := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	row := func(runID string, attempt int, startedAfter time.Duration, status store.Status) store.Certification {
		return store.Certification{ModelID: "m", Region: "r", RunID: runID, Attempt: attempt,
			StartedAt: started.Add(startedAfter), Status: status, Score: 90, Source: store.Source{UID: "u1"}}
	}
	verdict := row("run-2", 2, time.Hour, store.StatusCertified)
	edited := verdict
	edited.Score = 42
	deleted := store.Hold(verdict)
	deleted.Deleted = true
	for _, tt := range []struct {
		name  string
		want  store.Certification
		held  store.Held
		found bool
		write bool
	}{
		{"no row", verdict, store.Held{}, false, true},
		{"the same row", verdict, store.Hold(verdict), true, false},
		{"the same run, another value (a hand edit, a new validFor)", verdict, store.Hold(edited), true, true},
		{"the same run, its start only", verdict, store.Hold(row("run-2", 2, time.Hour, store.StatusProcessing)), true, true},
		{"the same row marked deleted", verdict, deleted, true, true},
		{"an older run in the row", verdict, store.Hold(row("run-1", 1, 0, store.StatusCertified)), true, true},
		{"a newer run in the row, of another object", verdict, store.Hold(row("run-3", 1, 2*time.Hour, store.StatusProcessing)), true, false},
		{"the row holds the verdict a stale status still shows running", row("run-2", 2, time.Hour, store.StatusProcessing), store.Hold(verdict), true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rowDiffers(tt.want, tt.held, tt.found); got != tt.write {
				t.Errorf("rowDiffers = %v, want %v", got, tt.write)
			}
		})
	}
}

func TestConditionWriteNeeded(t *testing.T) {
	cond := func(s metav1.ConditionStatus) *metav1.Condition {
		return &metav1.Condition{Type: certv1.ConditionDatabaseSynced, Status: s}
	}
	for _, tt := range []struct {
		name    string
		current *metav1.Condition
		want    metav1.ConditionStatus
		phase   certv1.Phase
		write   bool
	}{
		{"still synced", cond(metav1.ConditionTrue), metav1.ConditionTrue, certv1.PhaseCertified, false},
		{"still failing: retries write nothing", cond(metav1.ConditionFalse), metav1.ConditionFalse, certv1.PhaseCertified, false},
		{"an outage begins", cond(metav1.ConditionTrue), metav1.ConditionFalse, certv1.PhaseCertified, true},
		{"an outage begins mid-run", cond(metav1.ConditionTrue), metav1.ConditionFalse, certv1.PhaseProcessing, true},
		{"an outage ends", cond(metav1.ConditionFalse), metav1.ConditionTrue, certv1.PhaseCertified, true},
		{"an outage ends mid-run", cond(metav1.ConditionFalse), metav1.ConditionTrue, certv1.PhaseProcessing, true},
		{"first run started: the verdict will say it", nil, metav1.ConditionTrue, certv1.PhaseProcessing, false},
		{"mirror turned on mid-run: the verdict will say it", cond(metav1.ConditionUnknown), metav1.ConditionTrue, certv1.PhaseProcessing, false},
		{"a verdict the first write confirms", nil, metav1.ConditionTrue, certv1.PhaseFailed, true},
		{"first write fails", nil, metav1.ConditionFalse, certv1.PhaseProcessing, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionWriteNeeded(tt.current, tt.want, tt.phase); got != tt.write {
				t.Errorf("conditionWriteNeeded = %v, want %v", got, tt.write)
			}
		})
	}
}

// The mirror wakes for what changes its row, a deletion or a missing finalizer; not for its own
// DatabaseSynced writes, nor for progress.
func TestMirrorRelevant(t *testing.T) {
	score := 90.0
	base := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "u1", Finalizers: []string{Finalizer}},
		Spec:   certv1.ModelCertificationSpec{ModelID: "m", Region: "r"},
		Status: certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, RunID: "run-1", Score: &score}}
	edit := func(f func(*certv1.ModelCertification)) *certv1.ModelCertification {
		o := base.DeepCopy()
		f(o)
		return o
	}
	for _, tt := range []struct {
		name    string
		updated *certv1.ModelCertification
		want    bool
	}{
		{"DatabaseSynced written", edit(func(o *certv1.ModelCertification) {
			o.Status.Conditions = []metav1.Condition{syncedCondition(nil)}
		}), false},
		{"progress written", edit(func(o *certv1.ModelCertification) { o.Status.Progress = &certv1.Progress{Done: 3, Total: 14} }), false},
		{"a spec edit not yet observed", edit(func(o *certv1.ModelCertification) { o.Generation++ }), false},
		{"the verdict", edit(func(o *certv1.ModelCertification) { o.Status.Phase = certv1.PhaseCertified }), true},
		{"a new run", edit(func(o *certv1.ModelCertification) { o.Status.RunID = "run-2" }), true},
		{"deleted", edit(func(o *certv1.ModelCertification) { now := metav1.Now(); o.DeletionTimestamp = &now }), true},
		{"finalizer removed by hand", edit(func(o *certv1.ModelCertification) { o.Finalizers = nil }), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mirrorRelevant(base, tt.updated); got != tt.want {
				t.Errorf("mirrorRelevant = %v, want %v", got, tt.want)
			}
		})
	}
}
