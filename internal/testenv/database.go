package testenv

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

// Database creates an empty database of its own for one test on the server at
// $MODELCERT_TEST_DATABASE_URL, drops it on cleanup, and returns its URL. Without the variable
// the test is skipped on a developer's machine and fails in CI.
func Database(t testing.TB) string {
	t.Helper()
	serverURL := os.Getenv("MODELCERT_TEST_DATABASE_URL")
	if serverURL == "" {
		msg := "MODELCERT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL"
		if os.Getenv("CI") == "" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "modelcert_test_" + hex.EncodeToString(suffix)

	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
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
