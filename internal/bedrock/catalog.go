package bedrock

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
)

// FoundationModel is a model as the control plane lists it.
type FoundationModel struct {
	ID               string
	Provider         string
	InputModalities  []string
	OutputModalities []string
	InferenceTypes   []string
	// Lifecycle is ACTIVE or LEGACY.
	Lifecycle string
}

// ListFoundationModels lists the foundation models the control plane offers in the region of
// c, whose ModelID is not used. It shares the AWS configuration (credentials, endpoint,
// retries, connections) of the Clients with the same settings. ListFoundationModels has no
// pagination: one call returns the region's whole catalog.
func ListFoundationModels(ctx context.Context, c Config) ([]FoundationModel, error) {
	if err := joinLine(c.connectionErrors()); err != nil {
		return nil, fmt.Errorf("bedrock config: %w", err)
	}
	sdk, err := sdkFor(ctx, c)
	if err != nil {
		return nil, err
	}
	out, err := sdk.control.ListFoundationModels(ctx, &bedrock.ListFoundationModelsInput{})
	if err != nil {
		return nil, fmt.Errorf("list foundation models in %s: %w", c.Region, Classify(err))
	}
	models := make([]FoundationModel, 0, len(out.ModelSummaries))
	for _, m := range out.ModelSummaries {
		fm := FoundationModel{
			ID:               aws.ToString(m.ModelId),
			Provider:         aws.ToString(m.ProviderName),
			InputModalities:  enumStrings(m.InputModalities),
			OutputModalities: enumStrings(m.OutputModalities),
			InferenceTypes:   enumStrings(m.InferenceTypesSupported),
		}
		if m.ModelLifecycle != nil {
			fm.Lifecycle = string(m.ModelLifecycle.Status)
		}
		models = append(models, fm)
	}
	return models, nil
}
