package controllers

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestCertificationCollector(t *testing.T) {
	at := func(s string) *metav1.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &metav1.Time{Time: tm}
	}
	cert := func(ns, name string, status certv1.ModelCertificationStatus) *certv1.ModelCertification {
		return &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:   certv1.ModelCertificationSpec{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1"},
			Status: status}
	}
	// 2026-11-27T10:00:00Z is 1795773600 seconds since the epoch.
	certified := cert("team-a", "nova", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Badge: "PREMIUM",
		ValidUntil: at("2026-11-27T10:00:00Z"), NextRunAt: at("2026-11-27T09:00:00Z")})
	alsoCertified := cert("team-a", "nova-2", certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, Badge: "PREMIUM",
		ValidUntil: at("2026-11-27T10:00:00Z")})
	// A re-certification: the last verdict stays, with its validUntil; the run's deadline is
	// startedAt plus spec.timeouts.perRun.
	rerunning := cert("team-b", "haiku", certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, Badge: "RECOMMENDED",
		ValidUntil: at("2026-11-27T10:00:00Z"), StartedAt: at("2026-11-27T09:00:00Z")})
	rerunning.Spec.Timeouts.PerRun = &metav1.Duration{Duration: 20 * time.Minute}
	// A first run with the default perRun (10m), and an object not yet observed.
	firstRun := cert("team-b", "first", certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, StartedAt: at("2026-11-27T09:30:00Z")})
	unobserved := cert("team-b", "new", certv1.ModelCertificationStatus{})

	scheme := runtime.NewScheme()
	if err := certv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(certified, alsoCertified, rerunning, firstRun, unobserved).Build()

	elected := make(chan struct{})
	c := NewCertificationCollector(reader, elected)
	var reports int
	c.AfterCollect = func() { reports++ }
	if n := testutil.CollectAndCount(c); n != 0 || reports != 0 {
		t.Errorf("before election: %d series and %d reports, want none (the leader reports)", n, reports)
	}
	close(elected)

	want := `
# HELP modelcert_certification_next_run_timestamp_seconds When a certification's next run is due (status.nextRunAt; absent while suspended or running), in seconds since the epoch.
# TYPE modelcert_certification_next_run_timestamp_seconds gauge
modelcert_certification_next_run_timestamp_seconds{name="nova",namespace="team-a"} 1.7957700e+09
# HELP modelcert_certification_run_deadline_timestamp_seconds When a certification's run in progress should have ended: status.startedAt plus spec.timeouts.perRun, in seconds since the epoch.
# TYPE modelcert_certification_run_deadline_timestamp_seconds gauge
modelcert_certification_run_deadline_timestamp_seconds{name="first",namespace="team-b"} 1.7957724e+09
modelcert_certification_run_deadline_timestamp_seconds{name="haiku",namespace="team-b"} 1.7957712e+09
# HELP modelcert_certification_valid_until_timestamp_seconds When a certification's last verdict expires (status.validUntil), in seconds since the epoch.
# TYPE modelcert_certification_valid_until_timestamp_seconds gauge
modelcert_certification_valid_until_timestamp_seconds{model_id="amazon.nova-lite-v1:0",name="haiku",namespace="team-b",region="us-east-1"} 1.7957736e+09
modelcert_certification_valid_until_timestamp_seconds{model_id="amazon.nova-lite-v1:0",name="nova",namespace="team-a",region="us-east-1"} 1.7957736e+09
modelcert_certification_valid_until_timestamp_seconds{model_id="amazon.nova-lite-v1:0",name="nova-2",namespace="team-a",region="us-east-1"} 1.7957736e+09
# HELP modelcert_certifications ModelCertifications by namespace, phase and badge (the last verdict's badge, kept while a re-certification runs).
# TYPE modelcert_certifications gauge
modelcert_certifications{badge="",namespace="team-b",phase="Pending"} 1
modelcert_certifications{badge="",namespace="team-b",phase="Processing"} 1
modelcert_certifications{badge="PREMIUM",namespace="team-a",phase="Certified"} 2
modelcert_certifications{badge="RECOMMENDED",namespace="team-b",phase="Processing"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if reports == 0 {
		t.Error("a report did not call AfterCollect, which releases its garbage")
	}

	// A deleted object's series go with it: nothing is remembered between scrapes.
	if err := reader.Delete(t.Context(), rerunning); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "modelcert_certification_run_deadline_timestamp_seconds"); n != 1 {
		t.Errorf("after deleting a running object: %d run deadlines, want 1", n)
	}
	if n := testutil.CollectAndCount(c, "modelcert_certifications"); n != 3 {
		t.Errorf("after deleting the only Processing RECOMMENDED object: %d groups, want 3", n)
	}
}
