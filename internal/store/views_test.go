package store

import (
	"context"
	"testing"
	"time"
)

func countView(t *testing.T, s *Store, view string) int {
	t.Helper()
	var n int
	// view is a constant from the test, never input.
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+view).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", view, err)
	}
	return n
}

func TestViews(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	certified := testRun{modelID: "certified", runID: "run-c", attempt: 1}
	warned := testRun{modelID: "warned", runID: "run-w", attempt: 1}
	failed := testRun{modelID: "failed", runID: "run-f", attempt: 1}
	expired := testRun{modelID: "expired", runID: "run-e", attempt: 1, startedAfter: -365 * 24 * time.Hour}
	processing := testRun{modelID: "processing", runID: "run-p", attempt: 1}
	for _, w := range []write{
		resultWrite(certified, StatusCertified),
		resultWrite(warned, StatusQualityWarning),
		resultWrite(failed, StatusFailed),
		resultWrite(expired, StatusCertified),
		startWrite(processing),
	} {
		if _, err := w.do(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for view, want := range map[string]int{
		"certified_models":       1, // not the expired one
		"quality_warning_models": 1,
		"failed_models":          1,
		"unavailable_models":     1, // the failed one is UNAVAILABLE
	} {
		if got := countView(t, s, view); got != want {
			t.Errorf("%s has %d rows, want %d", view, got, want)
		}
	}
}

// A certified model being re-certified stays in certified_models, with its last verdict in the
// row, until the new run ends: the row mirrors the object's status, which keeps the verdict.
func TestRecertificationKeepsTheLastVerdict(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	first := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := s.RecordResult(ctx, first.result(StatusCertified), testCheckResults); err != nil {
		t.Fatal(err)
	}
	second := testRun{modelID: "m", runID: "run-2", attempt: 2, startedAfter: time.Hour}
	restart := first.result(StatusCertified) // the status's verdict, carried into the new run
	restart.RunID, restart.Attempt, restart.StartedAt = second.runID, second.attempt, second.start().StartedAt
	if applied, err := s.RecordStart(ctx, restart); err != nil || !applied {
		t.Fatalf("RecordStart = %v, %v", applied, err)
	}
	row := mustGet(t, s, "m")
	if row.Status != StatusProcessing || row.RunID != "run-2" || !row.Passed || row.Score != restart.Score {
		t.Errorf("row during re-certification = %s run %s passed=%v score=%v; want PROCESSING run-2 with the last verdict",
			row.Status, row.RunID, row.Passed, row.Score)
	}
	if got := countView(t, s, "certified_models"); got != 1 {
		t.Errorf("certified_models has %d rows during re-certification, want 1", got)
	}
	if _, err := s.RecordResult(ctx, second.result(StatusFailed), testCheckResults); err != nil {
		t.Fatal(err)
	}
	if got := countView(t, s, "certified_models"); got != 0 {
		t.Errorf("certified_models has %d rows after the re-certification failed, want 0", got)
	}
}
