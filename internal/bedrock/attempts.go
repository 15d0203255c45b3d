package bedrock

import (
	"context"
	"sync/atomic"

	"github.com/aws/smithy-go/middleware"
)

// CallStats counts a client's API calls and the HTTP attempts they took. Attempts minus Calls
// is the number of retries the SDK's retryer made, which measures how hard the model pushed back.
type CallStats struct {
	Calls    int64
	Attempts int64
}

// Retries returns the attempts beyond the first of each call.
func (s CallStats) Retries() int64 { return s.Attempts - s.Calls }

// attemptCounter counts the calls and attempts of one Client. The SDK clients are shared
// between Clients, so the counter travels in each call's context (Client.counted).
type attemptCounter struct {
	calls, attempts atomic.Int64
}

func (a *attemptCounter) stats() CallStats {
	return CallStats{Calls: a.calls.Load(), Attempts: a.attempts.Load()}
}

type (
	clientCounterKey struct{}
	callAttemptsKey  struct{}
)

// addAttemptCounting adds a pair of smithy middlewares: one counts operations as they start,
// the other sits after the retry middleware and so sees every attempt, including failed ones
// (retry.GetAttemptResults only reaches the caller on success). They count into the Client's
// counter and the call's, which the context carries.
func addAttemptCounting(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			if a, ok := ctx.Value(clientCounterKey{}).(*attemptCounter); ok {
				a.calls.Add(1)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("CountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error) {
			if a, ok := ctx.Value(clientCounterKey{}).(*attemptCounter); ok {
				a.attempts.Add(1)
			}
			if call, ok := ctx.Value(callAttemptsKey{}).(*atomic.Int64); ok {
				call.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		}), "Retry", middleware.After)
}

// counted returns a context whose calls count into the client's stats.
func (c *Client) counted(ctx context.Context) context.Context {
	return context.WithValue(ctx, clientCounterKey{}, c.attempts)
}

// withCallAttempts returns a context whose call's attempts are counted, for the client's
// stats and the call's, and a function that reports the call's retries (attempts beyond the first).
func (c *Client) withCallAttempts(ctx context.Context) (context.Context, func() int) {
	attempts := &atomic.Int64{}
	return context.WithValue(c.counted(ctx), callAttemptsKey{}, attempts), func() int {
		return int(max(attempts.Load()-1, 0))
	}
}
