package certify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// usableLifecycles are the lifecycle states in which a model may still be invoked.
var usableLifecycles = []string{"ACTIVE", "LEGACY"}

// checkAvailability is the pre-flight: it describes the model and decides whether the rest of
// the battery may run. usable is false when inference is pointless (no access, an unusable
// lifecycle, or a critical error from the control plane); a temporary or unclassified
// Describe error fails the check but lets the battery run, since inference will tell.
func checkAvailability(ctx context.Context, m Model) (info ModelInfo, result Result, usable bool) {
	start := time.Now()
	info, err := m.Describe(ctx)
	latency := time.Since(start)
	switch {
	case err != nil:
		result = callFailed(ctx, cost{latency: latency}, fmt.Errorf("describe: %w", err))
		usable = !result.Category.Critical()
	case !info.Accessible:
		result = Result{Status: CheckFailed, Latency: latency, Category: accessCategory(info.AccessError), Errored: true, Message: "model is not accessible"}
		if info.AccessError != nil {
			result.Message = shorten("model is not accessible: " + errorMessage(info.AccessError))
		}
	case !slices.Contains(usableLifecycles, strings.ToUpper(info.Lifecycle)):
		result = Result{Status: CheckFailed, Latency: latency, Category: CategoryUnavailable,
			Message: fmt.Sprintf("lifecycle %q is not usable (want ACTIVE or LEGACY)", info.Lifecycle)}
	default:
		result = Result{Status: CheckPassed, Latency: latency, Message: "lifecycle " + strings.ToUpper(info.Lifecycle)}
		usable = true
	}
	result.Name = CheckAvailability
	return info, result, usable
}

// accessCategory classifies why a model is not accessible. Without a classified reason the
// model is simply unavailable to this account.
func accessCategory(accessErr error) ErrorCategory {
	if c := CategoryOf(accessErr); c != CategoryNone && c != CategoryUnknown {
		return c
	}
	return CategoryUnavailable
}
