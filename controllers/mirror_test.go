package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// historyRun is what certification_runs keeps of one run.
type historyRun struct {
	RunID       string
	WithResults bool
}

// history lists a model's runs in the history, oldest first.
func history(t *testing.T, dsn, modelID string) []historyRun {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(),
		`SELECT run_id, check_results IS NOT NULL FROM certification_runs WHERE model_id = $1 ORDER BY started_at, attempt`, modelID)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[historyRun])
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func sql(t *testing.T, dsn, statement string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), statement); err != nil {
		t.Fatal(err)
	}
}

const excludeVision = "  checks:\n    exclude: [vision]\n"

// The database goes down. A spec edit made during the outage runs at once and its verdict lands
// in status; the object's DatabaseSynced turns False once and stays so while the mirror retries
// with backoff; when the database is back the mirror writes the verdict with its full results
// and DatabaseSynced turns True. The outage costs the object two status writes, no more.
func TestDatabaseOutageDelaysOnlyTheMirror(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	o := newOutage(t)
	writes := startCountingOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: o.db})

	apply(t, env, ns, manifest("micro", "amazon.nova-micro-v1:0", endpoint, ""))
	waitFor(t, env, ns, "micro", "condition=Certified")
	waitFor(t, env, ns, "micro", "condition=DatabaseSynced")
	first := get(t, env, ns, "micro").Status
	if got := writes.writesOf("micro"); got != 3 {
		t.Errorf("%d writes for the first certification, want 3 (finalizer, start, verdict)", got)
	}

	o.proxy.Down()
	before := writes.writesOf("micro")
	apply(t, env, ns, manifest("micro", "amazon.nova-micro-v1:0", endpoint, excludeVision))
	eventually(t, 30*time.Second, "the run started during the outage to finish", func() (bool, error) {
		s := get(t, env, ns, "micro").Status
		return s.Attempt == 2 && s.Phase == certv1.PhaseCertified, nil
	})
	waitFor(t, env, ns, "micro", "condition=DatabaseSynced=False")
	time.Sleep(3 * time.Second) // the mirror retries meanwhile; each retry must write nothing
	o.proxy.Up()
	waitFor(t, env, ns, "micro", "condition=DatabaseSynced=True")
	second := get(t, env, ns, "micro").Status
	if got := writes.writesOf("micro") - before; got != 4 {
		t.Errorf("%d writes from the spec edit to the end of the outage, want 4: start, verdict, DatabaseSynced False and True", got)
	}

	row, err := o.direct.Get(context.Background(), "amazon.nova-micro-v1:0", "us-east-1")
	if err != nil || row.RunID != second.RunID || row.Status != store.StatusCertified || row.TestsSkipped != 0 {
		t.Errorf("row after the outage = %+v, %v; want run %s CERTIFIED", row, err, second.RunID)
	}
	want := []historyRun{{first.RunID, true}, {second.RunID, true}}
	if got := history(t, o.dsn, "amazon.nova-micro-v1:0"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("history = %v, want both runs with their full results %v", got, want)
	}
	if calls := sim.Calls("amazon.nova-micro-v1:0"); calls.ConverseStream != 2 {
		t.Errorf("model calls = %+v, want two runs' worth: a failed mirror write never re-runs the model", calls)
	}
}

