package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// manifest is a ModelCertification for model in us-east-1 served by the simulator at endpoint.
func manifest(name, model, endpoint, extra string) string {
	return fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: %s
spec:
  modelId: %s
  region: us-east-1
  endpoint: %s
  timeouts:
    perCheck: 5s
    perRun: 1m
%s`, name, model, endpoint, extra)
}

func apply(t *testing.T, env *testenv.Env, ns, manifest string) {
	t.Helper()
	if _, stderr, err := env.Kubectl(manifest, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, stderr)
	}
}

// waitFor runs `kubectl wait` for a condition, as a user or a pipeline would.
func waitFor(t *testing.T, env *testenv.Env, ns, name, condition string) {
	t.Helper()
	if out, stderr, err := env.Kubectl("", "wait", "-n", ns, "mcert/"+name, "--for="+condition, "--timeout=60s"); err != nil {
		t.Fatalf("kubectl wait --for=%s: %v\n%s%s", condition, err, out, stderr)
	}
}

func get(t *testing.T, env *testenv.Env, ns, name string) *certv1.ModelCertification {
	t.Helper()
	obj := &certv1.ModelCertification{}
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	return obj
}

// eventReasons lists the reasons of the Events about an object.
func eventReasons(t *testing.T, env *testenv.Env, ns, name string) []string {
	t.Helper()
	var list eventsv1.EventList
	if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

func condition(obj *certv1.ModelCertification, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(obj.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{Type: typ, Status: "missing"}
}

// A user applies a ModelCertification for Nova Lite; the operator runs the battery against the
// model, and the verdict shows in kubectl, in status and in PostgreSQL, with the full results in
// the history. Deleting the object with deletionPolicy Delete removes the row but not the history.
func TestCertifiesAModelAndMirrorsTheVerdict(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	db := openStore(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db})
	completedBefore := metricValue(t, "modelcert_runs_completed_total", map[string]string{"status": "CERTIFIED", "error_category": ""})
	writesBefore := metricValue(t, "modelcert_mirror_writes_total", map[string]string{"result": "ok"})

	apply(t, env, ns, manifest("nova-lite", "amazon.nova-lite-v1:0", endpoint, "  deletionPolicy: Delete\n"))
	waitFor(t, env, ns, "nova-lite", "condition=Certified")

	// The verdict reaches status before the mirror writes it.
	eventually(t, 10*time.Second, "the verdict in the database", func() (bool, error) {
		row, err := db.Get(context.Background(), "amazon.nova-lite-v1:0", "us-east-1")
		return err == nil && row.Status == store.StatusCertified, err
	})
	completed := metricValue(t, "modelcert_runs_completed_total", map[string]string{"status": "CERTIFIED", "error_category": ""}) - completedBefore
	// The start's write is skipped when the mirror first hears of the run with its verdict.
	if writes := metricValue(t, "modelcert_mirror_writes_total", map[string]string{"result": "ok"}) - writesBefore; completed != 1 || writes < 1 || writes > 2 {
		t.Errorf("runs completed +%v, mirror writes +%v; want +1, and +2 (start and verdict) or +1 (the verdict)", completed, writes)
	}

	obj := get(t, env, ns, "nova-lite")
	s := obj.Status
	if s.Phase != certv1.PhaseCertified || !s.Passed || *s.Score != 100 || s.Badge != "PREMIUM" || s.ErrorCategory != "" {
		t.Errorf("verdict = %s passed=%v score=%v badge=%s category=%q; want Certified, 100, PREMIUM", s.Phase, s.Passed, *s.Score, s.Badge, s.ErrorCategory)
	}
	if diff := cmp.Diff(&certv1.CheckCounts{Total: 14, Passed: 14}, s.Checks); diff != "" {
		t.Errorf("check counts (-want +got):\n%s", diff)
	}
	if s.Attempt != 1 || s.RunID == "" || s.Usage == nil || s.Usage.OutputTokens == 0 || s.Progress != nil {
		t.Errorf("run bookkeeping: attempt=%d runID=%q usage=%v progress=%v", s.Attempt, s.RunID, s.Usage, s.Progress)
	}
	if s.ValidUntil == nil || !s.ValidUntil.Equal(&metav1.Time{Time: s.CompletedAt.Add(168 * time.Hour)}) || s.NextRunAt == nil {
		t.Errorf("schedule: completedAt=%v validUntil=%v nextRunAt=%v", s.CompletedAt, s.ValidUntil, s.NextRunAt)
	}
	for typ, want := range map[string]metav1.ConditionStatus{
		certv1.ConditionReady: metav1.ConditionTrue, certv1.ConditionCertified: metav1.ConditionTrue,
		certv1.ConditionModelAvailable: metav1.ConditionTrue, certv1.ConditionDatabaseSynced: metav1.ConditionTrue,
		certv1.ConditionProgressing: metav1.ConditionFalse,
	} {
		if c := condition(obj, typ); c.Status != want || c.ObservedGeneration != obj.Generation {
			t.Errorf("condition %s = %s (observedGeneration %d), want %s at generation %d", typ, c.Status, c.ObservedGeneration, want, obj.Generation)
		}
	}
	if got := sim.Calls("amazon.nova-lite-v1:0"); got.Converse != 13 || got.ConverseStream != 1 {
		t.Errorf("model calls = %+v, want 13 Converse (consistency calls twice) and 1 ConverseStream", got)
	}

	out, _, err := env.Kubectl("", "get", "mcert", "-n", ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"amazon.nova-lite-v1:0", "us-east-1", "Certified", "100", "PREMIUM"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get mcert does not show %q:\n%s", want, out)
		}
	}

	row, err := db.Get(context.Background(), "amazon.nova-lite-v1:0", "us-east-1")
	if err != nil {
		t.Fatalf("database row: %v", err)
	}
	if row.Status != store.StatusCertified || row.RunID != s.RunID || row.Score != 100 || row.Source.Name != "nova-lite" {
		t.Errorf("row = %s run %s score %v source %v; want CERTIFIED run %s", row.Status, row.RunID, row.Score, row.Source, s.RunID)
	}
	want, _ := controllers.ExpectedRow(obj)
	if diffs, err := db.Check(context.Background(), []store.Expected{want}); err != nil || len(diffs) != 0 {
		t.Errorf("consistency check: %v %v", diffs, err)
	}

	// kubectl events tells the verdict, in one Event per run.
	eventually(t, 10*time.Second, "the verdict's event", func() (bool, error) {
		out, _, err := env.Kubectl("", "events", "-n", ns, "--for", "modelcertification/nova-lite")
		return strings.Contains(out, "Certified"), err
	})
	if reasons := eventReasons(t, env, ns, "nova-lite"); len(reasons) != 1 || reasons[0] != "Certified" {
		t.Errorf("events = %v, want one: the verdict", reasons)
	}

	// Nothing to do writes nothing.
	rv := obj.ResourceVersion
	time.Sleep(300 * time.Millisecond)
	if got := get(t, env, ns, "nova-lite").ResourceVersion; got != rv {
		t.Errorf("resourceVersion moved from %s to %s with nothing to do", rv, got)
	}

	if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/nova-lite", "--timeout=30s"); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, stderr)
	}
	if _, err := db.Get(context.Background(), "amazon.nova-lite-v1:0", "us-east-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete with deletionPolicy Delete, row lookup = %v; want not found", err)
	}
}

// Failure personas end in the verdict and category their failure deserves; a model this account
// may not invoke costs no inference call.
func TestFailuresAreJudgedAndCategorised(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})

	tests := []struct {
		name, model string
		phase       certv1.Phase
		category    string
		available   metav1.ConditionStatus
	}{
		{"denied", "sim.access-denied-v1", certv1.PhaseFailed, "PERMISSION_ERROR", metav1.ConditionFalse},
		{"no-access", "sim.no-model-access-v1", certv1.PhaseFailed, "PROVISIONING_REQUIRED", metav1.ConditionFalse},
		{"wrong-region", "sim.wrong-region-v1", certv1.PhaseFailed, "UNAVAILABLE", metav1.ConditionFalse},
		{"ignores-system", "sim.ignores-system-prompt-v1", certv1.PhaseCertified, "QUALITY_ISSUE", metav1.ConditionTrue},
		// Useless models fail on quality, however fluent they sound.
		{"echo-last", "sim.echo-last-v1", certv1.PhaseFailed, "QUALITY_ISSUE", metav1.ConditionTrue},
		{"echo-conversation", "sim.echo-conversation-v1", certv1.PhaseFailed, "QUALITY_ISSUE", metav1.ConditionTrue},
		{"fluent-wrong", "sim.fluent-wrong-v1", certv1.PhaseFailed, "QUALITY_ISSUE", metav1.ConditionTrue},
		{"refuses", "sim.refuses-v1", certv1.PhaseFailed, "QUALITY_ISSUE", metav1.ConditionTrue},
		{"canned", "sim.canned-v1", certv1.PhaseFailed, "QUALITY_ISSUE", metav1.ConditionTrue},
		// A model the family table does not know, without tools or system prompts: Bedrock's
		// refusals skip those checks, and the rest certifies it.
		{"mistral", "mistral.mistral-7b-instruct-v0:2", certv1.PhaseCertified, "", metav1.ConditionTrue},
	}
	for _, tt := range tests {
		apply(t, env, ns, manifest(tt.name, tt.model, endpoint, ""))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eventually(t, 60*time.Second, tt.name+" to finish", func() (bool, error) {
				s := get(t, env, ns, tt.name).Status
				return s.CompletedAt != nil, nil
			})
			obj := get(t, env, ns, tt.name)
			if obj.Status.Phase != tt.phase || obj.Status.ErrorCategory != tt.category {
				t.Errorf("verdict = %s %s, want %s %s (%s)", obj.Status.Phase, obj.Status.ErrorCategory, tt.phase, tt.category, obj.Status.ErrorMessage)
			}
			if c := condition(obj, certv1.ConditionModelAvailable); c.Status != tt.available {
				t.Errorf("ModelAvailable = %s (%s: %s), want %s", c.Status, c.Reason, c.Message, tt.available)
			}
			if tt.available == metav1.ConditionFalse {
				if calls := sim.Calls(tt.model); calls.Converse+calls.ConverseStream != 0 {
					t.Errorf("an unavailable model got inference calls: %+v", calls)
				}
			}
			if tt.model == "mistral.mistral-7b-instruct-v0:2" {
				for _, c := range obj.Status.Capabilities {
					if (c.Name == "tool-use" || c.Name == "system-prompt") && (c.Supported || c.Source != "service") {
						t.Errorf("capability %+v, want unsupported by the service's word", c)
					}
				}
			}
			if c := condition(obj, certv1.ConditionDatabaseSynced); c.Reason != controllers.ReasonMirrorDisabled {
				t.Errorf("DatabaseSynced reason = %s, want %s with no database", c.Reason, controllers.ReasonMirrorDisabled)
			}
		})
	}
}

// Editing what a run depends on starts a new run; editing only the schedule does not. Deleting
// with the default policy keeps the row, marked deleted.
func TestSpecChangesAndRetainedDeletion(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	db := openStore(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db})

	apply(t, env, ns, manifest("haiku", "anthropic.claude-3-haiku-20240307-v1:0", endpoint, ""))
	waitFor(t, env, ns, "haiku", "condition=Certified")
	first := get(t, env, ns, "haiku").Status

	apply(t, env, ns, manifest("haiku", "anthropic.claude-3-haiku-20240307-v1:0", endpoint, "  validFor: 24h\n  recertifyAfter: 12h\n"))
	eventually(t, 20*time.Second, "the new schedule", func() (bool, error) {
		s := get(t, env, ns, "haiku").Status
		return s.NextRunAt != nil && s.NextRunAt.Equal(&metav1.Time{Time: s.CompletedAt.Add(12 * time.Hour)}), nil
	})
	if s := get(t, env, ns, "haiku").Status; s.RunID != first.RunID || !s.ValidUntil.Equal(&metav1.Time{Time: s.CompletedAt.Add(24 * time.Hour)}) {
		t.Errorf("a schedule edit re-ran the battery or missed validUntil: run %s→%s, validUntil %v", first.RunID, s.RunID, s.ValidUntil)
	}

	apply(t, env, ns, manifest("haiku", "anthropic.claude-3-haiku-20240307-v1:0", endpoint, "  validFor: 24h\n  recertifyAfter: 12h\n  checks:\n    exclude: [vision]\n"))
	eventually(t, 60*time.Second, "a second run to certify", func() (bool, error) {
		s := get(t, env, ns, "haiku").Status
		return s.Attempt == 2 && s.Phase == certv1.PhaseCertified, nil
	})
	second := get(t, env, ns, "haiku")
	if second.Status.Checks.Total != 13 {
		t.Errorf("checks total = %d after excluding vision, want 13", second.Status.Checks.Total)
	}

	if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/haiku", "--timeout=30s"); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, stderr)
	}
	row, err := db.Get(context.Background(), "anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")
	if err != nil || row.DeletedAt == nil || row.RunID != second.Status.RunID {
		t.Errorf("after delete with deletionPolicy Retain: row %+v, %v; want kept and marked deleted", row, err)
	}
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "haiku"}, &certv1.ModelCertification{}); !apierrors.IsNotFound(err) {
		t.Errorf("object still there after delete: %v", err)
	}
}

// A suspended object is observed but never run.
func TestSuspendedObjectDoesNotRun(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})

	apply(t, env, ns, manifest("paused", "amazon.nova-lite-v1:0", endpoint, "  suspend: true\n"))
	eventually(t, 20*time.Second, "the object to be observed", func() (bool, error) {
		obj := get(t, env, ns, "paused")
		return obj.Status.ObservedGeneration == obj.Generation && obj.Status.Phase == certv1.PhasePending, nil
	})
	obj := get(t, env, ns, "paused")
	if controllerutil.ContainsFinalizer(obj, controllers.Finalizer) {
		t.Errorf("finalizers = %v, want none: without a database there is no row to release", obj.Finalizers)
	}
	if c := condition(obj, certv1.ConditionReady); c.Status != metav1.ConditionFalse || c.Reason != controllers.ReasonSuspended {
		t.Errorf("Ready = %s/%s, want False/Suspended", c.Status, c.Reason)
	}
	if calls := sim.Calls("amazon.nova-lite-v1:0"); calls != (bedrocksim.CallCounts{}) {
		t.Errorf("a suspended object called the model: %+v", calls)
	}

	out, _, err := env.Kubectl("", "get", "mcert", "-n", ns, "-o", "wide")
	if err != nil {
		t.Fatal(err)
	}
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	wantHeader := []string{"NAME", "MODEL", "REGION", "STATUS", "SCORE", "RATING", "BADGE", "AGE", "READY", "VALID-UNTIL", "MESSAGE"}
	if diff := cmp.Diff(wantHeader, header); diff != "" {
		t.Errorf("kubectl get -o wide header (-want +got):\n%s", diff)
	}
}

// Credentials come from a Secret in the object's namespace (the simulator refuses the key
// EXPIRED, which proves the Secret's keys sign the calls rather than the operator's own); a
// Secret that is missing fails the run with CONFIGURATION_ERROR and names it, without calling
// the model.
func TestCredentialsFromSecret(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})

	secret := `apiVersion: v1
kind: Secret
metadata:
  name: aws
stringData:
  accessKeyId: AKIDFROMSECRET
  secretAccessKey: from-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: expired
stringData:
  accessKeyId: ` + bedrocksim.ExpiredAccessKey + `
  secretAccessKey: expired
`
	apply(t, env, ns, secret)
	credentials := "  credentials:\n    secretRef:\n      name: %s\n"
	apply(t, env, ns, manifest("with-secret", "amazon.nova-lite-v1:0", endpoint, fmt.Sprintf(credentials, "aws")))
	apply(t, env, ns, manifest("missing-secret", "anthropic.claude-3-haiku-20240307-v1:0", endpoint, fmt.Sprintf(credentials, "nowhere")))
	apply(t, env, ns, manifest("expired-secret", "amazon.nova-micro-v1:0", endpoint, fmt.Sprintf(credentials, "expired")))

	waitFor(t, env, ns, "with-secret", "condition=Certified")
	waitFor(t, env, ns, "missing-secret", "jsonpath={.status.phase}=Failed")
	obj := get(t, env, ns, "missing-secret")
	if obj.Status.ErrorCategory != "CONFIGURATION_ERROR" || !strings.Contains(obj.Status.ErrorMessage, "nowhere") {
		t.Errorf("missing Secret: %s %q, want CONFIGURATION_ERROR naming the Secret", obj.Status.ErrorCategory, obj.Status.ErrorMessage)
	}
	if calls := sim.Calls("anthropic.claude-3-haiku-20240307-v1:0"); calls != (bedrocksim.CallCounts{}) {
		t.Errorf("a run without credentials called the model: %+v", calls)
	}
	waitFor(t, env, ns, "expired-secret", "jsonpath={.status.phase}=Failed")
	if got := get(t, env, ns, "expired-secret").Status.ErrorCategory; got != "AUTHENTICATION_ERROR" {
		t.Errorf("expired keys from the Secret: category %s, want AUTHENTICATION_ERROR", got)
	}
}

// An operator that crashed mid-run leaves status Processing with a run no process holds: the
// next operator starts it again as the next attempt and finishes it.
func TestLostRunIsStartedAgain(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)

	apply(t, env, ns, manifest("lost", "amazon.nova-lite-v1:0", endpoint, ""))
	obj := get(t, env, ns, "lost")
	started := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
	obj.Status = certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, RunID: "run-of-a-dead-operator",
		Attempt: 1, StartedAt: &started, Progress: &certv1.Progress{Done: 3, Total: 14}}
	if err := env.Client.Status().Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}

	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{})
	waitFor(t, env, ns, "lost", "condition=Certified")
	s := get(t, env, ns, "lost").Status
	if s.Attempt != 2 || s.RunID == "run-of-a-dead-operator" {
		t.Errorf("attempt %d run %s; want attempt 2 under a new run id", s.Attempt, s.RunID)
	}
}

// A long run reports its progress in status while it goes, at most once per progress interval.
func TestProgressShowsDuringALongRun(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t, func(c *bedrocksim.Catalog) {
		for i := range c.Personas {
			if c.Personas[i].ID == "amazon.nova-lite-v1:0" {
				c.Personas[i].LatencyFixed, c.Personas[i].LatencyJitter = 400*time.Millisecond, 0
			}
		}
	})
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{
		Options: controllers.Options{ProgressInterval: 100 * time.Millisecond, MaxRunsPerModel: 1}})

	apply(t, env, ns, manifest("slow", "amazon.nova-lite-v1:0", endpoint, ""))
	eventually(t, 30*time.Second, "progress between the first and the last check", func() (bool, error) {
		s := get(t, env, ns, "slow").Status
		return s.Phase == certv1.PhaseProcessing && s.Progress != nil && s.Progress.Done > 0 && s.Progress.Done < s.Progress.Total, nil
	})
	waitFor(t, env, ns, "slow", "condition=Certified")
	if s := get(t, env, ns, "slow").Status; s.Progress != nil {
		t.Errorf("progress %v left in status after the run", s.Progress)
	}
}
