package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// kstatusOf computes the object's kstatus as Flux, kpt and Config Sync do, on the object as the
// API server serves it.
func kstatusOf(t *testing.T, env *testenv.Env, ns, name string) *status.Result {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(certv1.GroupVersion.WithKind("ModelCertification"))
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return computeKstatus(t, u.Object)
}

func computeKstatus(t *testing.T, obj map[string]any) *status.Result {
	t.Helper()
	res, err := status.Compute(&unstructured.Unstructured{Object: obj})
	if err != nil {
		t.Fatalf("kstatus: %v", err)
	}
	return res
}

// transition is one version of an object as a watch delivered it.
type transition struct {
	attempt int32
	phase   certv1.Phase
	ready   metav1.ConditionStatus
	reason  string
	kstatus status.Status
}

// recordTransitions watches the certifications of a namespace and records every version of
// name the API server sends, until the test ends; the returned function reads the record.
func recordTransitions(t *testing.T, env *testenv.Env, ns, name string) func() []transition {
	t.Helper()
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wc.Watch(ctx, &certv1.ModelCertificationList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	var (
		mu     sync.Mutex
		record []transition
		closed bool
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			obj, ok := ev.Object.(*certv1.ModelCertification)
			if !ok || obj.Name != name || ev.Type == watch.Deleted {
				continue
			}
			ready := condition(obj, certv1.ConditionReady)
			raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			if err != nil {
				t.Errorf("to unstructured: %v", err)
				continue
			}
			res, err := status.Compute(&unstructured.Unstructured{Object: raw})
			if err != nil {
				t.Errorf("kstatus: %v", err)
				continue
			}
			mu.Lock()
			record = append(record, transition{obj.Status.Attempt, obj.Status.Phase, ready.Status, ready.Reason, res.Status})
			mu.Unlock()
		}
		mu.Lock()
		closed = ctx.Err() == nil
		mu.Unlock()
	}()
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	return func() []transition {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			t.Fatal("the API server closed the watch: some transitions may be missing")
		}
		return slices.Clone(record)
	}
}

