package certify

import (
	"context"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"
)

// CheckStatus is the outcome of one check.
type CheckStatus string

// The outcomes of a check. A skipped check was not run (its capability is missing, or the
// model was unavailable) and does not count towards the score.
const (
	CheckPassed  CheckStatus = "Passed"
	CheckFailed  CheckStatus = "Failed"
	CheckSkipped CheckStatus = "Skipped"
)

// Result is the outcome of one check.
type Result struct {
	Name    string
	Status  CheckStatus
	Latency time.Duration
	// Message is a short, human-readable reason; empty for most passed checks.
	Message string
	// Category is QUALITY_ISSUE when the model answered wrongly, the classified category when a
	// call failed, and CategoryNone for passed and skipped checks.
	Category ErrorCategory
	Usage    Usage
	// Retries counts the retries the adapter made on the check's calls.
	Retries int
	// Errored reports that a call returned an error, as opposed to the model answering wrongly.
	Errored bool
	// Temporary reports that the call failed for a reason expected to pass by itself
	// (throttling, timeouts, network, 5xx, a model not ready).
	Temporary bool
	// Unsupported is the capability the service refused the check's request for; the check
	// is then Skipped with the service's message.
	Unsupported Capability
}

// resultJSON is the wire form of a Result: flat, camelCase, latency in milliseconds.
type resultJSON struct {
	Name         string        `json:"name"`
	Status       CheckStatus   `json:"status"`
	LatencyMs    int64         `json:"latencyMs"`
	Message      string        `json:"message,omitempty"`
	Category     ErrorCategory `json:"category,omitempty"`
	InputTokens  int64         `json:"inputTokens"`
	OutputTokens int64         `json:"outputTokens"`
	Retries      int           `json:"retries"`
	Errored      bool          `json:"errored"`
	Temporary    bool          `json:"temporary"`
	Unsupported  Capability    `json:"unsupported,omitempty"`
}

// MarshalJSON writes the result in its flat wire form.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		Name: r.Name, Status: r.Status, LatencyMs: r.Latency.Milliseconds(), Message: r.Message,
		Category: r.Category, InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens,
		Retries: r.Retries, Errored: r.Errored, Temporary: r.Temporary, Unsupported: r.Unsupported,
	})
}

// UnmarshalJSON reads the wire form written by MarshalJSON.
func (r *Result) UnmarshalJSON(data []byte) error {
	var w resultJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*r = Result{
		Name: w.Name, Status: w.Status, Latency: time.Duration(w.LatencyMs) * time.Millisecond,
		Message: w.Message, Category: w.Category,
		Usage:   Usage{InputTokens: w.InputTokens, OutputTokens: w.OutputTokens},
		Retries: w.Retries, Errored: w.Errored, Temporary: w.Temporary, Unsupported: w.Unsupported,
	}
	return nil
}

// maxMessageLen, in characters, keeps messages short enough for a status field and a log line.
const maxMessageLen = 200

// cost is what a check's calls took: time, tokens and retries.
type cost struct {
	latency time.Duration
	usage   Usage
	retries int
}

func (c cost) plus(o cost) cost {
	return cost{latency: c.latency + o.latency, usage: c.usage.Add(o.usage), retries: c.retries + o.retries}
}

func costOf(resp Response) cost {
	return cost{latency: resp.Latency, usage: usageOf(resp.Usage), retries: resp.Retries}
}

// answered is the result of a check whose calls succeeded: it passes when problem is nil and
// fails with QUALITY_ISSUE otherwise.
func answered(c cost, problem error) Result {
	r := Result{Status: CheckPassed, Latency: c.latency, Usage: c.usage, Retries: c.retries}
	if problem != nil {
		r.Status, r.Category, r.Message = CheckFailed, CategoryQuality, shorten(problem.Error())
	}
	return r
}

// callFailed is the result of a check whose call returned err, classified by CategoryOf. A
// call cut short by the check's own deadline is a TIMEOUT even when the adapter's error does
// not say so. A request the service refused because the model lacks a capability is no
// failure of the model: the check is Skipped with the service's message.
func callFailed(ctx context.Context, c cost, err error) Result {
	var me *ModelError
	isModelError := errors.As(err, &me)
	if isModelError && me.Unsupported != CapabilityNone {
		return Result{Status: CheckSkipped, Latency: c.latency, Usage: c.usage, Retries: c.retries,
			Unsupported: me.Unsupported, Message: shorten(notSupported(errorMessage(err)))}
	}
	category := CategoryOf(err)
	if category == CategoryUnknown && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		category = CategoryTimeout
	}
	return Result{Status: CheckFailed, Latency: c.latency, Usage: c.usage, Retries: c.retries, Category: category,
		Errored: true, Temporary: category.Temporary() || (isModelError && me.Temporary), Message: shorten(errorMessage(err))}
}

// notSupported is the message of a check skipped for a missing capability.
func notSupported(reason string) string { return "not supported: " + reason }

// skipped is the result of a check that was not run.
func skipped(name, reason string) Result {
	return Result{Name: name, Status: CheckSkipped, Message: reason}
}

// errorMessage prefers the short reason of a *ModelError over the full error chain.
func errorMessage(err error) string {
	var me *ModelError
	if errors.As(err, &me) && me.Message != "" {
		return me.Message
	}
	return err.Error()
}

// shorten keeps a message within maxMessageLen characters.
func shorten(s string) string { return Ellipsis(s, maxMessageLen) }

// Ellipsis keeps the first n characters (runes) of s, marking a cut with "…".
func Ellipsis(s string, n int) string {
	if head, cut := truncate(s, n); cut {
		return head + "…"
	}
	return s
}

// truncate keeps the first n characters (runes) of s and reports whether it cut anything.
func truncate(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	return string([]rune(s)[:n]), true
}
