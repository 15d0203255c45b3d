package certify

import (
	"context"
	"errors"
	"fmt"
)

// ErrorCategory names why a check or a run went wrong, in the vocabulary shared by status,
// database, metrics and docs.
type ErrorCategory string

// The error categories, most severe first.
const (
	CategoryNone                 ErrorCategory = ""
	CategoryUnavailable          ErrorCategory = "UNAVAILABLE"
	CategoryPermission           ErrorCategory = "PERMISSION_ERROR"
	CategoryAuthentication       ErrorCategory = "AUTHENTICATION_ERROR"
	CategoryProvisioningRequired ErrorCategory = "PROVISIONING_REQUIRED"
	CategoryConfiguration        ErrorCategory = "CONFIGURATION_ERROR"
	CategoryRateLimit            ErrorCategory = "RATE_LIMIT"
	CategoryTimeout              ErrorCategory = "TIMEOUT"
	CategoryNetwork              ErrorCategory = "NETWORK_ERROR"
	CategoryQuality              ErrorCategory = "QUALITY_ISSUE"
	CategoryUnknown              ErrorCategory = "UNKNOWN_ERROR"
)

// Categories lists every category, most severe first.
var Categories = []ErrorCategory{
	CategoryUnavailable, CategoryPermission, CategoryAuthentication, CategoryProvisioningRequired,
	CategoryConfiguration, CategoryRateLimit, CategoryTimeout, CategoryNetwork, CategoryQuality,
	CategoryUnknown,
}

// Severity orders categories: a higher number is more severe; CategoryNone is 0.
func (c ErrorCategory) Severity() int {
	for i, k := range Categories {
		if k == c {
			return len(Categories) - i
		}
	}
	return 0
}

// Critical reports whether the category forces a FAILED verdict whatever the score.
func (c ErrorCategory) Critical() bool {
	switch c {
	case CategoryUnavailable, CategoryPermission, CategoryAuthentication,
		CategoryProvisioningRequired, CategoryConfiguration:
		return true
	}
	return false
}

// Temporary reports whether the condition is expected to pass by itself.
func (c ErrorCategory) Temporary() bool {
	switch c {
	case CategoryRateLimit, CategoryTimeout, CategoryNetwork:
		return true
	}
	return false
}

// MostSevere returns the most severe of the given categories, CategoryNone when there are none.
func MostSevere(cs ...ErrorCategory) ErrorCategory {
	worst := CategoryNone
	for _, c := range cs {
		if c.Severity() > worst.Severity() {
			worst = c
		}
	}
	return worst
}

// ModelError is an error from a model call with its category. Temporary is set by the
// classifier: most temporary errors are temporary by category, but a 5xx (ModelNotReady,
// ServiceUnavailable, InternalServer) is temporary under UNKNOWN_ERROR too.
type ModelError struct {
	Category  ErrorCategory
	Temporary bool
	// Unsupported is the capability the service said the model lacks; empty unless the request
	// was refused for that reason. The runner then skips the check instead of failing it.
	Unsupported Capability
	// Message is a short, human-readable reason.
	Message string
	Err     error
}

func (e *ModelError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %s", e.Category, e.Message)
	}
	return fmt.Sprintf("%s: %s: %v", e.Category, e.Message, e.Err)
}

func (e *ModelError) Unwrap() error { return e.Err }

// CategoryOf classifies an error returned by a Model or by the engine: a *ModelError keeps its
// category, an expired deadline is TIMEOUT, nil is CategoryNone, anything else UNKNOWN_ERROR.
func CategoryOf(err error) ErrorCategory {
	if err == nil {
		return CategoryNone
	}
	var me *ModelError
	if errors.As(err, &me) {
		return me.Category
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return CategoryTimeout
	}
	return CategoryUnknown
}