// Objects are edited and then deleted while the database is down: the database holds their
// first run, status their second. When the database is back, each finalizer writes the verdict
// the database lacks, applies the object's deletionPolicy to the row it owns whichever run it
// holds, and lets the object go: no orphan row, no lost verdict.
func TestDeletionDuringAnOutageLeavesNoOrphan(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	o := newOutage(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: o.db})

	objects := []struct{ name, model, policy string }{
		{"deleted", "amazon.nova-lite-v1:0", "  deletionPolicy: Delete\n"},
		{"retained", "anthropic.claude-3-haiku-20240307-v1:0", ""},
	}
	// Edited and deleted at once: the run the edit starts is cancelled by the deletion.
	const cancelled, cancelledModel = "cancelled", "amazon.nova-micro-v1:0"
	for _, obj := range objects {
		apply(t, env, ns, manifest(obj.name, obj.model, endpoint, obj.policy))
	}
	apply(t, env, ns, manifest(cancelled, cancelledModel, endpoint, ""))
	for _, name := range []string{objects[0].name, objects[1].name, cancelled} {
		waitFor(t, env, ns, name, "condition=DatabaseSynced")
	}
	firstRun := map[string]string{}
	for _, obj := range objects {
		firstRun[obj.name] = get(t, env, ns, obj.name).Status.RunID
	}

	o.proxy.Down()
	apply(t, env, ns, manifest(cancelled, cancelledModel, endpoint, excludeVision))
	if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/"+cancelled, "--wait=false"); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, stderr)
	}
	for _, obj := range objects {
		apply(t, env, ns, manifest(obj.name, obj.model, endpoint, obj.policy+excludeVision))
	}
	lastRun := map[string]string{}
	for _, obj := range objects {
		eventually(t, 30*time.Second, obj.name+"'s second verdict", func() (bool, error) {
			s := get(t, env, ns, obj.name).Status
			lastRun[obj.name] = s.RunID
			return s.Attempt == 2 && s.Phase == certv1.PhaseCertified, nil
		})
		if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/"+obj.name, "--wait=false"); err != nil {
			t.Fatalf("kubectl delete: %v\n%s", err, stderr)
		}
	}
	time.Sleep(time.Second)
	for _, obj := range objects {
		if get(t, env, ns, obj.name).DeletionTimestamp == nil {
			t.Fatalf("%s went while the database was down", obj.name)
		}
	}
	o.proxy.Up()
	for _, obj := range objects {
		eventually(t, 30*time.Second, obj.name+" to go", func() (bool, error) {
			err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: obj.name}, &certv1.ModelCertification{})
			return apierrors.IsNotFound(err), err
		})
		want := []historyRun{{firstRun[obj.name], true}, {lastRun[obj.name], true}}
		if got := history(t, o.dsn, obj.model); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: history = %v, want both runs with their results %v", obj.name, got, want)
		}
	}
	if _, err := o.direct.Get(context.Background(), "amazon.nova-lite-v1:0", "us-east-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deletionPolicy Delete: row lookup = %v, want not found", err)
	}
	row, err := o.direct.Get(context.Background(), "anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")
	if err != nil || row.RunID != lastRun["retained"] || row.Status != store.StatusCertified || row.DeletedAt == nil {
		t.Errorf("deletionPolicy Retain: row %+v, %v; want the last run's verdict, marked deleted", row, err)
	}
	eventually(t, 30*time.Second, cancelled+" to go", func() (bool, error) {
		err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: cancelled}, &certv1.ModelCertification{})
		return apierrors.IsNotFound(err), err
	})
	// Whether the edit's run was cancelled or finished first, the row holds a verdict: never the
	// start of a run that will not end.
	row, err = o.direct.Get(context.Background(), cancelledModel, "us-east-1")
	if err != nil || row.Status != store.StatusCertified || row.DeletedAt == nil {
		t.Errorf("deleted during the run its edit started: row %+v, %v; want its last verdict, marked deleted", row, err)
	}
	if diffs, err := o.direct.Check(context.Background(), nil); err != nil || len(diffs) != 0 {
		t.Errorf("db check with no objects left: %v, %v; want no orphan", diffs, err)
	}
}

// A database that stays down does not hold a deleted object forever: after --finalize-timeout it
// is released, and an Event and a metric record that the database was not updated.
func TestFinalizeTimeoutReleasesTheObject(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	o := newOutage(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: o.db,
		Options: controllers.Options{FinalizeTimeout: 2 * time.Second}})
	released := metricValue(t, "modelcert_finalize_released_total", nil)

	apply(t, env, ns, manifest("stuck", "amazon.nova-lite-v1:0", endpoint, ""))
	waitFor(t, env, ns, "stuck", "condition=DatabaseSynced")
	o.proxy.Down()
	if _, stderr, err := env.Kubectl("", "delete", "-n", ns, "mcert/stuck", "--timeout=30s"); err != nil {
		t.Fatalf("kubectl delete with the database down: %v\n%s", err, stderr)
	}
	if got := metricValue(t, "modelcert_finalize_released_total", nil) - released; got != 1 {
		t.Errorf("released without the database: metric +%v, want +1", got)
	}
	// A failed write before the release may also say DatabaseWriteFailed, depending on timing.
	eventually(t, 10*time.Second, "the Event saying what was left undone", func() (bool, error) {
		reasons := slices.Sorted(slices.Values(eventReasons(t, env, ns, "stuck")))
		reasons = slices.DeleteFunc(reasons, func(r string) bool { return r == "DatabaseWriteFailed" })
		return fmt.Sprint(reasons) == "[Certified DatabaseUnreachable]", fmt.Errorf("events %v", reasons)
	})
}

