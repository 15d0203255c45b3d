package bedrocksim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// errorTypeNamespace is the suffix the real service appends to x-amzn-errortype;
// the SDK strips it, so clients must cope with it.
const errorTypeNamespace = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

// apiError is an error the way Bedrock returns it: a status, an error code and a message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) write(w http.ResponseWriter) {
	body, _ := json.Marshal(map[string]string{"message": e.message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.code+errorTypeNamespace)
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func invalidModelIDError() *apiError {
	return validationError("The provided model identifier is invalid.")
}

func onDemandUnsupportedError(modelID string) *apiError {
	return validationError("Invocation of model ID %s with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.", modelID)
}

func throttlingError() *apiError {
	return &apiError{http.StatusTooManyRequests, "ThrottlingException", "Too many requests, please wait before trying again."}
}

func accessDeniedError(action, resource string) *apiError {
	return &apiError{http.StatusForbidden, "AccessDeniedException",
		fmt.Sprintf("User: arn:aws:iam::%s:user/sim is not authorized to perform: %s on resource: %s", simAccountID, action, resource)}
}

func accessNotGrantedError() *apiError {
	return &apiError{http.StatusForbidden, "AccessDeniedException", "You don't have access to the model with the specified model ID."}
}

func modelNotFoundError() *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier."}
}

func profileNotFoundError(idOrARN string) *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", fmt.Sprintf("Inference profile %s not found.", idOrARN)}
}

func modelTimeoutError() *apiError {
	return &apiError{http.StatusRequestTimeout, "ModelTimeoutException", "Model has timed out in processing the request. Try your request again."}
}

func modelStreamError() *apiError {
	return &apiError{http.StatusFailedDependency, "ModelStreamErrorException", "The model stream was interrupted. Try your request again."}
}

func serviceUnavailableError() *apiError {
	return &apiError{http.StatusServiceUnavailable, "ServiceUnavailableException", "The simulator is shutting down."}
}

func unknownOperationError() *apiError {
	return &apiError{http.StatusNotFound, "UnknownOperationException", "Unknown operation"}
}

func unrecognizedClientError() *apiError {
	return &apiError{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
}

func invalidSignatureError() *apiError {
	return &apiError{http.StatusForbidden, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
}

func expiredTokenError() *apiError {
	return &apiError{http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired"}
}

func internalError(err error) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalServerException", err.Error()}
}
