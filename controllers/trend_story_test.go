package controllers_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// databaseRegression is what the regressions view says of one regression.
type databaseRegression struct {
	RunID, PreviousRunID, FromStatus, ToStatus, FromBadge, ToBadge string
}

// A team with a database certifies Nova Lite, then the model stops following system prompts.
// The lower verdict is a row of the regressions view, naming both runs, and
// certification_trend lists both runs newest first with their tokens, as status reported them.
func TestRegressionIsARowOfTheRegressionsView(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	_, endpoint := startSimulator(t)
	_, degraded := startSimulator(t, ignoringSystemPrompts("amazon.nova-lite-v1:0"))
	dsn := testenv.Database(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Mirror: migratedStore(t, dsn)})

	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", endpoint, ""))
	waitFor(t, env, ns, "nova", "condition=Certified")
	first := get(t, env, ns, "nova").Status
	apply(t, env, ns, manifest("nova", "amazon.nova-lite-v1:0", degraded, ""))
	eventually(t, 60*time.Second, "the second verdict in the database", func() (bool, error) {
		s := get(t, env, ns, "nova").Status
		return s.Attempt == 2 && s.Phase != certv1.PhaseProcessing && len(history(t, dsn, "amazon.nova-lite-v1:0")) == 2, nil
	})
	second := get(t, env, ns, "nova").Status
	if second.Regression == nil {
		t.Fatalf("second verdict %s %s is no regression of %s %s", second.Phase, second.Badge, first.Phase, first.Badge)
	}

	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), `
		SELECT run_id, previous_run_id, from_status, to_status, from_badge, to_badge
		FROM regressions WHERE model_id = 'amazon.nova-lite-v1:0' AND region = 'us-east-1'`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[databaseRegression])
	if err != nil {
		t.Fatal(err)
	}
	want := []databaseRegression{{second.RunID, first.RunID, "CERTIFIED", "CERTIFIED", first.Badge, second.Badge}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regressions (-want +got):\n%s", diff)
	}

	var trend []string
	var tokens []int64
	rows, err = conn.Query(context.Background(), `
		SELECT run_id, total_tokens FROM certification_trend
		WHERE model_id = 'amazon.nova-lite-v1:0' AND region = 'us-east-1' AND p50_latency_ms IS NOT NULL
		ORDER BY recency`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var runID string
		var total int64
		if err := rows.Scan(&runID, &total); err != nil {
			t.Fatal(err)
		}
		trend, tokens = append(trend, runID), append(tokens, total)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	spent := func(s certv1.ModelCertificationStatus) int64 { return s.Usage.InputTokens + s.Usage.OutputTokens }
	if !cmp.Equal(trend, []string{second.RunID, first.RunID}) || !cmp.Equal(tokens, []int64{spent(second), spent(first)}) {
		t.Errorf("certification_trend runs %v with tokens %v, want %v with %v (newest first, each with a p50 latency)",
			trend, tokens, []string{second.RunID, first.RunID}, []int64{spent(second), spent(first)})
	}
}
