package certify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// checkStreaming consumes a streamed answer: it needs at least one content delta, the closing
// messageStop event, and text that counts from 1 to 5 (in digits or words); it reports the
// time to the first token.
func checkStreaming(ctx context.Context, m Model, _ checkEnv) Result {
	start := time.Now()
	resp, err := m.ConverseStream(ctx, streamingRequest)
	if resp.Latency == 0 {
		resp.Latency = time.Since(start)
	}
	spent := cost{latency: resp.Latency, usage: usageOf(resp.Usage), retries: resp.Retries}
	if err != nil {
		return callFailed(ctx, spent, fmt.Errorf("converse stream: %w", err))
	}
	var problem error
	switch {
	case resp.ContentDeltas == 0:
		problem = errors.New("no content delta received")
	case strings.TrimSpace(resp.Text) == "":
		problem = fmt.Errorf("%d content deltas but no text", resp.ContentDeltas)
	case !resp.MessageStop:
		problem = fmt.Errorf("stream ended without messageStop after %d content deltas", resp.ContentDeltas)
	default:
		problem = judgeAnswer(streamingRequest, resp.Text, wantCount(1, 5))
	}
	result := answered(spent, problem)
	if problem == nil {
		result.Message = fmt.Sprintf("time to first token %s", resp.TimeToFirstToken.Round(time.Millisecond))
	}
	return result
}