// The operator starts while PostgreSQL is down (and not even migrated): it certifies as usual,
// says the database is behind, migrates when it comes, and the mirror catches up.
func TestOperatorStartsWithoutTheDatabase(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	dsn := testenv.Database(t)
	proxy, proxied := testenv.NewProxy(t, dsn)
	proxy.Down()
	db, err := store.Connect(store.Config{URL: proxied, QueryTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ctx, cancel := context.WithCancel(context.Background())
	migrated := make(chan error, 1)
	go func() { migrated <- db.MigrateWhenReachable(ctx, time.Second, func(error) {}) }()
	t.Cleanup(func() { cancel(); <-migrated })
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db})

	apply(t, env, ns, manifest("early", "amazon.nova-lite-v1:0", endpoint, ""))
	waitFor(t, env, ns, "early", "condition=Certified")
	waitFor(t, env, ns, "early", "condition=DatabaseSynced=False")
	proxy.Up()
	waitFor(t, env, ns, "early", "condition=DatabaseSynced=True")
	row, err := migratedStore(t, dsn).Get(context.Background(), "amazon.nova-lite-v1:0", "us-east-1")
	if s := get(t, env, ns, "early").Status; err != nil || row.RunID != s.RunID || row.Status != store.StatusCertified {
		t.Errorf("row = %+v, %v; want run %s CERTIFIED", row, err, s.RunID)
	}
}

// reconciles is how many reconciles of a controller ended well (done, or asking to look again
// later), across this process.
func reconciles(t *testing.T, controller string) float64 {
	var n float64
	for _, result := range []string{"success", "requeue_after"} {
		n += metricValue(t, "controller_runtime_reconcile_total", map[string]string{"controller": controller, "result": result})
	}
	return n
}

// An operator restarted over settled objects finds everything in order with one query: no API
// write, no model call, no database write.
func TestRestartOverSettledObjectsWritesNothing(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	db := openStore(t)
	stop := startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db})
	models := []string{"amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"}
	const n = 12
	for i := range n {
		apply(t, env, ns, fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: settled-%d
spec:
  modelId: %s
  region: %s
  endpoint: %s
`, i, models[i%len(models)], regions[i/len(models)], endpoint))
	}
	for i := range n {
		waitFor(t, env, ns, fmt.Sprintf("settled-%d", i), "condition=DatabaseSynced")
	}
	stop()

	calls := func() (total int) {
		for _, m := range models {
			c := sim.Calls(m)
			total += c.Converse + c.ConverseStream + c.ControlPlane
		}
		return total
	}
	callsBefore, roundTrips := calls(), db.RoundTrips()
	certified, mirrored := reconciles(t, "modelcertification"), reconciles(t, "modelcertification-mirror")
	writes := startCountingOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db})
	eventually(t, 30*time.Second, "both controllers to look at every object", func() (bool, error) {
		c, m := reconciles(t, "modelcertification")-certified, reconciles(t, "modelcertification-mirror")-mirrored
		return c >= n && m >= n, fmt.Errorf("%v and %v reconciles", c, m)
	})
	if got := writes.patches.Load(); got != 0 {
		t.Errorf("the restart wrote %d times to the API server, want 0", got)
	}
	if got := db.RoundTrips() - roundTrips; got != 1 {
		t.Errorf("the restart took %d database round trips, want 1 (one read of every row)", got)
	}
	if got := calls() - callsBefore; got != 0 {
		t.Errorf("the restart made %d model calls, want 0", got)
	}
}

// The mirror's resync reads the table again and rewrites what differs from status, and only
// that: a truncated table comes back, a row edited by hand is repaired, the others stay as
// they are.
func TestResyncRewritesOnlyDifferingRows(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	dsn := testenv.Database(t)
	db := migratedStore(t, dsn)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: db,
		Options: controllers.Options{MirrorResync: 500 * time.Millisecond}})
	models := []string{"amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"}
	for i, m := range models {
		apply(t, env, ns, manifest(fmt.Sprintf("m%d", i), m, endpoint, ""))
	}
	for i := range models {
		waitFor(t, env, ns, fmt.Sprintf("m%d", i), "condition=DatabaseSynced")
	}
	rows := func() ([]store.Certification, error) { return db.List(context.Background(), store.Filter{}) }

	sql(t, dsn, `TRUNCATE model_certifications`)
	eventually(t, 10*time.Second, "the truncated rows to come back", func() (bool, error) {
		list, err := rows()
		return len(list) == len(models), err
	})

	writes := metricValue(t, "modelcert_mirror_writes_total", map[string]string{"result": "ok"})
	sql(t, dsn, `UPDATE model_certifications SET score = 1 WHERE model_id = 'amazon.nova-micro-v1:0'`)
	want := *get(t, env, ns, "m1").Status.Score
	eventually(t, 10*time.Second, "the edited row to be repaired", func() (bool, error) {
		row, err := db.Get(context.Background(), "amazon.nova-micro-v1:0", "us-east-1")
		return err == nil && row.Score == want, err
	})
	time.Sleep(1500 * time.Millisecond) // three more resyncs
	if got := metricValue(t, "modelcert_mirror_writes_total", map[string]string{"result": "ok"}) - writes; got != 1 {
		t.Errorf("%v mirror writes after one row was edited, want 1", got)
	}
}
