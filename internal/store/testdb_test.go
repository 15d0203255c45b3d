package store

import (
	"context"
	"testing"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// newTestStore opens a migrated store on a fresh database, closed on cleanup.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := openTestStore(t, testenv.Database(t))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// openTestStore opens a store on dsn without migrating, closed on cleanup.
func openTestStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{URL: dsn, MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// rowJSON returns the whole current row as the server renders it, updated_at included.
func rowJSON(t testing.TB, s *Store, modelID, region string) string {
	t.Helper()
	var row string
	err := s.pool.QueryRow(context.Background(),
		`SELECT row_to_json(t)::text FROM model_certifications t WHERE model_id = $1::text AND region = $2::text`,
		modelID, region).Scan(&row)
	if err != nil {
		t.Fatalf("read row %s/%s: %v", modelID, region, err)
	}
	return row
}
