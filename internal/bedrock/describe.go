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
// An inference profile (a geographic id or a profile ARN) is first resolved with
// GetInferenceProfile, which knows only the profiles callable in the client's region: a
// geographic profile from its own geography's regions, an application profile in its region.
// The model it routes to is then described like any other: capabilities are that model's,
// and invoking through the profile still requires the model's access to be granted.
func (c *Client) Describe(ctx context.Context) (certify.ModelInfo, error) {
	ctx = c.counted(ctx)
	foundationID, profileARN := foundationModelID(c.modelID), ""
	if isInferenceProfile(c.modelID) {
		profile, err := c.sdk.control.GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{
			InferenceProfileIdentifier: aws.String(c.modelID),
		})
		if err != nil {
			return certify.ModelInfo{}, fmt.Errorf("describe inference profile %s: %w", c.modelID, c.profileError(err))
		}
		if foundationID = profileModel(profile.Models, c.region); foundationID == "" {
			return certify.ModelInfo{}, fmt.Errorf("describe inference profile %s: %w", c.modelID, &certify.ModelError{
				Category: certify.CategoryUnknown, Message: "GetInferenceProfile returned no foundation model"})
		}
		profileARN = aws.ToString(profile.InferenceProfileArn)
	}
	model, err := c.sdk.control.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{
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
	info.FoundationModelID, info.InferenceProfileARN = foundationID, profileARN
	availability, err := c.sdk.control.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{
		ModelId: aws.String(foundationID),
	})
	if err != nil {
		return certify.ModelInfo{}, fmt.Errorf("model availability %s: %w", c.modelID, Classify(err))
	}
	info.AccessError = accessError(availability)
	if info.AccessError == nil && profileARN == "" && needsProfile(info.InferenceTypes) {
		info.AccessError = &certify.ModelError{
			Category: certify.CategoryConfiguration,
			Message:  fmt.Sprintf("%s is not offered on demand; invoke it through an inference profile (for example us.%s)", c.modelID, c.modelID),
		}
	}
	info.Accessible = info.AccessError == nil
	return info, nil
}

// profileError classifies a GetInferenceProfile failure. A profile the region does not know is
// UNAVAILABLE, as Bedrock Runtime's "The provided model identifier is invalid." would be for the
// same id; the message says why that usually happens.
func (c *Client) profileError(err error) *certify.ModelError {
	me := Classify(err)
	if me.Category == certify.CategoryUnavailable {
		me.Message = shorten(fmt.Sprintf("inference profile %s is not callable from %s (a geographic profile only from its source regions, an application profile only in its own): %s",
			c.modelID, c.region, me.Message))
	}
	return me
}

// isInferenceProfile reports whether id names an inference profile: a geographic profile id,
// or the ARN of a system-defined or application profile.
func isInferenceProfile(id string) bool {
	if strings.HasPrefix(id, "arn:") {
		return strings.Contains(id, ":inference-profile/") || strings.Contains(id, ":application-inference-profile/")
	}
	prefix, _, ok := strings.Cut(id, ".")
	return ok && slices.Contains(geoPrefixes, prefix)
}

// foundationModelID returns the model id in a foundation model ARN, and any other id as it is.
func foundationModelID(idOrARN string) string {
	if _, id, ok := strings.Cut(idOrARN, ":foundation-model/"); ok && strings.HasPrefix(idOrARN, "arn:") {
		return id
	}
	return idOrARN
}

// profileModel picks the profile's model in region, else its first: a geographic profile lists
// the same model in every region it routes to.
func profileModel(models []cptypes.InferenceProfileModel, region string) string {
	var first string
	for _, m := range models {
		arn := aws.ToString(m.ModelArn)
		if first == "" {
			first = arn
		}
		if strings.Contains(arn, ":bedrock:"+region+":") {
			return foundationModelID(arn)
		}
	}
	if first == "" {
		return ""
	}
	return foundationModelID(first)
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
