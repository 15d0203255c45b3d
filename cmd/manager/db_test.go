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

// An operator started against a database it cannot reach says so on one line, with the
// password masked, and exits 1 rather than running without its mirror unnoticed.
func TestOperatorReportsAnUnreachableDatabase(t *testing.T) {
	env := testenv.Require(t)
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"--kubeconfig", env.Kubeconfig,
		"--database-url", "postgres://admin:hunter2@127.0.0.1:1/db", "--db-query-timeout", "2s",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, &stdout, &stderr)
	out := stderr.String()
	if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "manager: database:") ||
		strings.Contains(out, "hunter2") || !strings.Contains(out, "admin:xxxxx@") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line naming the database with its password masked", code, out)
	}
}
