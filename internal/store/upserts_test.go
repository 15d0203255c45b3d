package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// write is one mirror write of a run, as the controller issues it.
type write struct {
	name string
	do   func(context.Context, *Store) (bool, error)
}

func startWrite(r testRun) write {
	return write{r.runID + " start", func(ctx context.Context, s *Store) (bool, error) { return s.RecordStart(ctx, r.start()) }}
}

func resultWrite(r testRun, status Status) write {
	return write{r.runID + " " + string(status), func(ctx context.Context, s *Store) (bool, error) {
		return s.RecordResult(ctx, r.result(status), testCheckResults)
	}}
}

// certifiedStore is a store holding run-1 of model m, certified.
func certifiedStore(t *testing.T) (*Store, testRun) {
	t.Helper()
	s := newTestStore(t)
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := s.RecordResult(context.Background(), run.result(StatusCertified), testCheckResults); err != nil {
		t.Fatal(err)
	}
	return s, run
}

func mustGet(t *testing.T, s *Store, modelID string) Certification {
	t.Helper()
	c, err := s.Get(context.Background(), modelID, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantRow checks the row's run and status.
func wantRow(t *testing.T, s *Store, modelID, runID string, status Status) {
	t.Helper()
	got := mustGet(t, s, modelID)
	if got.RunID != runID || got.Status != status {
		t.Fatalf("row %s holds %s %s, want %s %s", modelID, got.RunID, got.Status, runID, status)
	}
}

func TestRecordStartThenResult(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "anthropic.claude-v3", runID: "run-1", attempt: 1}

	applied, err := s.RecordStart(ctx, run.start())
	if err != nil || !applied {
		t.Fatalf("RecordStart = %v, %v; want applied", applied, err)
	}
	wantRow(t, s, run.modelID, "run-1", StatusProcessing)
	var noResults bool
	if err := s.pool.QueryRow(ctx, `SELECT test_results IS NULL FROM model_certifications`).Scan(&noResults); err != nil || !noResults {
		t.Fatalf("test_results of a started run: NULL is %v, %v; want NULL", noResults, err)
	}

	applied, err = s.RecordResult(ctx, run.result(StatusCertified), testCheckResults)
	if err != nil || !applied {
		t.Fatalf("RecordResult = %v, %v; want applied", applied, err)
	}
	got := mustGet(t, s, run.modelID)
	want := run.result(StatusCertified)
	want.TestResults = []byte(`[{"check": "latency", "passed": true}]`) // jsonb's own rendering
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("row (-want +got):\n%s", diff)
	}

	var history int
	var checks string
	if err := s.pool.QueryRow(ctx, `SELECT count(*), min(check_results::text) FROM certification_runs WHERE run_id = 'run-1'`).Scan(&history, &checks); err != nil {
		t.Fatal(err)
	}
	if history != 1 || checks != `[{"ms": 812, "check": "latency", "passed": true}]` {
		t.Fatalf("history has %d rows with checks %s, want 1 with the run's checks", history, checks)
	}
}

func TestWritesAreValidated(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	noStart := run.start()
	noStart.StartedAt = time.Time{}
	if _, err := s.RecordStart(ctx, noStart); err == nil {
		t.Error("RecordStart without started at: want an error")
	}
	if _, err := s.RecordResult(ctx, run.start(), Run{}); err == nil {
		t.Error("RecordResult with status PROCESSING: want an error")
	}
	noRun := run.result(StatusCertified)
	noRun.RunID = ""
	if _, err := s.RecordResult(ctx, noRun, Run{}); err == nil {
		t.Error("RecordResult without run id: want an error")
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var all [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			all = append(all, append(append(append([]int{}, p[:i]...), n-1), p[i:]...))
		}
	}
	return all
}

func TestNewerRunWinsInEveryOrder(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		older, newer testRun
	}{
		{"later start", testRun{runID: "run-b", attempt: 1}, testRun{runID: "run-a", attempt: 1, startedAfter: time.Minute}},
		{"same second, higher attempt", testRun{runID: "run-b", attempt: 1}, testRun{runID: "run-a", attempt: 2}},
		{"same start and attempt, run id decides", testRun{runID: "run-a", attempt: 1}, testRun{runID: "run-b", attempt: 1}},
		// An object created again counts attempts from 1; its later start still wins.
		{"re-created object", testRun{runID: "run-a", attempt: 7}, testRun{runID: "run-b", attempt: 1, startedAfter: time.Hour}},
	} {
		for i, order := range permutations(4) {
			// Each order writes its own row.
			tc.older.modelID = fmt.Sprintf("%s-%d", tc.name, i)
			tc.newer.modelID = tc.older.modelID
			writes := []write{
				startWrite(tc.older), resultWrite(tc.older, StatusCertified),
				startWrite(tc.newer), resultWrite(tc.newer, StatusFailed),
			}
			var applied []string
			for _, w := range order {
				ok, err := writes[w].do(ctx, s)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					applied = append(applied, writes[w].name)
				}
			}
			got := mustGet(t, s, tc.older.modelID)
			if got.RunID != tc.newer.runID || got.Status != StatusFailed {
				t.Errorf("%s, order %v (applied %v): row holds %s %s, want %s FAILED",
					tc.name, order, applied, got.RunID, got.Status, tc.newer.runID)
			}
		}
	}
}

