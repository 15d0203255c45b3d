package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testDatabaseURL returns the server tests run against, or skips (fails in CI) without one.
func testDatabaseURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("MODELCERT_TEST_DATABASE_URL")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("MODELCERT_TEST_DATABASE_URL is not set; CI must provide a PostgreSQL server")
		}
		t.Skip("MODELCERT_TEST_DATABASE_URL is not set; start one with hack/postgres.sh start DIR")
	}
	return dsn
}

// newTestDatabase creates an empty database of its own for the test, dropped on cleanup,
// and returns its URL.
func newTestDatabase(t testing.TB) string {
	t.Helper()
	serverURL := testDatabaseURL(t)
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "modelcert_test_" + hex.EncodeToString(suffix)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", MaskDSN(serverURL), err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			t.Errorf("connect to drop database %s: %v", name, err)
			return
		}
		defer admin.Close(context.Background())
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme == "" {
		// key=value form: a later dbname overrides an earlier one.
		return serverURL + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// newTestStore opens a migrated store on a fresh database, closed on cleanup.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := openTestStore(t, newTestDatabase(t))
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
