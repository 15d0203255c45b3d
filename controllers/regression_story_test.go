package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// A team certifies Nova Lite; later the model behind a new endpoint ignores system prompts. Its
// next verdict is lower: status.regression says from what and which check no longer passes, a
// Warning Event Regressed replaces the verdict's usual Event, and the regressions counter
// counts it. The next verdict that is not lower clears status.regression.
func TestRegressionIsRecordedAndCleared(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	_, degraded := startSimulator(t, ignoringSystemPrompts("amazon.nova-lite-v1:0"))
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})
	labels := map[string]string{"namespace": ns, "model_id": "amazon.nova-lite-v1:0", "region": "us-east-1"}

	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", endpoint, ""))
	waitFor(t, env, ns, "nova", "condition=Certified")
	first := get(t, env, ns, "nova").Status
	if first.Badge != "PREMIUM" || first.Regression != nil {
		t.Fatalf("first verdict: badge %s regression %+v; want PREMIUM and none", first.Badge, first.Regression)
	}

	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", degraded, ""))
	eventually(t, 60*time.Second, "the second verdict", func() (bool, error) {
		s := get(t, env, ns, "nova").Status
		return s.Attempt == 2 && s.CompletedAt != nil && s.Phase != certv1.PhaseProcessing, nil
	})
	second := get(t, env, ns, "nova").Status
	if second.Phase != certv1.PhaseCertified || second.Badge == "PREMIUM" {
		t.Errorf("second verdict %s %s; want Certified below PREMIUM (a failed check caps the badge)", second.Phase, second.Badge)
	}
	want := &certv1.Regression{At: *second.CompletedAt, FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM",
		Checks: []string{"system-prompt"}}
	if diff := cmp.Diff(want, second.Regression); diff != "" {
		t.Errorf("status.regression (-want +got):\n%s", diff)
	}
	if got := metricValue(t, "modelcert_regressions_total", labels); got != 1 {
		t.Errorf("modelcert_regressions_total = %v, want 1", got)
	}
	eventually(t, 10*time.Second, "the Regressed event", func() (bool, error) {
		return slices.Contains(eventReasons(t, env, ns, "nova"), controllers.ReasonRegressed), nil
	})
	regressed := regressedEvent(t, env, ns, "nova")
	if regressed.Type != corev1.EventTypeWarning || !containsAll(regressed.Note, "PREMIUM", "system-prompt", second.RunID) {
		t.Errorf("Regressed event %s %q; want a Warning naming the badge before, the check and the run", regressed.Type, regressed.Note)
	}

	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", endpoint, ""))
	eventually(t, 60*time.Second, "the third verdict", func() (bool, error) {
		s := get(t, env, ns, "nova").Status
		return s.Attempt == 3 && s.CompletedAt != nil && s.Phase != certv1.PhaseProcessing, nil
	})
	if third := get(t, env, ns, "nova").Status; third.Badge != "PREMIUM" || third.Regression != nil {
		t.Errorf("third verdict: badge %s regression %+v; want PREMIUM and the regression cleared", third.Badge, third.Regression)
	}
	if got := metricValue(t, "modelcert_regressions_total", labels); got != 1 {
		t.Errorf("modelcert_regressions_total = %v after a verdict that is not lower, want still 1", got)
	}
	// One Event per verdict, the regression's in place of the second verdict's.
	eventually(t, 10*time.Second, "the third verdict's event", func() (bool, error) {
		return len(eventReasons(t, env, ns, "nova")) == 3, nil
	})
	reasons := eventReasons(t, env, ns, "nova")
	slices.Sort(reasons)
	if diff := cmp.Diff([]string{"Certified", "Certified", controllers.ReasonRegressed}, reasons); diff != "" {
		t.Errorf("event reasons (-want +got):\n%s", diff)
	}
}

// regressedEvent is the Regressed Event about an object.
func regressedEvent(t *testing.T, env *testenv.Env, ns, name string) eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Reason == controllers.ReasonRegressed {
			return e
		}
	}
	t.Fatalf("no Regressed event about %s", name)
	return eventsv1.Event{}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// The certification metrics come from a real informer cache, listed without copies, as the
