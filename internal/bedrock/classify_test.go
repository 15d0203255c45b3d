package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cptypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

const (
	noModelAccess  = "You don't have access to the model with the specified model ID."
	invalidModelID = "The provided model identifier is invalid."
	needsProfileID = "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model."
)

// asReturned wraps a service error the way the SDK returns it from an operation.
func asReturned(status int, err error) error {
	return &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "Converse",
		Err: &awshttp.ResponseError{RequestID: "req-1", ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}}
}

func generic(code, message string) error {
	return &smithy.GenericAPIError{Code: code, Message: message}
}

type classifyCase struct {
	name          string
	status        int
	err           error
	want          certify.ErrorCategory
	wantTemporary bool
	wantMessage   string
}

var classifyCases = []classifyCase{
	// Bedrock Runtime's typed errors.
	{"runtime throttling", 429, &rttypes.ThrottlingException{Message: aws.String("Too many requests, please wait before trying again.")}, certify.CategoryRateLimit, true, "Too many requests, please wait before trying again."},
	{"runtime quota", 400, &rttypes.ServiceQuotaExceededException{Message: aws.String("Too many tokens per day.")}, certify.CategoryRateLimit, true, "Too many tokens per day."},
	{"runtime access denied", 403, &rttypes.AccessDeniedException{Message: aws.String("User is not authorized to perform: bedrock:InvokeModel")}, certify.CategoryPermission, false, "User is not authorized to perform: bedrock:InvokeModel"},
	{"runtime no model access", 403, &rttypes.AccessDeniedException{Message: aws.String(noModelAccess)}, certify.CategoryProvisioningRequired, false, noModelAccess},
	{"runtime not found", 404, &rttypes.ResourceNotFoundException{Message: aws.String("Model not found.")}, certify.CategoryUnavailable, false, "Model not found."},
	{"runtime invalid model id", 400, &rttypes.ValidationException{Message: aws.String(invalidModelID)}, certify.CategoryUnavailable, false, invalidModelID},
	{"runtime needs inference profile", 400, &rttypes.ValidationException{Message: aws.String(needsProfileID)}, certify.CategoryConfiguration, false, needsProfileID},
	{"runtime validation", 400, &rttypes.ValidationException{Message: aws.String("maxTokens must be at least 1")}, certify.CategoryConfiguration, false, "maxTokens must be at least 1"},
	{"runtime model timeout", 408, &rttypes.ModelTimeoutException{Message: aws.String("Model has timed out in processing the request.")}, certify.CategoryTimeout, true, "Model has timed out in processing the request."},
	{"runtime model not ready", 429, &rttypes.ModelNotReadyException{Message: aws.String("Model is not ready to serve inference requests.")}, certify.CategoryTimeout, true, "Model is not ready to serve inference requests."},
	{"runtime unavailable", 503, &rttypes.ServiceUnavailableException{Message: aws.String("Service unavailable.")}, certify.CategoryUnknown, true, "Service unavailable."},
	{"runtime internal", 500, &rttypes.InternalServerException{Message: aws.String("Internal server error.")}, certify.CategoryUnknown, true, "Internal server error."},
	{"runtime conflict", 409, &rttypes.ConflictException{Message: aws.String("Conflict.")}, certify.CategoryUnknown, false, "Conflict."},
	{"runtime model error", 424, &rttypes.ModelErrorException{Message: aws.String("The model failed.")}, certify.CategoryUnknown, false, "The model failed."},
	{"runtime model stream error", 424, &rttypes.ModelStreamErrorException{Message: aws.String("Stream broke.")}, certify.CategoryUnknown, false, "Stream broke."},
	// Bedrock control plane's typed errors.
	{"control throttling", 429, &cptypes.ThrottlingException{Message: aws.String("Rate exceeded")}, certify.CategoryRateLimit, true, "Rate exceeded"},
	{"control quota", 400, &cptypes.ServiceQuotaExceededException{Message: aws.String("Quota exceeded")}, certify.CategoryRateLimit, true, "Quota exceeded"},
	{"control access denied", 403, &cptypes.AccessDeniedException{Message: aws.String("not authorized to perform: bedrock:GetFoundationModel")}, certify.CategoryPermission, false, "not authorized to perform: bedrock:GetFoundationModel"},
	{"control no model access", 403, &cptypes.AccessDeniedException{Message: aws.String(noModelAccess)}, certify.CategoryProvisioningRequired, false, noModelAccess},
	{"control not found", 404, &cptypes.ResourceNotFoundException{Message: aws.String("The model was not found.")}, certify.CategoryUnavailable, false, "The model was not found."},
	{"control invalid model id", 400, &cptypes.ValidationException{Message: aws.String(invalidModelID)}, certify.CategoryUnavailable, false, invalidModelID},
	{"control validation", 400, &cptypes.ValidationException{Message: aws.String("bad input")}, certify.CategoryConfiguration, false, "bad input"},
	{"control unavailable", 503, &cptypes.ServiceUnavailableException{Message: aws.String("Unavailable")}, certify.CategoryUnknown, true, "Unavailable"},
	{"control internal", 500, &cptypes.InternalServerException{Message: aws.String("Internal")}, certify.CategoryUnknown, true, "Internal"},
	{"control conflict", 409, &cptypes.ConflictException{Message: aws.String("Conflict")}, certify.CategoryUnknown, false, "Conflict"},
	{"control resource in use", 400, &cptypes.ResourceInUseException{Message: aws.String("In use")}, certify.CategoryUnknown, false, "In use"},
	{"control too many tags", 400, &cptypes.TooManyTagsException{Message: aws.String("Too many tags")}, certify.CategoryUnknown, false, "Too many tags"},
	// Errors of the signing and authentication layer, which the SDK does not model.
	{"unrecognized client", 403, generic("UnrecognizedClientException", "The security token included in the request is invalid."), certify.CategoryAuthentication, false, "unknown access key: The security token included in the request is invalid."},
	{"invalid signature", 403, generic("InvalidSignatureException", "The request signature we calculated does not match."), certify.CategoryAuthentication, false, "bad signature (wrong secret key?): The request signature we calculated does not match."},
	{"expired token", 403, generic("ExpiredTokenException", "The security token included in the request is expired"), certify.CategoryAuthentication, false, "expired credentials: The security token included in the request is expired"},
	{"incomplete signature", 403, generic("IncompleteSignature", ""), certify.CategoryAuthentication, false, "incomplete signature: IncompleteSignature"},
	{"missing token", 403, generic("MissingAuthenticationToken", "Missing Authentication Token"), certify.CategoryAuthentication, false, "unsigned request: Missing Authentication Token"},
}

