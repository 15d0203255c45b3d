package certify

import (
	"context"
	"fmt"
	"time"
)

// converseCheck is the shape of most checks: send one request, then inspect the answer.
func converseCheck(req Request, inspect inspector) checkFunc {
	return func(ctx context.Context, m Model, _ checkEnv) Result {
		resp, err := converse(ctx, m, req)
		if err != nil {
			return callFailed(ctx, costOf(resp), err)
		}
		return answered(costOf(resp), inspect(resp))
	}
}

// converse sends req, measuring the latency itself when the adapter did not.
func converse(ctx context.Context, m Model, req Request) (Response, error) {
	start := time.Now()
	resp, err := m.Converse(ctx, req)
	if resp.Latency == 0 {
		resp.Latency = time.Since(start)
	}
	if err != nil {
		return resp, fmt.Errorf("converse: %w", err)
	}
	return resp, nil
}

func usageOf(u *Usage) Usage {
	if u == nil {
		return Usage{}
	}
	return *u
}
