package store

import (
	"context"
	"github.com/modelcert/modelcert-operator/internal/testenv"
	"sync"
	"testing"
)

// appliedMigrations lists the versions goose has recorded, one entry per application.
func appliedMigrations(t *testing.T, s *Store) []int64 {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return versions
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	s := newTestStore(t) // migrated once
	first := appliedMigrations(t, s)
	if len(first) == 0 {
		t.Fatal("no migration recorded after Migrate")
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if again := appliedMigrations(t, s); len(again) != len(first) {
		t.Fatalf("second Migrate applied %v after %v, want nothing", again, first)
	}
}

func TestConcurrentMigratorsBothSucceed(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	const replicas = 4
	stores := make([]*Store, replicas)
	for i := range stores {
		stores[i] = openTestStore(t, dsn)
	}
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Migrate: %v", i, err)
		}
	}
	versions := appliedMigrations(t, stores[0])
	seen := map[int64]bool{}
	for _, v := range versions {
		if seen[v] {
			t.Fatalf("migration %d applied twice: %v", v, versions)
		}
		seen[v] = true
	}
	// The schema works for every replica.
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := stores[replicas-1].RecordStart(context.Background(), run.start()); err != nil {
		t.Fatal(err)
	}
}

func TestWritesWorkOnConnectionsOpenedBeforeTheSchema(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	early := openTestStore(t, dsn) // its connection could not prepare the writes
	if err := openTestStore(t, dsn).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	if _, err := early.RecordStart(context.Background(), run.start()); err != nil {
		t.Fatalf("RecordStart on an unprepared connection: %v", err)
	}
	if _, err := early.RecordResult(context.Background(), run.result(StatusCertified), testCheckResults); err != nil {
		t.Fatalf("RecordResult on an unprepared connection: %v", err)
	}
	var prepared int
	if err := early.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_prepared_statements`).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != 0 {
		t.Fatalf("the early connection has %d prepared statements; the test meant to write unprepared", prepared)
	}
	wantRow(t, early, "m", "run-1", StatusCertified)
}
