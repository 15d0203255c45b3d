package bedrock

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	cptypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// geoPrefixes are the first segment of the system-defined cross-region inference profiles
// (us.amazon.nova-lite-v1:0, eu.…, apac.…, global.…).
var geoPrefixes = []string{"us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"}

// Describe asks the control plane what the model is and whether this account may invoke it here.
//
// An inference profile id is described through its underlying model: GetFoundationModel and
// GetFoundationModelAvailability only know foundation model ids, a system-defined profile routes
// to that same model in each region of its geography, and invoking through it still requires
// the model's access to be granted in the source region.
func (c *Client) Describe(ctx context.Context) (certify.ModelInfo, error) {
	foundationID, profile := foundationModelID(c.modelID)
	model, err := c.control.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{
		ModelIdentifier: aws.String(foundationID),
	})
	if err != nil {
		return certify.ModelInfo{}, fmt.Errorf("describe %s: %w", c.modelID, Classify(err))
	}
	if model.ModelDetails == nil {
		return certify.ModelInfo{}, fmt.Errorf("describe %s: %w", c.modelID, &certify.ModelError{
			Category: certify.CategoryUnknown, Message: "GetFoundationModel returned no model details"})
	}
	info := modelInfo(c.modelID, model.ModelDetails)

	availability, err := c.control.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{
		ModelId: aws.String(foundationID),
	})
	if err != nil {
		return certify.ModelInfo{}, fmt.Errorf("model availability %s: %w", c.modelID, Classify(err))
	}
	info.AccessError = accessError(availability)
	if info.AccessError == nil && !profile && needsProfile(info.InferenceTypes) {
		info.AccessError = &certify.ModelError{
			Category: certify.CategoryConfiguration,
			Message:  fmt.Sprintf("%s is not offered on demand; invoke it through an inference profile (for example us.%s)", c.modelID, c.modelID),
		}
	}
	info.Accessible = info.AccessError == nil
	return info, nil
}

// foundationModelID strips a geography prefix from an inference profile id and reports whether
// there was one.
func foundationModelID(id string) (string, bool) {
	prefix, rest, ok := strings.Cut(id, ".")
	if ok && slices.Contains(geoPrefixes, prefix) {
		return rest, true
	}
	return id, false
}

func modelInfo(id string, d *cptypes.FoundationModelDetails) certify.ModelInfo {
	info := certify.ModelInfo{
		ModelID:            id,
		InputModalities:    enumStrings(d.InputModalities),
		OutputModalities:   enumStrings(d.OutputModalities),
		InferenceTypes:     enumStrings(d.InferenceTypesSupported),
		StreamingSupported: aws.ToBool(d.ResponseStreamingSupported),
	}
	if d.ModelLifecycle != nil {
		info.Lifecycle = string(d.ModelLifecycle.Status)
	}
	return info
}

// accessError says why the account may not invoke the model, nil when it may. A model not
// offered in the region is checked first: then nothing else matters.
func accessError(a *bedrock.GetFoundationModelAvailabilityOutput) error {
	switch {
	case a.RegionAvailability == cptypes.RegionAvailabilityNotAvailable:
		return &certify.ModelError{Category: certify.CategoryUnavailable, Message: "the model is not available in this region"}
	case a.AuthorizationStatus == cptypes.AuthorizationStatusNotAuthorized:
		return &certify.ModelError{Category: certify.CategoryPermission, Message: "the account is not authorized to use the model"}
	case a.EntitlementAvailability == cptypes.EntitlementAvailabilityNotAvailable:
		return &certify.ModelError{Category: certify.CategoryProvisioningRequired, Message: "model access has not been granted to the account"}
	}
	return nil
}

// inferenceProfileType is the inference type of models invoked through a cross-region profile;
// the SDK's InferenceType enum does not list it.
const inferenceProfileType = "INFERENCE_PROFILE"

// needsProfile reports whether a plain model id cannot be invoked on demand: the model is
// offered through inference profiles only (provisioned throughput needs its own ARN).
func needsProfile(types []string) bool {
	return slices.Contains(types, inferenceProfileType) &&
		!slices.Contains(types, string(cptypes.InferenceTypeOnDemand))
}

func enumStrings[E ~string](values []E) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
