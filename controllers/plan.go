package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// action is what one reconcile does.
type action string

const (
	// actionStart starts a new run: the first, a re-certification, a re-run after a spec
	// change, or the next attempt after a run was lost (the pool does not know the status's run).
	actionStart action = "Start"
	// actionFinish judges the finished run the pool holds and records the verdict.
	actionFinish action = "Finish"
	// actionWait does nothing until the next run is due (or an event arrives).
	actionWait action = "Wait"
)

// runState is what the pool knows of the run named in the status.
type runState int

const (
	runUnknown runState = iota
	runRunning
	runFinished
)

// decision is the outcome of planning.
type decision struct {
	action action
	// reason says why, for logs and events.
	reason string
	// requeueAfter is when to look again; zero waits for an event (a finished run, a spec change).
	requeueAfter time.Duration
	// requestedAt is the on-demand request (requestToken of the annotation) this reconcile
	// handles, to record in status.lastHandledRequestedAt with its write: with actionStart the
	// new run serves it, with actionWait it is ignored because the object is suspended.
	requestedAt string
}

// plan decides what to do with an object. It is a pure function of the object, the hash of its
// run-affecting spec (runSpecHash), the clock and what the pool knows of the status's run. The
// database has no say: the mirror follows status on its own.
func plan(obj *certv1.ModelCertification, specHash string, now time.Time, run runState) decision {
	d := planAction(obj, specHash, now, run)
	// Any run that starts serves a pending request (one run for a new object created with the
	// annotation, or for a spec edit and a request together); a suspended object ignores it.
	if request := pendingRequest(obj); request != "" && (d.action == actionStart || d.action == actionWait && obj.Spec.Suspend) {
		d.requestedAt = request
	}
	return d
}

func planAction(obj *certv1.ModelCertification, specHash string, now time.Time, run runState) decision {
	status := &obj.Status
	if status.Phase == certv1.PhaseProcessing {
		switch {
		case run == runFinished:
			return decision{action: actionFinish, reason: "the run finished"}
		case run == runRunning:
			return decision{action: actionWait, reason: "the run is in progress"}
		case obj.Spec.Suspend:
			return decision{action: actionWait, reason: "suspended; the interrupted run is not restarted"}
		default:
			return decision{action: actionStart, reason: "the run in status was lost; starting the next attempt"}
		}
	}

	terminal := status.Phase == certv1.PhaseCertified || status.Phase == certv1.PhaseQualityWarning ||
		status.Phase == certv1.PhaseFailed
	if obj.Spec.Suspend {
		return decision{action: actionWait, reason: "suspended"}
	}
	if !terminal {
		return decision{action: actionStart, reason: "first run"}
	}
	if status.SpecHash != specHash {
		return decision{action: actionStart, reason: "the spec changed since the last run"}
	}
	if pendingRequest(obj) != "" {
		return decision{action: actionStart, reason: "a run was requested (" + certv1.RequestedAtAnnotation + ")"}
	}
	next, ok := nextRunAt(obj)
	if !ok || !now.Before(next) {
		return decision{action: actionStart, reason: "re-certification is due"}
	}
	return decision{action: actionWait, reason: "the verdict is current", requeueAfter: next.Sub(now)}
}

// Backoff of the runs after a temporary failure (throttling that outlasted the SDK's retries,
// timeouts, the network, 5xx): the first comes after temporaryRetryFirst, each consecutive one
// twice as late, at most temporaryRetryMax, and never later than recertifyAfter.
const (
	temporaryRetryFirst = 5 * time.Minute
	temporaryRetryMax   = time.Hour
)

// temporaryRetryAfter is the wait after the n-th consecutive temporary failure (n ≥ 1).
func temporaryRetryAfter(n int32) time.Duration {
	wait := temporaryRetryFirst
	for i := int32(1); i < n && wait < temporaryRetryMax; i++ {
		wait *= 2
	}
	return min(wait, temporaryRetryMax)
}

// nextRunAt is when the next run is due: recertifyAfter past the last completed run, or sooner
// after a run whose failures were all temporary. It is computed from the spec rather than read
// from status.nextRunAt, which is empty while suspended, so that editing recertifyAfter or
// resuming takes effect at once.
func nextRunAt(obj *certv1.ModelCertification) (time.Time, bool) {
	if obj.Status.CompletedAt == nil {
		return time.Time{}, false
	}
	interval := obj.Spec.RecertifyInterval()
	if n := obj.Status.ConsecutiveTemporaryFailures; n > 0 {
		interval = min(interval, temporaryRetryAfter(n))
	}
	return obj.Status.CompletedAt.Add(interval), true
}

// pendingRequest is the token of the object's requested-at annotation when no run has handled
// it yet, else "". A run in progress leaves it pending: that run may have started before
// whatever the user fixed, so the request gets a run of its own after it.
func pendingRequest(obj *certv1.ModelCertification) string {
	value := obj.Annotations[certv1.RequestedAtAnnotation]
	if value == "" {
		return ""
	}
	if token := requestToken(value); token != obj.Status.LastHandledRequestedAt {
		return token
	}
	return ""
}

// maxRequestToken is the length status.lastHandledRequestedAt allows.
const maxRequestToken = 64

// requestToken is what status records of an annotation value: the value itself, or for a value
// too long for the field its SHA-256 digest, so that any value is handled exactly once.
func requestToken(value string) string {
	if len(value) <= maxRequestToken {
		return value
	}
	sum := sha256.Sum256([]byte(value))
	return "sha256:" + hex.EncodeToString(sum[:])[:maxRequestToken-len("sha256:")]
}
