package store

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// roundTripCounter counts statements sent to the server. Each is exactly one network round
// trip: nothing is prepared on first use and connections are not pinged on acquire (see Open).
type roundTripCounter struct {
	statements atomic.Int64
}

func (c *roundTripCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	return ctx
}

func (c *roundTripCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// RoundTrips returns how many statements the store has sent since Open, each one round trip.
// Connection set-up, which prepares the writes, is not counted. Callers read differences.
func (s *Store) RoundTrips() int64 {
	return s.roundTrips.statements.Load()
}
