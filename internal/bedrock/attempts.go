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

// attemptCounter is a pair of smithy middlewares: one counts operations as they start, the
// other sits after the retry middleware and so sees every attempt, including failed ones
// (retry.GetAttemptResults only reaches the caller on success). Besides the client's totals it
// counts the attempts of one call into the counter withCallAttempts put in the call's context.
type attemptCounter struct {
	calls, attempts atomic.Int64
}

func (a *attemptCounter) addTo(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error) {
			a.calls.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("CountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error) {
			a.attempts.Add(1)
			if call, ok := ctx.Value(callAttemptsKey{}).(*atomic.Int64); ok {
				call.Add(1)
			}
			return next.HandleFinalize(ctx, in)
		}), "Retry", middleware.After)
}

type callAttemptsKey struct{}

// withCallAttempts returns a context whose call's attempts are counted, and a function that
// reports the retries among them (attempts beyond the first).
func withCallAttempts(ctx context.Context) (context.Context, func() int) {
	attempts := &atomic.Int64{}
	return context.WithValue(ctx, callAttemptsKey{}, attempts), func() int {
		return int(max(attempts.Load()-1, 0))
	}
}

func (a *attemptCounter) stats() CallStats {
	return CallStats{Calls: a.calls.Load(), Attempts: a.attempts.Load()}
}
