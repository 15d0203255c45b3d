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