func TestClassifyServiceErrors(t *testing.T) {
	for _, tc := range classifyCases {
		for _, form := range []struct {
			name string
			err  error
		}{
			{"typed", tc.err},
			{"as returned", asReturned(tc.status, tc.err)},
			{"wrapped by the adapter", fmt.Errorf("converse m: %w", asReturned(tc.status, tc.err))},
		} {
			t.Run(tc.name+"/"+form.name, func(t *testing.T) {
				got := Classify(form.err)
				if got.Category != tc.want {
					t.Fatalf("Classify(%v).Category = %s, want %s", form.err, got.Category, tc.want)
				}
				if got.Temporary != tc.wantTemporary {
					t.Errorf("Temporary = %v, want %v", got.Temporary, tc.wantTemporary)
				}
				if got.Message != tc.wantMessage {
					t.Errorf("Message = %q, want %q", got.Message, tc.wantMessage)
				}
				if !errors.Is(got, form.err) {
					t.Errorf("the classified error does not wrap the original")
				}
			})
		}
	}
}

// TestClassifyByStatus covers errors the SDK does not model: only their HTTP status tells.
func TestClassifyByStatus(t *testing.T) {
	for _, tc := range []classifyCase{
		{"unmodelled 502", 502, generic("BadGateway", "Bad Gateway"), certify.CategoryUnknown, true, "Bad Gateway"},
		{"unmodelled 429", 429, generic("TooManyRequests", ""), certify.CategoryRateLimit, true, "TooManyRequests"},
		{"unmodelled 401", 401, generic("Unauthorized", "no"), certify.CategoryAuthentication, false, "no"},
		{"unmodelled 404", 404, generic("NotFound", "gone"), certify.CategoryUnavailable, false, "gone"},
		{"unmodelled 418", 418, generic("Teapot", "short and stout"), certify.CategoryUnknown, false, "short and stout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(asReturned(tc.status, tc.err))
			if got.Category != tc.want || got.Temporary != tc.wantTemporary || got.Message != tc.wantMessage {
				t.Fatalf("got {%s, temporary %v, %q}, want {%s, temporary %v, %q}",
					got.Category, got.Temporary, got.Message, tc.want, tc.wantTemporary, tc.wantMessage)
			}
		})
	}
}

func TestClassifyTransportErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "connection refused", Addr: "127.0.0.1:1"}}
	tests := []struct {
		name          string
		err           error
		want          certify.ErrorCategory
		wantTemporary bool
		wantMessage   string
	}{
		{"nil", nil, certify.CategoryNone, false, ""},
		{"dial refused", sendError(refused), certify.CategoryNetwork, true, "dial tcp: address 127.0.0.1:1: connection refused"},
		{"dns", sendError(&net.DNSError{Err: "no such host", Name: "bedrock.invalid", IsNotFound: true}), certify.CategoryNetwork, true, "lookup bedrock.invalid: no such host"},
		{"reset", sendError(fmt.Errorf("read: %w", syscall.ECONNRESET)), certify.CategoryNetwork, true, "connection reset by peer"},
		{"refused errno", sendError(syscall.ECONNREFUSED), certify.CategoryNetwork, true, "connection refused"},
		{"deadline", sendError(&aws.RequestCanceledError{Err: context.DeadlineExceeded}), certify.CategoryTimeout, true, "deadline exceeded"},
		{"bare deadline", context.DeadlineExceeded, certify.CategoryTimeout, true, "deadline exceeded"},
		{"cancelled", sendError(&aws.RequestCanceledError{Err: context.Canceled}), certify.CategoryUnknown, false, "canceled"},
		{"anything else", errors.New("boom"), certify.CategoryUnknown, false, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.err)
			if tc.err == nil {
				if got != nil {
					t.Fatalf("Classify(nil) = %v, want nil", got)
				}
				return
			}
			if got.Category != tc.want || got.Temporary != tc.wantTemporary || got.Message != tc.wantMessage {
				t.Fatalf("Classify(%v) = {%s, temporary %v, %q}, want {%s, temporary %v, %q}",
					tc.err, got.Category, got.Temporary, got.Message, tc.want, tc.wantTemporary, tc.wantMessage)
			}
		})
	}
}

func sendError(err error) error {
	return &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "Converse",
		Err: &smithyhttp.RequestSendError{Err: err}}
}

func TestClassifyKeepsModelErrors(t *testing.T) {
	me := &certify.ModelError{Category: certify.CategoryQuality, Message: "already classified"}
	if got := Classify(fmt.Errorf("check: %w", me)); got != me {
		t.Fatalf("Classify(wrapped ModelError) = %v, want the same error", got)
	}
}

func TestClassifyShortensMessages(t *testing.T) {
	long := strings.Repeat("é", 300) + "\n\n  trailing"
	got := Classify(asReturned(400, &rttypes.ValidationException{Message: aws.String(long)}))
	if len(got.Message) > maxMessageLen+len("…") || !strings.HasSuffix(got.Message, "…") {
		t.Fatalf("Message is %d bytes: %q", len(got.Message), got.Message)
	}
	if !strings.HasPrefix(got.Message, "éé") || strings.ContainsRune(got.Message, '\uFFFD') {
		t.Fatalf("Message was cut inside a rune: %q", got.Message)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("ThrottlingException", "slow down", 429)
	f.Add("AccessDeniedException", noModelAccess, 403)
	f.Add("ValidationException", needsProfileID, 400)
	f.Add("", "", 0)
	f.Add("Weird\x00Code", strings.Repeat("\xff", 500), 599)
	f.Fuzz(func(t *testing.T, code, message string, status int) {
		for _, err := range []error{generic(code, message), asReturned(status, generic(code, message))} {
			got := Classify(err)
			if got == nil {
				t.Fatal("Classify returned nil for an error")
			}
			if !slices.Contains(certify.Categories, got.Category) {
				t.Fatalf("category %q is not in certify.Categories", got.Category)
			}
			if len(got.Message) > maxMessageLen+len("…") {
				t.Fatalf("message is %d bytes", len(got.Message))
			}
		}
	})
}