// manager registers them: a certified object shows in the counts and with its validUntil; a run
// in progress shows its deadline; a deleted object's series are gone at the next scrape.
func TestCertificationMetricsFromTheCache(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	_, slow := startSimulator(t, func(c *bedrocksim.Catalog) {
		for i := range c.Personas {
			if c.Personas[i].ID == "amazon.nova-lite-v1:0" {
				c.Personas[i].LatencyFixed, c.Personas[i].LatencyJitter = 300*time.Millisecond, 0
			}
		}
	})
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})

	informers, err := cache.New(env.Config, cache.Options{Scheme: env.Client.Scheme(),
		DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = informers.Start(t.Context()) }()
	elected := make(chan struct{})
	close(elected)
	collector := controllers.NewCertificationCollector(informers, elected)

	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", endpoint, ""))
	waitFor(t, env, ns, "nova", "condition=Certified")
	s := get(t, env, ns, "nova").Status
	want := fmt.Sprintf(`
# HELP modelcert_certifications ModelCertifications by namespace, phase and badge (the last verdict's badge, kept while a re-certification runs).
# TYPE modelcert_certifications gauge
modelcert_certifications{badge="PREMIUM",namespace=%[1]q,phase="Certified"} 1
# HELP modelcert_certification_valid_until_timestamp_seconds When a certification's last verdict expires (status.validUntil), in seconds since the epoch.
# TYPE modelcert_certification_valid_until_timestamp_seconds gauge
modelcert_certification_valid_until_timestamp_seconds{model_id="amazon.nova-lite-v1:0",name="nova",namespace=%[1]q,region="us-east-1"} %[2]d
`, ns, s.ValidUntil.Unix())
	eventually(t, 10*time.Second, "the verdict in the cache's metrics", func() (bool, error) {
		err := testutil.CollectAndCompare(collector, strings.NewReader(want),
			"modelcert_certifications", "modelcert_certification_valid_until_timestamp_seconds")
		return err == nil, err
	})

	// A spec change starts a run (against a slower endpoint, seconds long): while it is in
	// progress it has a deadline of startedAt + perRun (1m).
	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", slow, ""))
	eventually(t, 30*time.Second, "the second run's deadline", func() (bool, error) {
		obj := get(t, env, ns, "nova")
		if obj.Status.Attempt != 2 || obj.Status.Phase != certv1.PhaseProcessing {
			return false, fmt.Errorf("attempt %d, phase %s", obj.Status.Attempt, obj.Status.Phase)
		}
		deadline := fmt.Sprintf(`
# HELP modelcert_certification_run_deadline_timestamp_seconds When a certification's run in progress should have ended: status.startedAt plus spec.timeouts.perRun, in seconds since the epoch.
# TYPE modelcert_certification_run_deadline_timestamp_seconds gauge
modelcert_certification_run_deadline_timestamp_seconds{name="nova",namespace=%q} %d
`, ns, obj.Status.StartedAt.Add(time.Minute).Unix())
		err := testutil.CollectAndCompare(collector, strings.NewReader(deadline), "modelcert_certification_run_deadline_timestamp_seconds")
		return err == nil, err
	})

	if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/nova", "--timeout=30s"); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, stderr)
	}
	eventually(t, 10*time.Second, "no series left after the delete", func() (bool, error) {
		n := testutil.CollectAndCount(collector)
		return n == 0, fmt.Errorf("%d series", n)
	})
}

// ignoringSystemPrompts makes the simulator's persona of modelID ignore system prompts: the
// same model, degraded.
func ignoringSystemPrompts(modelID string) func(*bedrocksim.Catalog) {
	return func(c *bedrocksim.Catalog) {
		for i := range c.Personas {
			if c.Personas[i].ID == modelID {
				c.Personas[i].Failures.IgnoresSystemPrompt = true
			}
		}
	}
}
