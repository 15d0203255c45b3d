package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestWakeAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { v := metav1.NewTime(now.Add(d)); return &v }
	object := func(phase certv1.Phase, suspend bool) *certv1.ModelCertification {
		obj := &certv1.ModelCertification{}
		obj.Spec.Suspend = suspend
		obj.Spec.ValidFor = &metav1.Duration{Duration: 48 * time.Hour}
		obj.Spec.RecertifyAfter = &metav1.Duration{Duration: 24 * time.Hour}
		obj.Status = certv1.ModelCertificationStatus{Phase: phase, RunID: "run-1", CompletedAt: at(-time.Hour), ValidUntil: at(47 * time.Hour)}
		return obj
	}
	expiresSoon := object(certv1.PhaseCertified, true)
	expiresSoon.Status.ValidUntil = at(3 * time.Minute)
	dueNow := object(certv1.PhaseFailed, false)
	dueNow.Status.CompletedAt = at(-25 * time.Hour)
	expiredRun := object(certv1.PhaseProcessing, false)
	expiredRun.Status.ValidUntil = at(-time.Minute)

	tests := []struct {
		name string
		obj  *certv1.ModelCertification
		want time.Duration
	}{
		{"the next run", object(certv1.PhaseCertified, false), 23 * time.Hour},
		{"suspended: the expiry", object(certv1.PhaseCertified, true), 47 * time.Hour},
		{"expiry before the next run", expiresSoon, 3 * time.Minute},
		{"an overdue run is at least a second away", dueNow, time.Second},
		{"a run in progress wakes at the expiry, for Ready", object(certv1.PhaseProcessing, false), 47 * time.Hour},
		{"a run outlasting the verdict waits for the pool", expiredRun, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wakeAfter(tt.obj, now, untilNextRun(tt.obj, now)); got != tt.want {
				t.Errorf("wakeAfter = %s, want %s", got, tt.want)
			}
		})
	}
}
