package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Database creates an empty database on the test PostgreSQL server for one test, drops it
// afterwards, and returns its URL. Without MODELCERT_TEST_DATABASE_URL the test is skipped on a
// developer's machine and fails in CI.
func Database(t testing.TB) string {
	t.Helper()
	base := os.Getenv("MODELCERT_TEST_DATABASE_URL")
	if base == "" {
		msg := "MODELCERT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL"
		if os.Getenv("CI") == "" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test database server: %v", err)
	}
	defer admin.Close(ctx)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "test_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse MODELCERT_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
