package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// What the mirror reads back from the database has the digest of what it wrote, so an
// unchanged status writes nothing; any change in a written column shows.
func TestHoldingsReadBackWhatWasWritten(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	started := testRun{modelID: "started", runID: "run-1", attempt: 1}.start()
	finished := testRun{modelID: "finished", runID: "run-2", attempt: 3}.result(StatusQualityWarning)
	// The status's own JSON, as the controller encodes it: jsonb stores it respaced and reordered.
	finished.TestResults = json.RawMessage(`[{"name":"latency","message":"slow","category":"TIMEOUT"}]`)
	if _, err := s.RecordStart(ctx, started); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordResult(ctx, finished, Run{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDeleted(ctx, "uid-finished"); err != nil {
		t.Fatal(err)
	}
	before := s.RoundTrips()
	held, err := s.Holdings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RoundTrips() - before; got != 1 {
		t.Errorf("Holdings took %d round trips, want 1", got)
	}
	deleted := Hold(finished)
	deleted.Deleted = true
	want := map[RowKey]Held{started.Key(): Hold(started), finished.Key(): deleted}
	if diff := cmp.Diff(want, held, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("holdings (-want +got):\n%s", diff)
	}
}

func TestDigestSeesEveryWrittenColumn(t *testing.T) {
	base := testRun{modelID: "m", runID: "run-1", attempt: 1}.result(StatusCertified)
	later := base.CompletedAt.Add(time.Second)
	for name, edit := range map[string]func(*Certification){
		"score":        func(c *Certification) { c.Score += 0.001 },
		"badge":        func(c *Certification) { c.Badge = "FUNCTIONAL" },
		"expires_at":   func(c *Certification) { c.ExpiresAt = &later },
		"no expiry":    func(c *Certification) { c.ExpiresAt = nil },
		"test_results": func(c *Certification) { c.TestResults = json.RawMessage(`[]`) },
		"generation":   func(c *Certification) { c.Source.Generation++ },
		"attempt":      func(c *Certification) { c.Attempt++ },
	} {
		edited := base
		edit(&edited)
		if edited.Digest() == base.Digest() {
			t.Errorf("a change of %s leaves the digest unchanged", name)
		}
	}
	respaced := base
	respaced.TestResults = json.RawMessage(`[ {"passed": true, "check": "latency"} ]`)
	local := base
	local.StartedAt = base.StartedAt.In(time.FixedZone("CET", 3600))
	for name, same := range map[string]Certification{"respaced JSON": respaced, "another time zone": local} {
		if same.Digest() != base.Digest() {
			t.Errorf("%s changes the digest", name)
		}
	}
}

func TestNewerThanOrdersRunsLikeTheGuard(t *testing.T) {
	held := Hold(testRun{modelID: "m", runID: "run-b", attempt: 2}.start())
	for _, tt := range []struct {
		name string
		run  testRun
		want bool
	}{
		{"later start", testRun{runID: "run-a", attempt: 1, startedAfter: time.Second}, true},
		{"same start, higher attempt", testRun{runID: "run-a", attempt: 3}, true},
		{"same start and attempt, higher run id", testRun{runID: "run-c", attempt: 2}, true},
		{"the same run", testRun{runID: "run-b", attempt: 2}, false},
		{"earlier start", testRun{runID: "run-z", attempt: 9, startedAfter: -time.Second}, false},
	} {
		if got := tt.run.start().NewerThan(held); got != tt.want {
			t.Errorf("%s: NewerThan = %v, want %v", tt.name, got, tt.want)
		}
	}
}
