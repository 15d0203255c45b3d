package store

import (
	"encoding/json"
	"time"
)

// epoch is a fixed instant tests order runs from.
var epoch = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// testRun describes one run of a test model; startedAfter orders it against other runs.
type testRun struct {
	modelID      string
	runID        string
	attempt      int
	startedAfter time.Duration
}

func (r testRun) start() Certification {
	return Certification{
		ModelID:   r.modelID,
		Region:    "us-east-1",
		Status:    StatusProcessing,
		RunID:     r.runID,
		Attempt:   r.attempt,
		StartedAt: epoch.Add(r.startedAfter),
		Source:    Source{Namespace: "models", Name: r.modelID, UID: "uid-" + r.modelID, Generation: 1},
	}
}

// result is the run's terminal verdict; the score depends on the run so rows tell runs apart.
func (r testRun) result(status Status) Certification {
	c := r.start()
	completed := c.StartedAt.Add(90 * time.Second)
	expires := completed.Add(30 * 24 * time.Hour)
	c.Status = status
	c.Passed = status != StatusFailed
	c.Score = 0.9 + float64(r.attempt)/100
	c.Rating = 4.5
	c.Badge = "RECOMMENDED"
	c.TestsPassed, c.TestsFailed, c.TestsSkipped = 9, 1, 0
	c.SuccessRate = 0.9
	c.AvgLatencyMs = 812.5
	c.TestResults = json.RawMessage(`[{"check": "latency", "passed": true}]`)
	c.InputTokens, c.OutputTokens = 1200, 3400
	c.CompletedAt = &completed
	c.DurationMs = 90000
	if status == StatusCertified {
		c.CertifiedAt = &completed
		c.ExpiresAt = &expires
	}
	if status == StatusFailed {
		c.ErrorCategory, c.ErrorSeverity, c.ErrorMessage = "UNAVAILABLE", "CRITICAL", "model not found"
		c.Badge = "UNAVAILABLE"
	}
	return c
}

var testCheckResults = Run{CheckResults: json.RawMessage(`[{"check": "latency", "passed": true, "ms": 812}]`)}