// A certification valid for 12 seconds renews itself every 4 (validFor less twice perRun, the
// default recertifyAfter) before it expires: a watch on the object sees every version the API
// server stores, and from the first verdict on Ready never leaves True, through three
// re-certifications. kstatus reads each re-run as InProgress and each verdict as Current.
func TestRecertificationKeepsReady(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})
	transitions := recordTransitions(t, env, ns, "renews")

	apply(t, env, ns, fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: renews
spec:
  modelId: amazon.nova-lite-v1:0
  region: us-east-1
  endpoint: %s
  timeouts:
    perCheck: 4s
    perRun: 4s
  validFor: 12s
`, endpoint))
	waitFor(t, env, ns, "renews", "condition=Ready")
	eventually(t, 60*time.Second, "three re-certifications", func() (bool, error) {
		s := get(t, env, ns, "renews").Status
		return s.Attempt >= 4 && s.Phase == certv1.PhaseCertified, nil
	})

	record := transitions()
	first := slices.IndexFunc(record, func(tr transition) bool { return tr.ready == metav1.ConditionTrue })
	if first < 0 {
		t.Fatalf("the watch never saw Ready=True: %+v", record)
	}
	reruns := map[int32]bool{}
	for _, tr := range record[first:] {
		if tr.ready != metav1.ConditionTrue {
			t.Errorf("Ready left True after the first verdict: %+v", tr)
		}
		want := status.CurrentStatus
		if tr.phase == certv1.PhaseProcessing {
			want = status.InProgressStatus
			reruns[tr.attempt] = true
		}
		if tr.kstatus != want {
			t.Errorf("kstatus of %+v = %s, want %s", tr, tr.kstatus, want)
		}
	}
	if len(reruns) < 3 {
		t.Errorf("the watch saw the runs %v in progress, want at least three re-certifications", reruns)
	}
	if t.Failed() {
		t.Logf("every version the watch saw: %+v", record)
	}
}

// kstatus, as Flux, kpt and Config Sync compute it, on objects the controller produced: a valid
// certification is Current, a run in progress (or an object not yet seen) InProgress, and a
// settled Failed, QualityWarning or expired verdict, and an object suspended before its first
// run, Failed.
func TestKstatusOfEveryState(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t, func(c *bedrocksim.Catalog) {
		for i := range c.Personas {
			if c.Personas[i].ID == "amazon.nova-micro-v1:0" {
				c.Personas[i].LatencyFixed, c.Personas[i].LatencyJitter = time.Hour, 0
			}
		}
	})
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})

	apply(t, env, ns, manifest("certified", "amazon.nova-lite-v1:0", endpoint, ""))
	apply(t, env, ns, manifest("running", "amazon.nova-micro-v1:0", endpoint, ""))
	apply(t, env, ns, manifest("failed", "sim.access-denied-v1", endpoint, ""))
	apply(t, env, ns, manifest("warning", "sim.ignores-system-prompt-v1", endpoint, "  policy:\n    certifyScore: 100\n    warnScore: 0\n"))
	apply(t, env, ns, manifest("suspended", "amazon.nova-lite-v1:0", endpoint, "  suspend: true\n"))
	expiring := "amazon.titan-text-express-v1"
	apply(t, env, ns, fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: expired
spec:
  modelId: %s
  region: us-east-1
  endpoint: %s
  timeouts:
    perCheck: 4s
    perRun: 4s
  validFor: 10s
`, expiring, endpoint))

	waitFor(t, env, ns, "certified", "condition=Ready")
	waitFor(t, env, ns, "failed", "condition=Stalled")
	waitFor(t, env, ns, "warning", "condition=Stalled")
	waitFor(t, env, ns, "suspended", "condition=Stalled")
	waitFor(t, env, ns, "running", "condition=Reconciling")
	waitFor(t, env, ns, "expired", "condition=Ready")
	if _, stderr, err := env.Kubectl("", "patch", "-n", ns, "mcert/expired", "--type=merge", "-p", `{"spec":{"suspend":true}}`); err != nil {
		t.Fatalf("kubectl patch: %v\n%s", err, stderr)
	}
	eventually(t, 30*time.Second, "the suspended verdict to expire", func() (bool, error) {
		return condition(get(t, env, ns, "expired"), certv1.ConditionStalled).Reason == controllers.ReasonExpired, nil
	})

	tests := []struct {
		name  string
		phase certv1.Phase
		want  status.Status
	}{
		{"certified", certv1.PhaseCertified, status.CurrentStatus},
		{"running", certv1.PhaseProcessing, status.InProgressStatus},
		{"failed", certv1.PhaseFailed, status.FailedStatus},
		{"warning", certv1.PhaseQualityWarning, status.FailedStatus},
		{"expired", certv1.PhaseCertified, status.FailedStatus},
		{"suspended", certv1.PhasePending, status.FailedStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := get(t, env, ns, tt.name)
			if obj.Status.Phase != tt.phase {
				t.Fatalf("phase = %s, want %s", obj.Status.Phase, tt.phase)
			}
			res := kstatusOf(t, env, ns, tt.name)
			if res.Status != tt.want {
				t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, tt.want)
			}
			if tt.want == status.FailedStatus && res.Message != condition(obj, certv1.ConditionStalled).Message {
				t.Errorf("kstatus message %q, want Stalled's %q", res.Message, condition(obj, certv1.ConditionStalled).Message)
			}
			reconciling, stalled := condition(obj, "Reconciling").Status, condition(obj, "Stalled").Status
			if reconciling == metav1.ConditionTrue && stalled == metav1.ConditionTrue {
				t.Errorf("Reconciling and Stalled both True")
			}
		})
	}
	// An object no operator has seen yet is in progress, not current: its status defaults to
	// observedGeneration 0.
	unwatched := env.Namespace(t)
	apply(t, env, unwatched, manifest("unseen", "amazon.nova-lite-v1:0", endpoint, ""))
	if res := kstatusOf(t, env, unwatched, "unseen"); res.Status != status.InProgressStatus {
		t.Errorf("kstatus of an object no operator has seen = %s (%s), want InProgress", res.Status, res.Message)
	}

	// The worst check names the failure in Stalled, for kstatus readers such as Flux.
	if c := condition(get(t, env, ns, "failed"), certv1.ConditionStalled); c.Reason != "Failed" ||
		c.Message == "" || c.Message[:len("availability failed (PERMISSION_ERROR)")] != "availability failed (PERMISSION_ERROR)" {
		t.Errorf("Stalled of the denied model = %s %q, want Failed naming availability and PERMISSION_ERROR", c.Reason, c.Message)
	}
}

