package certify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// checkConsistency asks the same question twice, env.Interval apart. It passes when both
// answers are right (17 + 25 = 42, in digits or words), so that they agree once normalised;
// answers worded differently still pass (sampling may vary), noted in the message.
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
	if err := inspectConsistencyAnswer(first); err != nil {
		return answered(spent, fmt.Errorf("first call: %w", err))
	}
	if err := inspectConsistencyAnswer(second); err != nil {
		return answered(spent, fmt.Errorf("second call: %w", err))
	}
	result := answered(spent, nil)
	if a, b := strings.TrimSpace(first.Text), strings.TrimSpace(second.Text); a != b {
		result.Message = fmt.Sprintf("same answer, worded differently: %s then %s", quoteAnswer(a), quoteAnswer(b))
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
