package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says where the database is and how patient the store is with it.
type Config struct {
	// URL is a PostgreSQL connection string (URL or key=value form).
	URL string
	// MaxConns caps the pool; 0 means 8.
	MaxConns int32
	// QueryTimeout bounds every call that talks to the database; 0 means 5s.
	QueryTimeout time.Duration
}

const (
	defaultMaxConns     = 8
	defaultQueryTimeout = 5 * time.Second
)

// Store is the PostgreSQL mirror of certification verdicts. It is safe for concurrent use.
type Store struct {
	pool         *pgxpool.Pool
	queryTimeout time.Duration
	roundTrips   *roundTripCounter
}

// Open connects to the database and checks that it answers within the query timeout.
// Errors name the database with its password masked.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := Connect(cfg)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := s.withTimeout(ctx)
	defer cancel()
	if err := s.pool.Ping(pingCtx); err != nil {
		s.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v: %w", s.queryTimeout, err)
		}
		return nil, fmt.Errorf("open database %s: %w", MaskDSN(cfg.URL), err)
	}
	return s, nil
}

// Connect returns a store over the database without contacting it: connections open on first
// use, so a store made while the server is down works once it comes back. Only a malformed
// URL is an error.
func Connect(cfg Config) (*Store, error) {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = defaultQueryTimeout
	}
	poolConfig, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", MaskDSN(cfg.URL), err)
	}
	poolConfig.MaxConns = cfg.MaxConns
	// Exec mode sends each statement with its parameters in one round trip, never preparing
	// on first use, so a call costs exactly one round trip even on a fresh connection. The
	// writes, the hot path, are prepared once per connection as it opens (prepareWrites).
	poolConfig.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	poolConfig.AfterConnect = prepareWrites
	// No liveness ping on acquire: it would add a round trip to every write after a second of
	// idleness. The background health check evicts dead connections, and a write that meets
	// one fails with an error the caller retries.
	poolConfig.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	counter := &roundTripCounter{}
	poolConfig.ConnConfig.Tracer = counter
	// The pool's own context only bounds background connection work; NewWithConfig connects nothing.
	pool, err := pgxpool.NewWithConfig(context.Background(), poolConfig)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", MaskDSN(cfg.URL), err)
	}
	return &Store{pool: pool, queryTimeout: cfg.QueryTimeout, roundTrips: counter}, nil
}

// Close releases every connection; calls after Close return an error. It waits at most the
// query timeout: connections to a lost server take pgx up to 15s to give up on, and they
// finish closing in the background.
func (s *Store) Close() {
	closed := make(chan struct{})
	go func() {
		s.pool.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(s.queryTimeout):
	}
}

// withTimeout bounds one call to the database, so a lost server becomes an error, not a hang.
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.queryTimeout)
}
