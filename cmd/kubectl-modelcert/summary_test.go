package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestSummarise(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { v := metav1.NewTime(now.Add(d)); return &v }
	object := func(ns, name string, status certv1.ModelCertificationStatus) certv1.ModelCertification {
		return certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Status: status}
	}
	noneOf := func(counts map[certv1.Phase]int) map[certv1.Phase]int {
		all := map[certv1.Phase]int{}
		for _, p := range phases {
			all[p] = counts[p]
		}
		return all
	}
	older := certv1.Regression{At: metav1.NewTime(now.Add(-2 * time.Hour)), FromPhase: certv1.PhaseCertified}
	newer := certv1.Regression{At: metav1.NewTime(now.Add(-time.Hour)), FromPhase: certv1.PhaseCertified}
	for _, tc := range []struct {
		name  string
		items []certv1.ModelCertification
		want  []namespaceSummary
	}{
		{name: "nothing", want: []namespaceSummary{}},
		{
			name: "a status not written yet counts as Pending",
			items: []certv1.ModelCertification{
				object("b", "x", certv1.ModelCertificationStatus{}),
				object("a", "y", certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing}),
			},
			want: []namespaceSummary{
				{Namespace: "a", Total: 1, Phases: noneOf(map[certv1.Phase]int{certv1.PhaseProcessing: 1}),
					Expiring: []expiring{}, Regressions: []regressed{}},
				{Namespace: "b", Total: 1, Phases: noneOf(map[certv1.Phase]int{certv1.PhasePending: 1}),
					Expiring: []expiring{}, Regressions: []regressed{}},
			},
		},
		{
			name: "certified verdicts expire, soonest first; the window's end is in it",
			items: []certv1.ModelCertification{
				object("a", "later", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Passed: true, Badge: "PREMIUM", ValidUntil: at(24 * time.Hour)}),
				object("a", "sooner", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Passed: true, Badge: "PREMIUM", ValidUntil: at(time.Hour)}),
				object("a", "beyond", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Passed: true, ValidUntil: at(25 * time.Hour)}),
				object("a", "now", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Passed: true, ValidUntil: at(0)}),
				object("a", "rerunning", certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, Passed: true, ValidUntil: at(-time.Minute)}),
				object("a", "failed", certv1.ModelCertificationStatus{Phase: certv1.PhaseFailed, ValidUntil: at(time.Hour)}),
			},
			want: []namespaceSummary{{
				Namespace: "a", Total: 6,
				Phases: noneOf(map[certv1.Phase]int{certv1.PhaseCertified: 4, certv1.PhaseProcessing: 1, certv1.PhaseFailed: 1}),
				Expiring: []expiring{
					{Name: "sooner", Badge: "PREMIUM", ValidUntil: now.Add(time.Hour)},
					{Name: "later", Badge: "PREMIUM", ValidUntil: now.Add(24 * time.Hour)},
				},
				Expired:     2,
				Regressions: []regressed{},
			}},
		},
		{
			name: "regressions, latest first",
			items: []certv1.ModelCertification{
				object("a", "first", certv1.ModelCertificationStatus{Phase: certv1.PhaseFailed, Badge: "UNAVAILABLE", Regression: &older}),
				object("a", "second", certv1.ModelCertificationStatus{Phase: certv1.PhaseQualityWarning, Regression: &newer}),
			},
			want: []namespaceSummary{{
				Namespace: "a", Total: 2,
				Phases:   noneOf(map[certv1.Phase]int{certv1.PhaseFailed: 1, certv1.PhaseQualityWarning: 1}),
				Expiring: []expiring{},
				Regressions: []regressed{
					{Name: "second", Phase: certv1.PhaseQualityWarning, Regression: newer},
					{Name: "first", Phase: certv1.PhaseFailed, Badge: "UNAVAILABLE", Regression: older},
				},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarise(tc.items, now, 24*time.Hour)); diff != "" {
				t.Errorf("summarise (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestPatchSetsTheAnnotationInUTC(t *testing.T) {
	at := time.Date(2026, 12, 1, 13, 4, 5, 123456789, time.FixedZone("CET", 3600))
	got, err := requestPatch(at)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"metadata":{"annotations":{"certification.modelcert.io/requested-at":"2026-12-01T12:04:05.123456789Z"}}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 30 * time.Minute: "30m",
		90 * time.Second: "1m30s", 72 * time.Hour: "72h"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
