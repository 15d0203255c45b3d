package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// An operator runs `manager db check` against the cluster and the database: it exits 0 while
// every object's status and its row agree, and 1, naming the field, once a row is edited by hand.
// With --namespace, it reports the orphan rows of that namespace and no other's.
func TestDBCheckReportsDifferences(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	dsn := testenv.Database(t)
	ctx := context.Background()

	db, err := store.Open(ctx, store.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	obj := &certv1.ModelCertification{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nova"},
		Spec:       certv1.ModelCertificationSpec{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1"},
	}
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	started := metav1.NewTime(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	score, rating := 100.0, 5.0
	obj.Status = certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified, RunID: "run-1", Attempt: 1,
		Passed: true, Score: &score, Rating: &rating, Badge: "PREMIUM", StartedAt: &started, CompletedAt: &started}
	if err := env.Client.Status().Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	row := store.Certification{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1", Status: store.StatusCertified,
		Passed: true, Score: 100, Rating: 5, Badge: "PREMIUM", RunID: "run-1", Attempt: 1, StartedAt: started.Time,
		CompletedAt: &started.Time, Source: store.Source{Namespace: ns, Name: "nova"}}
	if _, err := db.RecordResult(ctx, row, store.Run{}); err != nil {
		t.Fatal(err)
	}

	check := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := dispatch(ctx, []string{"db", "check", "--database-url", dsn, "--kubeconfig", env.Kubeconfig, "--namespace", ns}, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := check(); code != 0 || !strings.Contains(out, "agree") {
		t.Fatalf("db check on agreeing data = %d:\n%s", code, out)
	}

	orphan := func(namespace, model string) {
		row := row
		row.ModelID, row.Source = model, store.Source{Namespace: namespace, Name: "gone", UID: "uid-" + model}
		if _, err := db.RecordResult(ctx, row, store.Run{}); err != nil {
			t.Fatal(err)
		}
	}
	orphan("elsewhere", "model-of-another-namespace")
	if code, out := check(); code != 0 || strings.Contains(out, "OrphanRow") {
		t.Fatalf("db check --namespace with another namespace's orphan = %d:\n%s", code, out)
	}
	orphan(ns, "model-of-a-deleted-object")
	if code, out := check(); code != 1 || !strings.Contains(out, "OrphanRow (no object "+ns+"/gone) model-of-a-deleted-object") {
		t.Fatalf("db check --namespace with an orphan of its own = %d, want 1 naming it:\n%s", code, out)
	}
	if _, err := db.Delete(ctx, "uid-model-of-a-deleted-object"); err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE model_certifications SET score = 42`); err != nil {
		t.Fatal(err)
	}
	code, out := check()
	if code != 1 || !strings.Contains(out, "score") || !strings.Contains(out, "nova") {
		t.Errorf("db check after a hand edit = %d, want 1 naming the object and the field:\n%s", code, out)
	}
}

func TestDBCheckUsage(t *testing.T) {
	t.Setenv(databaseURLEnv, "")
	for _, args := range [][]string{
		{"db"},
		{"db", "vacuum"},
		{"db", "check"},
		{"db", "check", "--database-url", "postgres://x", "--db-max-conns", "0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr: %s)", args, code, stderr.String())
		}
	}
}

// An operator started while its database is unreachable runs anyway (it certifies without the
// mirror and migrates when the database comes), says why on its log, and never shows the
// password.
func TestOperatorStartsWithAnUnreachableDatabase(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &testenv.Buffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- dispatch(ctx, []string{"--kubeconfig", env.Kubeconfig,
			"--database-url", "postgres://admin:hunter2@127.0.0.1:1/db", "--db-query-timeout", "1s",
			"--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, &stdout, stderr)
	}()
	// The manager runs until stopped; stop it once it has said why the mirror waits.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "Database not ready") && time.Now().Before(deadline) {
		select {
		case code := <-exited:
			t.Fatalf("manager exited %d while the database was unreachable:\n%s", code, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	code := <-exited
	out := stderr.String()
	if code != 0 || !strings.Contains(out, "Database not ready") || strings.Contains(out, "hunter2") ||
		!strings.Contains(out, "admin:xxxxx@") {
		t.Errorf("exit %d; want 0 after running until stopped, a log that the database is not ready, the password masked:\n%s", code, out)
	}
}

func TestKubeAPIRateFlags(t *testing.T) {
	env := testenv.Require(t)
	// --kubeconfig goes through clientcmd, which would keep client-go's 5 requests/s.
	cfg, err := kubeConfig(env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != defaultKubeAPIQPS || cfg.Burst != defaultKubeAPIBurst {
		t.Errorf("--kubeconfig: QPS %v burst %d, want %d and %d", cfg.QPS, cfg.Burst, defaultKubeAPIQPS, defaultKubeAPIBurst)
	}
	for _, args := range [][]string{{"--kube-api-qps", "0"}, {"--kube-api-burst", "0"}} {
		if _, err := parseOperatorFlags(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %v, want one naming %s", args, err, args[0])
		}
	}
	o, err := parseOperatorFlags([]string{"--kube-api-qps", "30", "--kube-api-burst", "60", "--pprof-bind-address", "127.0.0.1:6060"}, &bytes.Buffer{})
	if err != nil || o.kubeAPIQPS != 30 || o.kubeAPIBurst != 60 || o.pprofAddr != "127.0.0.1:6060" {
		t.Errorf("parsed %+v, %v", o, err)
	}
}
