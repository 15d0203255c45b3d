package controllers

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestPlan(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(d)); return &t }
	object := func(phase certv1.Phase, mutate ...func(*certv1.ModelCertification)) *certv1.ModelCertification {
		obj := &certv1.ModelCertification{}
		obj.Status.SpecHash = "h1"
		obj.Status.Phase = phase
		obj.Spec.RecertifyAfter = &metav1.Duration{Duration: 2 * time.Hour}
		obj.Status.CompletedAt = at(-time.Hour)
		for _, m := range mutate {
			m(obj)
		}
		return obj
	}
	suspended := func(o *certv1.ModelCertification) { o.Spec.Suspend = true }
	specChanged := func(o *certv1.ModelCertification) { o.Status.SpecHash = "h0" }
	due := func(o *certv1.ModelCertification) { o.Status.CompletedAt = at(-2 * time.Hour) }
	temporary := func(failures int32, completed time.Duration) func(*certv1.ModelCertification) {
		return func(o *certv1.ModelCertification) {
			o.Status.ErrorCategory = "RATE_LIMIT"
			o.Status.ConsecutiveTemporaryFailures = failures
			o.Status.CompletedAt = at(completed)
		}
	}
	critical := func(completed time.Duration) func(*certv1.ModelCertification) {
		return func(o *certv1.ModelCertification) {
			o.Status.ErrorCategory = "PERMISSION_ERROR"
			o.Status.CompletedAt = at(completed)
		}
	}
	neverCompleted := func(o *certv1.ModelCertification) { o.Status.CompletedAt = nil }
	validFor := func(o *certv1.ModelCertification) {
		o.Spec.RecertifyAfter = nil
		o.Spec.ValidFor = &metav1.Duration{Duration: 90 * time.Minute}
		o.Spec.Timeouts.PerRun = &metav1.Duration{Duration: 5 * time.Minute}
	}
	requested := func(value string) func(*certv1.ModelCertification) {
		return func(o *certv1.ModelCertification) {
			o.Annotations = map[string]string{certv1.RequestedAtAnnotation: value}
		}
	}
	handled := func(value string) func(*certv1.ModelCertification) {
		return func(o *certv1.ModelCertification) { o.Status.LastHandledRequestedAt = value }
	}
	long := strings.Repeat("x", 65)
	const requestedReason = "a run was requested (certification.modelcert.io/requested-at)"

	tests := []struct {
		name string
		obj  *certv1.ModelCertification
		run  runState
		want decision
	}{
		{"new object", object(""), runUnknown, decision{action: actionStart, reason: "first run"}},
		{"pending", object(certv1.PhasePending), runUnknown, decision{action: actionStart, reason: "first run"}},
		{"new object, suspended", object("", suspended), runUnknown, decision{action: actionWait, reason: "suspended"}},
		{"run in progress", object(certv1.PhaseProcessing), runRunning, decision{action: actionWait, reason: "the run is in progress"}},
		{"run finished", object(certv1.PhaseProcessing), runFinished, decision{action: actionFinish, reason: "the run finished"}},
		{"run finished while suspended still finishes", object(certv1.PhaseProcessing, suspended), runFinished, decision{action: actionFinish, reason: "the run finished"}},
		{"run lost in a restart", object(certv1.PhaseProcessing), runUnknown, decision{action: actionStart, reason: "the run in status was lost; starting the next attempt"}},
		{"run lost while suspended", object(certv1.PhaseProcessing, suspended), runUnknown, decision{action: actionWait, reason: "suspended; the interrupted run is not restarted"}},
		{"verdict current", object(certv1.PhaseCertified), runUnknown, decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"warning current", object(certv1.PhaseQualityWarning), runUnknown, decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"failed current", object(certv1.PhaseFailed), runUnknown, decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"re-certification due", object(certv1.PhaseCertified, due), runUnknown, decision{action: actionStart, reason: "re-certification is due"}},
		{"never completed", object(certv1.PhaseFailed, neverCompleted), runUnknown, decision{action: actionStart, reason: "re-certification is due"}},
		{"recertifyAfter defaults to validFor less twice perRun", object(certv1.PhaseCertified, validFor), runUnknown, decision{action: actionWait, reason: "the verdict is current", requeueAfter: 20 * time.Minute}},
		{"run requested while the verdict is current", object(certv1.PhaseCertified, requested("2026-11-26T11:59:00Z")), runUnknown,
			decision{action: actionStart, reason: requestedReason, requestedAt: "2026-11-26T11:59:00Z"}},
		{"run requested after a failure", object(certv1.PhaseFailed, critical(-5*time.Minute), requested("1")), runUnknown,
			decision{action: actionStart, reason: requestedReason, requestedAt: "1"}},
		{"request already handled", object(certv1.PhaseCertified, requested("1"), handled("1")), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"a new value is a new request", object(certv1.PhaseCertified, requested("2"), handled("1")), runUnknown,
			decision{action: actionStart, reason: requestedReason, requestedAt: "2"}},
		{"an empty value requests nothing", object(certv1.PhaseCertified, requested(""), handled("1")), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"a long value is handled by its digest", object(certv1.PhaseCertified, requested(long)), runUnknown,
			decision{action: actionStart, reason: requestedReason, requestedAt: requestToken(long)}},
		{"a long value handled once", object(certv1.PhaseCertified, requested(long), handled(requestToken(long))), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Hour}},
		{"request during a run waits for it", object(certv1.PhaseProcessing, requested("1")), runRunning,
			decision{action: actionWait, reason: "the run is in progress"}},
		{"request during a run is served after it", object(certv1.PhaseProcessing, requested("1")), runFinished,
			decision{action: actionFinish, reason: "the run finished"}},
		{"the restart of a lost run serves a request", object(certv1.PhaseProcessing, requested("1")), runUnknown,
			decision{action: actionStart, reason: "the run in status was lost; starting the next attempt", requestedAt: "1"}},
		{"a new object created with a request runs once", object("", requested("1")), runUnknown,
			decision{action: actionStart, reason: "first run", requestedAt: "1"}},
		{"a spec change and a request share a run", object(certv1.PhaseCertified, specChanged, requested("1")), runUnknown,
			decision{action: actionStart, reason: "the spec changed since the last run", requestedAt: "1"}},
		{"request while suspended is ignored", object(certv1.PhaseCertified, suspended, requested("1")), runUnknown,
			decision{action: actionWait, reason: "suspended", requestedAt: "1"}},
		{"request while suspended is ignored once", object(certv1.PhaseCertified, suspended, requested("1"), handled("1")), runUnknown,
			decision{action: actionWait, reason: "suspended"}},
		{"request while suspended during a run is ignored", object(certv1.PhaseProcessing, suspended, requested("1")), runRunning,
			decision{action: actionWait, reason: "the run is in progress", requestedAt: "1"}},
		{"spec changed", object(certv1.PhaseCertified, specChanged), runUnknown, decision{action: actionStart, reason: "the spec changed since the last run"}},
		{"throttled run retried sooner", object(certv1.PhaseFailed, temporary(1, -4*time.Minute)), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: time.Minute}},
		{"throttled run due", object(certv1.PhaseFailed, temporary(1, -5*time.Minute)), runUnknown,
			decision{action: actionStart, reason: "re-certification is due"}},
		{"second temporary failure waits twice as long", object(certv1.PhaseFailed, temporary(2, -5*time.Minute)), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: 5 * time.Minute}},
		{"backoff never passes recertifyAfter", object(certv1.PhaseFailed, temporary(9, -time.Hour)), runUnknown,
			decision{action: actionStart, reason: "re-certification is due"}},
		{"a temporary category alone is not a temporary verdict", object(certv1.PhaseFailed, temporary(0, -5*time.Minute)), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: 2*time.Hour - 5*time.Minute}},
		{"critical failure waits the full interval", object(certv1.PhaseFailed, critical(-5*time.Minute)), runUnknown,
			decision{action: actionWait, reason: "the verdict is current", requeueAfter: 2*time.Hour - 5*time.Minute}},
		{"suspended with a current verdict", object(certv1.PhaseCertified, suspended, due), runUnknown, decision{action: actionWait, reason: "suspended"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plan(tt.obj, "h1", now, tt.run)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(decision{})); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestToken(t *testing.T) {
	long := strings.Repeat("x", 200)
	if got := requestToken("2026-11-26T12:00:00Z"); got != "2026-11-26T12:00:00Z" {
		t.Errorf("requestToken of a short value = %q, want the value", got)
	}
	if got := requestToken(long); len(got) != maxRequestToken || !strings.HasPrefix(got, "sha256:") || got == requestToken(long+"y") {
		t.Errorf("requestToken of a long value = %q, want a distinct sha256: digest of %d characters", got, maxRequestToken)
	}
}

func TestTemporaryRetryAfter(t *testing.T) {
	want := map[int32]time.Duration{1: 5 * time.Minute, 2: 10 * time.Minute, 3: 20 * time.Minute,
		4: 40 * time.Minute, 5: time.Hour, 6: time.Hour, 100: time.Hour}
	for n, w := range want {
		if got := temporaryRetryAfter(n); got != w {
			t.Errorf("temporaryRetryAfter(%d) = %s, want %s", n, got, w)
		}
	}
}
