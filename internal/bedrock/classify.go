package bedrock

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cptypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// maxMessageLen keeps messages short enough for a status field and a log line.
const maxMessageLen = 200

// codeRule classifies a service error by its typed error or, for errors the SDK does not model
// (the ones from the signing and authentication layer), by its code.
type codeRule struct {
	is       []func(error) bool
	codes    []string
	category certify.ErrorCategory
	// temporary marks errors that pass by themselves although their category is not temporary.
	temporary bool
}

// messageRule refines a code whose meaning depends on the message: Bedrock answers several
// distinct situations with the same AccessDeniedException or ValidationException.
type messageRule struct {
	code     string
	contains string
	category certify.ErrorCategory
}

var messageRules = []messageRule{
	// Model access is granted per account in the console; IAM allows the call but the account
	// has not requested the model.
	{"AccessDeniedException", "don't have access to the model", certify.CategoryProvisioningRequired},
	{"ValidationException", "model identifier is invalid", certify.CategoryUnavailable},
}

// codeRules are checked in order. Server errors (5xx) are UNKNOWN_ERROR but temporary: the
// vocabulary has no server-error category, and a fault on AWS's side says nothing about the
// model, so it must neither count as critical nor as the model's quality.
var codeRules = []codeRule{
	{is: anyOf(is[*rttypes.ThrottlingException], is[*cptypes.ThrottlingException]),
		codes: []string{"ThrottlingException"}, category: certify.CategoryRateLimit},
	{is: anyOf(is[*rttypes.ServiceQuotaExceededException], is[*cptypes.ServiceQuotaExceededException]),
		codes: []string{"ServiceQuotaExceededException"}, category: certify.CategoryRateLimit},
	{is: anyOf(is[*rttypes.AccessDeniedException], is[*cptypes.AccessDeniedException]),
		codes: []string{"AccessDeniedException", "AccessDenied"}, category: certify.CategoryPermission},
	{is: anyOf(is[*rttypes.ResourceNotFoundException], is[*cptypes.ResourceNotFoundException]),
		codes: []string{"ResourceNotFoundException"}, category: certify.CategoryUnavailable},
	{is: anyOf(is[*rttypes.ValidationException], is[*cptypes.ValidationException]),
		codes: []string{"ValidationException"}, category: certify.CategoryConfiguration},
	{codes: slices.Sorted(maps.Keys(authFailures)), category: certify.CategoryAuthentication},
	{is: anyOf(is[*rttypes.ModelTimeoutException]),
		codes: []string{"ModelTimeoutException"}, category: certify.CategoryTimeout},
	{is: anyOf(is[*rttypes.ModelNotReadyException]),
		codes: []string{"ModelNotReadyException"}, category: certify.CategoryTimeout},
	{is: anyOf(is[*rttypes.ServiceUnavailableException], is[*cptypes.ServiceUnavailableException]),
		codes: []string{"ServiceUnavailableException"}, category: certify.CategoryUnknown, temporary: true},
	{is: anyOf(is[*rttypes.InternalServerException], is[*cptypes.InternalServerException]),
		codes: []string{"InternalServerException"}, category: certify.CategoryUnknown, temporary: true},
}

// authFailures say in words what the authentication layer's codes mean, since its messages
// ("The security token included in the request is invalid.") do not name the cause.
var authFailures = map[string]string{
	"UnrecognizedClientException":         "unknown access key",
	"InvalidClientTokenId":                "unknown access key or session token",
	"InvalidSignatureException":           "bad signature (wrong secret key?)",
	"SignatureDoesNotMatch":               "bad signature (wrong secret key?)",
	"IncompleteSignature":                 "incomplete signature",
	"IncompleteSignatureException":        "incomplete signature",
	"ExpiredTokenException":               "expired credentials",
	"ExpiredToken":                        "expired credentials",
	"MissingAuthenticationToken":          "unsigned request",
	"MissingAuthenticationTokenException": "unsigned request",
}

// statusRules classify service errors that no code rule knows, by HTTP status.
var statusRules = map[int]codeRule{
	401: {category: certify.CategoryAuthentication},
	403: {category: certify.CategoryPermission},
	404: {category: certify.CategoryUnavailable},
	408: {category: certify.CategoryTimeout},
	429: {category: certify.CategoryRateLimit},
}

// Classify turns an error from the SDK into a *certify.ModelError with the category the
// judgement uses, and a short message. It is pure: it looks only at the error. nil stays nil,
// and an error that already is a *certify.ModelError is returned as it is.
func Classify(err error) *certify.ModelError {
	if err == nil {
		return nil
	}
	var me *certify.ModelError
	if errors.As(err, &me) {
		return me
	}
	// Credentials that could not be had are an authentication failure even when their source
	// timed out: an unreachable instance metadata service gives up after its own 5 seconds.
	var ce *credentialsError
	if errors.As(err, &ce) {
		return newModelError(codeRule{category: certify.CategoryAuthentication}, credentialsFailure(ce), err)
	}
	code, message := serviceError(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newModelError(codeRule{category: certify.CategoryTimeout}, "deadline exceeded", err)
	case errors.Is(err, context.Canceled):
		return newModelError(codeRule{category: certify.CategoryUnknown}, "canceled", err)
	}
	reason := orElse(message, orElse(code, err.Error()))
	if what, ok := authFailures[code]; ok {
		reason = what + ": " + reason
	}
	if capability, ok := UnsupportedFeature(err); ok {
		me := newModelError(codeRule{category: certify.CategoryConfiguration}, reason, err)
		me.Unsupported = capability
		return me
	}
	for _, r := range messageRules {
		if code == r.code && strings.Contains(strings.ToLower(message), r.contains) {
			return newModelError(codeRule{category: r.category}, reason, err)
		}
	}
	for _, r := range codeRules {
		if r.matches(err, code) {
			return newModelError(r, reason, err)
		}
	}
	if status := httpStatus(err); status != 0 {
		if r, ok := statusRules[status]; ok {
			return newModelError(r, reason, err)
		}
		if status >= 500 {
			return newModelError(codeRule{category: certify.CategoryUnknown, temporary: true}, reason, err)
		}
	}
	if text, ok := networkFailure(err); ok {
		return newModelError(codeRule{category: certify.CategoryNetwork}, text, err)
	}
	return newModelError(codeRule{category: certify.CategoryUnknown}, reason, err)
}

func (r codeRule) matches(err error, code string) bool {
	for _, match := range r.is {
		if match(err) {
			return true
		}
	}
	for _, c := range r.codes {
		if code == c {
			return true
		}
	}
	return false
}

func newModelError(r codeRule, message string, err error) *certify.ModelError {
	return &certify.ModelError{
		Category:  r.category,
		Temporary: r.temporary || r.category.Temporary(),
		Message:   shorten(message),
		Err:       err,
	}
}

// serviceError returns the code and message of a service error, empty when err is none.
func serviceError(err error) (code, message string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode(), api.ErrorMessage()
	}
	return "", ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// networkFailure reports whether err comes from the network (dial, DNS, a refused or reset
// connection) and returns the innermost network error's text, which says what failed where.
func networkFailure(err error) (string, bool) {
	var ne net.Error
	if errors.As(err, &ne) {
		return ne.Error(), true
	}
	for _, target := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE, net.ErrClosed} {
		if errors.Is(err, target) {
			return target.Error(), true
		}
	}
	return "", false
}

// is reports whether err wraps an error of type T.
func is[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

func anyOf(fs ...func(error) bool) []func(error) bool { return fs }

func orElse(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
