package certify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// checkConsistency asks the same question twice, env.Interval apart; both calls must answer.
// Differing answers still pass (sampling may vary) but are noted in the message.
func checkConsistency(ctx context.Context, m Model, env checkEnv) Result {
	first, err := converse(ctx, m, consistencyRequest)
	spent := costOf(first)
	if err != nil {
		return callFailed(ctx, spent, fmt.Errorf("first call: %w", err))
	}
	if err := sleep(ctx, env.Interval); err != nil {
		return callFailed(ctx, spent, fmt.Errorf("between calls: %w", err))
	}
	second, err := converse(ctx, m, consistencyRequest)
	spent = spent.plus(costOf(second))
	if err != nil {
		return callFailed(ctx, spent, fmt.Errorf("second call: %w", err))
	}
	if err := requireText(first); err != nil {
		return answered(spent, fmt.Errorf("first call: %w", err))
	}
	if err := requireText(second); err != nil {
		return answered(spent, fmt.Errorf("second call: %w", err))
	}
	result := answered(spent, nil)
	if a, b := strings.TrimSpace(first.Text), strings.TrimSpace(second.Text); a != b {
		result.Message = fmt.Sprintf("answers differ: %s then %s", quoteAnswer(a), quoteAnswer(b))
	}
	return result
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