func TestNewerRunWinsConcurrently(t *testing.T) {
	t.Parallel()
	// Two stores on one database stand for two operator replicas that both believe they lead.
	s := newTestStore(t)
	replicas := []*Store{s, openTestStore(t, s.pool.Config().ConnConfig.ConnString())}
	const (
		goroutines = 8
		models     = 4
		runs       = 5
		rounds     = 10
	)
	// Every goroutine replays every write of every run, in its own random order, through
	// one of the replicas.
	var writes []write
	for m := range models {
		for r := range runs {
			run := testRun{modelID: fmt.Sprintf("model-%d", m), runID: fmt.Sprintf("run-%d-%d", m, r), attempt: r + 1, startedAfter: time.Duration(r) * time.Minute}
			writes = append(writes, startWrite(run), resultWrite(run, StatusCertified))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range rounds {
				order := append([]write{}, writes...)
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				for _, w := range order {
					if _, err := w.do(context.Background(), replicas[g%len(replicas)]); err != nil {
						errs <- fmt.Errorf("%s: %w", w.name, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for m := range models {
		wantRow(t, s, fmt.Sprintf("model-%d", m), fmt.Sprintf("run-%d-%d", m, runs-1), StatusCertified)
	}
	var history int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM certification_runs`).Scan(&history); err != nil {
		t.Fatal(err)
	}
	if history != models*runs {
		t.Fatalf("history has %d rows, want one per run, %d", history, models*runs)
	}
}

func TestReplayLeavesRowByteIdentical(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}

	if _, err := s.RecordStart(ctx, run.start()); err != nil {
		t.Fatal(err)
	}
	afterStart := rowJSON(t, s, "m", "us-east-1")
	time.Sleep(10 * time.Millisecond) // so an applied write would show a new updated_at
	if applied, err := s.RecordStart(ctx, run.start()); err != nil || applied {
		t.Fatalf("replayed RecordStart = %v, %v; want not applied", applied, err)
	}
	if got := rowJSON(t, s, "m", "us-east-1"); got != afterStart {
		t.Fatalf("replayed start changed the row:\n%s\n%s", afterStart, got)
	}

	if _, err := s.RecordResult(ctx, run.result(StatusQualityWarning), testCheckResults); err != nil {
		t.Fatal(err)
	}
	afterResult := rowJSON(t, s, "m", "us-east-1")
	time.Sleep(10 * time.Millisecond)
	for _, w := range []write{
		resultWrite(run, StatusQualityWarning),
		startWrite(run),                   // PROCESSING after the same run's verdict
		resultWrite(run, StatusCertified), // another verdict for the same run: the first is final
		resultWrite(run, StatusQualityWarning),
	} {
		if applied, err := w.do(ctx, s); err != nil || applied {
			t.Fatalf("%s after the verdict = %v, %v; want not applied", w.name, applied, err)
		}
		if got := rowJSON(t, s, "m", "us-east-1"); got != afterResult {
			t.Fatalf("%s changed the row:\n%s\n%s", w.name, afterResult, got)
		}
	}
}

func TestDeletedRowIsRecreatedByNextWrite(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := s.RecordStart(ctx, run.start()); err != nil {
		t.Fatal(err)
	}
	// Someone wipes the row while the run is in progress: the old worker failed here with
	// "record to update not found".
	if deleted, err := s.Delete(ctx, "uid-m"); err != nil || deleted != 1 {
		t.Fatalf("Delete = %v, %v; want 1 row deleted", deleted, err)
	}
	if applied, err := s.RecordResult(ctx, run.result(StatusCertified), testCheckResults); err != nil || !applied {
		t.Fatalf("RecordResult after delete = %v, %v; want applied", applied, err)
	}
	wantRow(t, s, "m", "run-1", StatusCertified)
	var history int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM certification_runs WHERE run_id = 'run-1'`).Scan(&history); err != nil || history != 1 {
		t.Fatalf("history: %d rows, %v; want the run", history, err)
	}
	if _, err := s.Delete(ctx, ""); err == nil {
		t.Fatal("Delete without a uid: want an error, not every row without an owner")
	}
}

// A row belongs to the object whose uid it carries, whichever run it holds: deleting the
// object removes (or marks) its rows even when its status has moved on to a run the database
// never heard of, and leaves rows another object took over alone.
func TestDeletionMatchesTheOwnerNotTheRun(t *testing.T) {
	t.Parallel()
	s, _ := certifiedStore(t)
	ctx := context.Background()
	other := testRun{modelID: "shared", runID: "run-x", attempt: 1}
	theirs := other.result(StatusCertified)
	theirs.Source.UID = "uid-other"
	if _, err := s.RecordResult(ctx, theirs, testCheckResults); err != nil {
		t.Fatal(err)
	}
	if marked, err := s.MarkDeleted(ctx, "uid-m"); err != nil || marked != 1 {
		t.Fatalf("MarkDeleted = %v, %v; want the owner's row marked", marked, err)
	}
	if got := mustGet(t, s, "shared"); got.DeletedAt != nil {
		t.Fatalf("another object's row was marked deleted: %+v", got)
	}
	if deleted, err := s.Delete(ctx, "uid-m"); err != nil || deleted != 1 {
		t.Fatalf("Delete = %v, %v; want the owner's row", deleted, err)
	}
	wantRow(t, s, "shared", "run-x", StatusCertified)
}

func TestMarkDeletedKeepsRowUntilRevived(t *testing.T) {
	t.Parallel()
	s, run := certifiedStore(t)
	ctx := context.Background()
	if marked, err := s.MarkDeleted(ctx, "uid-someone-else"); err != nil || marked != 0 {
		t.Fatalf("MarkDeleted for another object = %v, %v; want no change", marked, err)
	}
	if marked, err := s.MarkDeleted(ctx, "uid-m"); err != nil || marked != 1 {
		t.Fatalf("MarkDeleted = %v, %v; want marked", marked, err)
	}
	marked := rowJSON(t, s, "m", "us-east-1")
	if again, err := s.MarkDeleted(ctx, "uid-m"); err != nil || again != 0 {
		t.Fatalf("replayed MarkDeleted = %v, %v; want no change", again, err)
	}
	if got := rowJSON(t, s, "m", "us-east-1"); got != marked {
		t.Fatalf("replayed MarkDeleted changed the row:\n%s\n%s", marked, got)
	}
	if got := mustGet(t, s, "m"); got.DeletedAt == nil || got.Status != StatusCertified {
		t.Fatalf("marked row: status %s deleted_at %v; want CERTIFIED with deleted_at", got.Status, got.DeletedAt)
	}
	if n := countView(t, s, "certified_models"); n != 0 {
		t.Fatalf("certified_models shows %d deleted rows", n)
	}
	// A stale start of the same run does not revive the row: it would move the status back.
	if applied, err := s.RecordStart(ctx, run.start()); err != nil || applied {
		t.Fatalf("stale RecordStart on a deleted row = %v, %v; want not applied", applied, err)
	}
	// The current run's verdict revives it.
	if applied, err := s.RecordResult(ctx, run.result(StatusCertified), testCheckResults); err != nil || !applied {
		t.Fatalf("RecordResult on a deleted row = %v, %v; want applied", applied, err)
	}
	if got := mustGet(t, s, "m"); got.DeletedAt != nil {
		t.Fatalf("revived row still has deleted_at %v", got.DeletedAt)
	}
	if n := countView(t, s, "certified_models"); n != 1 {
		t.Fatalf("certified_models shows %d rows, want the revived one", n)
	}
}

// The fields of a verdict follow the status (an edited validFor moves expires_at) and a row
// edited by hand is repaired; another verdict for the same run is still refused.
func TestSameVerdictFieldsFollowTheStatus(t *testing.T) {
	t.Parallel()
	s, run := certifiedStore(t)
	ctx := context.Background()
	longer := run.result(StatusCertified)
	expires := longer.ExpiresAt.Add(24 * time.Hour)
	longer.ExpiresAt = &expires
	if applied, err := s.RecordResult(ctx, longer, testCheckResults); err != nil || !applied {
		t.Fatalf("RecordResult with a later expiry = %v, %v; want applied", applied, err)
	}
	if got := mustGet(t, s, "m"); !got.ExpiresAt.Equal(expires) {
		t.Fatalf("expires_at = %v, want %v", got.ExpiresAt, expires)
	}
	if applied, err := s.RecordResult(ctx, run.result(StatusFailed), testCheckResults); err != nil || applied {
		t.Fatalf("another verdict for the same run = %v, %v; want refused", applied, err)
	}
}

func TestNewerRunRevivesDeletedRow(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	old := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := s.RecordResult(ctx, old.result(StatusFailed), testCheckResults); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkDeleted(ctx, "uid-m"); err != nil {
		t.Fatal(err)
	}
	recreated := testRun{modelID: "m", runID: "run-2", attempt: 1, startedAfter: time.Hour}
	if applied, err := s.RecordStart(ctx, recreated.start()); err != nil || !applied {
		t.Fatalf("RecordStart of a newer run = %v, %v; want applied", applied, err)
	}
	if got := mustGet(t, s, "m"); got.DeletedAt != nil || got.RunID != "run-2" || got.ErrorCategory != "" {
		t.Fatalf("row after newer start: %+v; want run-2 live, no verdict", got)
	}
}

func TestRoundTripsPerRun(t *testing.T) {
	t.Parallel()
	// A fresh store: no connection has run anything yet, so nothing is cached.
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	before := s.RoundTrips()
	if _, err := s.RecordStart(ctx, run.start()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordResult(ctx, run.result(StatusCertified), testCheckResults); err != nil {
		t.Fatal(err)
	}
	if got := s.RoundTrips() - before; got != 2 {
		t.Fatalf("RecordStart + RecordResult took %d round trips, want 2 (budget 3)", got)
	}
	// And they took the fast path: the connection prepared both writes when it opened.
	var prepared int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql`).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != len(writeStatements) {
		t.Fatalf("connection has %d prepared statements, want the %d writes", prepared, len(writeStatements))
	}
}

func TestMissingJSONIsStoredAsNull(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	result := run.result(StatusFailed)
	result.TestResults = json.RawMessage{} // a run that ended before any check
	if _, err := s.RecordResult(ctx, result, Run{}); err != nil {
		t.Fatal(err)
	}
	var rowResults, runResults, runChecks bool
	err := s.pool.QueryRow(ctx, `SELECT c.test_results IS NULL, r.test_results IS NULL, r.check_results IS NULL
FROM model_certifications c JOIN certification_runs r USING (run_id)`).Scan(&rowResults, &runResults, &runChecks)
	if err != nil {
		t.Fatal(err)
	}
	if !rowResults || !runResults || !runChecks {
		t.Fatalf("NULL test results %v/%v, check results %v; want all NULL", rowResults, runResults, runChecks)
	}
	if got := mustGet(t, s, "m"); got.TestResults != nil {
		t.Fatalf("Get returned test results %q, want nil", got.TestResults)
	}
}

// An object deleted while a run was in progress (deletion cancels the run) keeps, under Retain,
// its last verdict, not a run that will never end; with no verdict in the history, the row
// stays as it is, marked.
func TestMarkDeletedRestoresTheLastVerdictOfAnUnfinishedRun(t *testing.T) {
	t.Parallel()
	s, certified := certifiedStore(t)
	ctx := context.Background()
	rerun := testRun{modelID: "m", runID: "run-2", attempt: 2, startedAfter: time.Hour}
	if applied, err := s.RecordStart(ctx, rerun.start()); err != nil || !applied {
		t.Fatalf("RecordStart of the re-run = %v, %v", applied, err)
	}
	never := testRun{modelID: "never-judged", runID: "run-n", attempt: 1}
	if _, err := s.RecordStart(ctx, never.start()); err != nil {
		t.Fatal(err)
	}

	for _, uid := range []string{"uid-m", "uid-never-judged"} {
		if marked, err := s.MarkDeleted(ctx, uid); err != nil || marked != 1 {
			t.Fatalf("MarkDeleted(%s) = %v, %v; want its row marked", uid, marked, err)
		}
	}
	want := certified.result(StatusCertified)
	got := mustGet(t, s, "m")
	if got.DeletedAt == nil {
		t.Fatal("the re-run object's row is not marked deleted")
	}
	got.DeletedAt = nil
	if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("retained row (-the last verdict +got):\n%s", diff)
	}
	if got := mustGet(t, s, "never-judged"); got.Status != StatusProcessing || got.RunID != "run-n" || got.DeletedAt == nil {
		t.Errorf("row of an object deleted before any verdict: %s run %s deleted_at %v; want PROCESSING run-n, marked",
			got.Status, got.RunID, got.DeletedAt)
	}
}
