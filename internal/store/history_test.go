package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLastRunIsTheObjectsNewestFinishedRun(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	first := testRun{modelID: "m", runID: "run-1", attempt: 1}
	second := testRun{modelID: "m", runID: "run-2", attempt: 2, startedAfter: time.Hour}
	inProgress := testRun{modelID: "m", runID: "run-3", attempt: 3, startedAfter: 2 * time.Hour}
	secondChecks := Run{CheckResults: json.RawMessage(`[{"name": "basic-prompt", "status": "Passed", "latencyMs": 812}]`)}
	for _, w := range []write{
		resultWrite(first, StatusFailed),
		{"run-2 certified", func(ctx context.Context, s *Store) (bool, error) {
			return s.RecordResult(ctx, second.result(StatusCertified), secondChecks)
		}},
		startWrite(inProgress),
	} {
		if _, err := w.do(ctx, s); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
	}
	// Another object naming the same model and region, with a newer run, is not this one's.
	other := testRun{modelID: "m", runID: "run-other", attempt: 1, startedAfter: 3 * time.Hour}.result(StatusCertified)
	other.Source = Source{Namespace: "team-x", Name: "m", UID: "uid-other", Generation: 1}
	if _, err := s.RecordResult(ctx, other, testCheckResults); err != nil {
		t.Fatal(err)
	}

	got, err := s.LastRun(ctx, "m", "us-east-1", "uid-m")
	if err != nil {
		t.Fatal(err)
	}
	want := second.result(StatusCertified)
	want.TestResults = json.RawMessage(`[{"check": "latency", "passed": true}]`) // jsonb's own rendering
	if diff := cmp.Diff(want, got.Certification, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("last run's verdict (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`[{"name": "basic-prompt", "status": "Passed", "latencyMs": 812}]`, string(got.CheckResults)); diff != "" {
		t.Errorf("last run's check results (-want +got):\n%s", diff)
	}
	if got.RecordedAt.IsZero() {
		t.Error("last run has no recorded_at")
	}
}

func TestLastRunOfAnObjectWithNoFinishedRunIsErrNotFound(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.RecordStart(ctx, testRun{modelID: "m", runID: "run-1", attempt: 1}.start()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastRun(ctx, "m", "us-east-1", "uid-m"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastRun of an object whose only run is in progress: %v, want ErrNotFound", err)
	}
}
