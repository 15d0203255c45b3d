package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var embeddedMigrations embed.FS

// Migrate brings the schema up to date. Replicas starting together serialize on a session
// advisory lock: one migrates, the others wait and then find nothing to do. The manager calls
// it once at start-up; it is bounded by ctx alone, not by the query timeout, since waiting
// for another replica's migration is expected.
func (s *Store) Migrate(ctx context.Context) error {
	migrations, err := fs.Sub(embeddedMigrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Poll the lock every second for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrate: session locker: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Connections opened before the schema existed could not prepare the writes.
	s.pool.Reset()
	return nil
}

// MigrateWhenReachable migrates, retrying with exponential backoff (from a second up to
// maxDelay) while the database cannot be reached, until it succeeds or ctx ends. The operator
// runs it in the background, so that it starts and certifies while PostgreSQL is down.
func (s *Store) MigrateWhenReachable(ctx context.Context, maxDelay time.Duration, failed func(error)) error {
	delay := time.Second
	for {
		err := s.Migrate(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failed(err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, maxDelay)
	}
}