// A user fixes the model's access and asks for a re-run by annotation, as GitOps tools do: each
// new value starts exactly one run, also while the verdict is current, recorded in status with
// the start; the same value again starts none. While suspended, a new value is ignored, with one
// Event saying so.
func TestRunOnDemand(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})
	const model = "amazon.nova-lite-v1:0"
	annotate := func(value string) {
		t.Helper()
		if _, stderr, err := env.Kubectl("", "annotate", "--overwrite", "-n", ns, "mcert/on-demand",
			certv1.RequestedAtAnnotation+"="+value); err != nil {
			t.Fatalf("kubectl annotate: %v\n%s", err, stderr)
		}
	}
	// settled waits until the object has had runs runs and its last verdict, and checks the
	// model served exactly that many (each run streams once).
	settled := func(runs int32, handled string) {
		t.Helper()
		eventually(t, 30*time.Second, fmt.Sprintf("run %d to finish", runs), func() (bool, error) {
			s := get(t, env, ns, "on-demand").Status
			return s.Attempt == runs && s.Phase == certv1.PhaseCertified && s.LastHandledRequestedAt == handled, nil
		})
		time.Sleep(500 * time.Millisecond) // room for a run that should not start
		if s := get(t, env, ns, "on-demand").Status; s.Attempt != runs || s.LastHandledRequestedAt != handled {
			t.Fatalf("attempt %d, lastHandledRequestedAt %q; want %d, %q", s.Attempt, s.LastHandledRequestedAt, runs, handled)
		}
		if calls := sim.Calls(model).ConverseStream; calls != int(runs) {
			t.Fatalf("the model streamed %d times, want %d: one per run", calls, runs)
		}
	}

	apply(t, env, ns, manifest("on-demand", model, endpoint, ""))
	settled(1, "")

	annotate("2026-11-26T12:00:00Z")
	settled(2, "2026-11-26T12:00:00Z")
	annotate("2026-11-26T12:00:00Z") // the same value: nothing new
	settled(2, "2026-11-26T12:00:00Z")
	annotate("2026-11-26T12:05:00Z")
	settled(3, "2026-11-26T12:05:00Z")

	if _, stderr, err := env.Kubectl("", "patch", "-n", ns, "mcert/on-demand", "--type=merge", "-p", `{"spec":{"suspend":true}}`); err != nil {
		t.Fatalf("kubectl patch: %v\n%s", err, stderr)
	}
	annotate("2026-11-26T12:10:00Z")
	settled(3, "2026-11-26T12:10:00Z")
	eventually(t, 10*time.Second, "the Event of the ignored request", func() (bool, error) {
		return slices.Contains(eventReasons(t, env, ns, "on-demand"), controllers.ReasonRunRequestIgnored), nil
	})
	// Another reconcile (a resync, an unrelated edit) does not repeat it.
	if _, stderr, err := env.Kubectl("", "label", "-n", ns, "mcert/on-demand", "team=ml"); err != nil {
		t.Fatalf("kubectl label: %v\n%s", err, stderr)
	}
	time.Sleep(500 * time.Millisecond)
	if n := eventCount(t, env, ns, "on-demand", controllers.ReasonRunRequestIgnored); n != 1 {
		t.Errorf("%d %s Events, want one for the one ignored value", n, controllers.ReasonRunRequestIgnored)
	}

	// Resumed, the ignored value stays handled; a new one runs.
	if _, stderr, err := env.Kubectl("", "patch", "-n", ns, "mcert/on-demand", "--type=merge", "-p", `{"spec":{"suspend":false}}`); err != nil {
		t.Fatalf("kubectl patch: %v\n%s", err, stderr)
	}
	settled(3, "2026-11-26T12:10:00Z")
	annotate("2026-11-26T12:15:00Z")
	settled(4, "2026-11-26T12:15:00Z")
}

// eventCount counts the occurrences of the Events of a reason about an object: a repeat of the
// same Event is sent at once as a series of two, later ones are batched.
func eventCount(t *testing.T, env *testenv.Env, ns, name, reason string) int {
	t.Helper()
	var list eventsv1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Regarding.Name != name || e.Reason != reason {
			continue
		}
		n++
		if e.Series != nil {
			n += int(e.Series.Count) - 1
		}
	}
	return n
}
