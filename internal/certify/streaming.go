package certify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// checkStreaming consumes a streamed answer: it needs at least one content delta and the
// closing messageStop event, and reports the time to the first token.
func checkStreaming(ctx context.Context, m Model, _ checkEnv) Result {
	start := time.Now()
	resp, err := m.ConverseStream(ctx, streamingRequest)
	if resp.Latency == 0 {
		resp.Latency = time.Since(start)
	}
	if err != nil {
		return callFailed(ctx, resp.Latency, usageOf(resp.Usage), fmt.Errorf("converse stream: %w", err))
	}
	var problem error
	switch {
	case resp.ContentDeltas == 0:
		problem = errors.New("no content delta received")
	case !resp.MessageStop:
		problem = fmt.Errorf("stream ended without messageStop after %d content deltas", resp.ContentDeltas)
	}
	result := answered(resp.Latency, usageOf(resp.Usage), problem)
	if problem == nil {
		result.Message = fmt.Sprintf("time to first token %s", resp.TimeToFirstToken.Round(time.Millisecond))
	}
	return result
}
