package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// historyRun is one hand-written run of a history.
type historyRun struct {
	modelID, region, runID string
	hour                   int // hours after epoch the run started
	status                 Status
	badge                  string
	score                  float64
	checkResults           string // JSON, empty for none
}

// recordHistory records the runs in order, as the mirror would.
func recordHistory(t *testing.T, s *Store, runs []historyRun) {
	t.Helper()
	for _, h := range runs {
		c := testRun{modelID: h.modelID, runID: h.runID, attempt: 1, startedAfter: time.Duration(h.hour) * time.Hour}.result(h.status)
		c.Region, c.Badge, c.Score = h.region, h.badge, h.score
		var run Run
		if h.checkResults != "" {
			run.CheckResults = json.RawMessage(h.checkResults)
		}
		if _, err := s.RecordResult(context.Background(), c, run); err != nil {
			t.Fatalf("record %s: %v", h.runID, err)
		}
	}
}

// trendRow is a row of certification_trend.
type trendRow struct {
	ModelID, Region, RunID, Status, Badge string
	Recency                               int64
	Score                                 float64
	P50LatencyMs                          *float64
	InputTokens, OutputTokens, Total      int64
}

func TestCertificationTrend(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	// Passed inference checks of run-1 take 100, 300 and 200 ms; availability, the failed and the
	// skipped checks do not count, so the median is 200. run-2 has two: the median interpolates.
	recordHistory(t, s, []historyRun{
		{"m", "us-east-1", "run-1", 0, StatusCertified, "PREMIUM", 100, `[
			{"name": "availability", "status": "Passed", "latencyMs": 5},
			{"name": "basic-prompt", "status": "Passed", "latencyMs": 100},
			{"name": "streaming", "status": "Passed", "latencyMs": 300},
			{"name": "parameters", "status": "Passed", "latencyMs": 200},
			{"name": "consistency", "status": "Failed", "latencyMs": 30000},
			{"name": "vision", "status": "Skipped", "latencyMs": 0}]`},
		{"m", "eu-west-1", "run-eu", 1, StatusCertified, "PREMIUM", 100, `[]`},
		{"m", "us-east-1", "run-2", 2, StatusQualityWarning, "FUNCTIONAL", 70, `[
			{"name": "basic-prompt", "status": "Passed", "latencyMs": 100},
			{"name": "streaming", "status": "Passed", "latencyMs": 400}]`},
		{"m", "us-east-1", "run-3", 3, StatusFailed, "UNAVAILABLE", 0, ""},
	})
	p50 := func(ms float64) *float64 { return &ms }

	rows, err := s.pool.Query(context.Background(), `
		SELECT model_id, region, run_id, status, badge, recency, score, p50_latency_ms,
		       input_tokens, output_tokens, total_tokens
		FROM certification_trend WHERE model_id = 'm' AND region = 'us-east-1'`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (trendRow, error) {
		var r trendRow
		err := row.Scan(&r.ModelID, &r.Region, &r.RunID, &r.Status, &r.Badge, &r.Recency, &r.Score, &r.P50LatencyMs,
			&r.InputTokens, &r.OutputTokens, &r.Total)
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; testRun.result spends 1200 input and 3400 output tokens.
	want := []trendRow{
		{"m", "us-east-1", "run-3", "FAILED", "UNAVAILABLE", 1, 0, nil, 1200, 3400, 4600},
		{"m", "us-east-1", "run-2", "QUALITY_WARNING", "FUNCTIONAL", 2, 70, p50(250), 1200, 3400, 4600},
		{"m", "us-east-1", "run-1", "CERTIFIED", "PREMIUM", 3, 100, p50(200), 1200, 3400, 4600},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("certification_trend for m in us-east-1 (-want +got):\n%s", diff)
	}
	var euRecency int64
	if err := s.pool.QueryRow(context.Background(),
		`SELECT recency FROM certification_trend WHERE run_id = 'run-eu'`).Scan(&euRecency); err != nil || euRecency != 1 {
		t.Errorf("run-eu recency = %d (%v), want 1: each region is its own trend", euRecency, err)
	}
}

// regressionRow is a row of regressions.
type regressionRow struct {
	ModelID, Region, RunID, PreviousRunID string
	FromStatus, ToStatus                  string
	FromBadge, ToBadge                    string
}

func TestRegressionsView(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	recordHistory(t, s, []historyRun{
		{"m", "us-east-1", "r1", 0, StatusCertified, "PREMIUM", 100, ""},
		{"m", "us-east-1", "r2", 1, StatusCertified, "RECOMMENDED", 92.9, ""},   // lower badge
		{"m", "us-east-1", "r3", 2, StatusCertified, "PREMIUM", 100, ""},        // improvement
		{"m", "eu-west-1", "eu1", 3, StatusFailed, "UNAVAILABLE", 0, ""},        // another region: no predecessor
		{"m", "us-east-1", "r4", 4, StatusQualityWarning, "FUNCTIONAL", 70, ""}, // phase and badge
		{"m", "us-east-1", "r5", 5, StatusFailed, "NOT_RECOMMENDED", 40, ""},    // lower badge, not from CERTIFIED
		{"m", "us-east-1", "r6", 6, StatusFailed, "NOT_RECOMMENDED", 40, ""},    // the same verdict again
		{"m", "us-east-1", "r7", 7, StatusCertified, "FUNCTIONAL", 85, ""},      // improvement
		{"m", "us-east-1", "r8", 8, StatusQualityWarning, "FUNCTIONAL", 70, ""}, // phase only
		{"other", "us-east-1", "o1", 9, StatusCertified, "PREMIUM", 100, ""},    // another model: no predecessor
		{"m", "eu-west-1", "eu2", 10, StatusCertified, "PREMIUM", 100, ""},      // improvement
	})

	rows, err := s.pool.Query(context.Background(), `
		SELECT model_id, region, run_id, previous_run_id, from_status, to_status, from_badge, to_badge
		FROM regressions`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[regressionRow])
	if err != nil {
		t.Fatal(err)
	}
	// Newest first.
	want := []regressionRow{
		{"m", "us-east-1", "r8", "r7", "CERTIFIED", "QUALITY_WARNING", "FUNCTIONAL", "FUNCTIONAL"},
		{"m", "us-east-1", "r5", "r4", "QUALITY_WARNING", "FAILED", "FUNCTIONAL", "NOT_RECOMMENDED"},
		{"m", "us-east-1", "r4", "r3", "CERTIFIED", "QUALITY_WARNING", "PREMIUM", "FUNCTIONAL"},
		{"m", "us-east-1", "r2", "r1", "CERTIFIED", "CERTIFIED", "PREMIUM", "RECOMMENDED"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regressions (-want +got):\n%s", diff)
	}
}

func TestBadgeRank(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	var order []string
	err := s.pool.QueryRow(context.Background(), `
		SELECT array_agg(b ORDER BY certification_badge_rank(b) DESC)
		FROM unnest(ARRAY['LIMITED', 'UNAVAILABLE', 'PREMIUM', 'FUNCTIONAL', 'NOT_RECOMMENDED', 'RECOMMENDED']) AS b`).Scan(&order)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PREMIUM", "RECOMMENDED", "FUNCTIONAL", "LIMITED", "NOT_RECOMMENDED", "UNAVAILABLE"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("badges by rank (-want +got):\n%s", diff)
	}
	var unknown *int
	if err := s.pool.QueryRow(context.Background(), `SELECT certification_badge_rank('')`).Scan(&unknown); err != nil || unknown != nil {
		t.Errorf("rank of an empty badge = %v (%v), want NULL", unknown, err)
	}
}
