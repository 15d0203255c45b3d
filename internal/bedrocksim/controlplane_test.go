package bedrocksim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/google/go-cmp/cmp"
)

func TestGetFoundationModel(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := controlClient(t, url, "us-west-2")
	out, err := client.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:0")})
	if err != nil {
		t.Fatalf("GetFoundationModel: %v", err)
	}
	want := &types.FoundationModelDetails{
		ModelArn:                   aws.String("arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0"),
		ModelId:                    aws.String("amazon.nova-lite-v1:0"),
		ModelName:                  aws.String("Nova Lite"),
		ProviderName:               aws.String("Amazon"),
		InputModalities:            []types.ModelModality{types.ModelModalityText, types.ModelModalityImage},
		OutputModalities:           []types.ModelModality{types.ModelModalityText},
		ResponseStreamingSupported: aws.Bool(true),
		CustomizationsSupported:    []types.ModelCustomization{},
		InferenceTypesSupported:    []types.InferenceType{types.InferenceTypeOnDemand},
		ModelLifecycle:             &types.FoundationModelLifecycle{Status: types.FoundationModelLifecycleStatusActive},
	}
	if diff := cmp.Diff(want, out.ModelDetails, cmp.AllowUnexported(types.FoundationModelDetails{}, types.FoundationModelLifecycle{})); diff != "" {
		t.Errorf("modelDetails (-want +got):\n%s", diff)
	}
	if got := s.Calls("amazon.nova-lite-v1:0"); got != (CallCounts{ControlPlane: 1}) {
		t.Errorf("Calls = %+v, want one control-plane call", got)
	}
}

func TestGetFoundationModelNotFound(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	for _, tt := range []struct{ model, region string }{
		{"no.such-model-v1", "us-east-1"},
		{"sim.wrong-region-v1", "us-east-1"},
	} {
		client := controlClient(t, url, tt.region)
		_, err := client.GetFoundationModel(context.Background(), &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(tt.model)})
		asError[*types.ResourceNotFoundException](t, err)
	}
}

func TestListFoundationModels(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	tests := []struct {
		name   string
		region string
		in     bedrock.ListFoundationModelsInput
		want   []string
	}{
		{"by provider", "us-east-1", bedrock.ListFoundationModelsInput{ByProvider: aws.String("anthropic")},
			[]string{"anthropic.claude-3-haiku-20240307-v1:0"}},
		{"by inference type", "us-east-1", bedrock.ListFoundationModelsInput{ByInferenceType: types.InferenceTypeProvisioned}, nil},
		{"region without most models", "ap-southeast-2", bedrock.ListFoundationModelsInput{ByProvider: aws.String("Simulator"), ByInferenceType: types.InferenceTypeOnDemand},
			[]string{"sim.throttled-v1", "sim.access-denied-v1", "sim.no-model-access-v1", "sim.wrong-region-v1", "sim.never-answers-v1",
				"sim.empty-answers-v1", "sim.ignores-system-prompt-v1", "sim.ignores-max-tokens-v1", "sim.malformed-tool-input-v1", "sim.stream-interrupted-v1",
				"sim.echo-last-v1", "sim.echo-conversation-v1", "sim.fluent-wrong-v1", "sim.refuses-v1", "sim.canned-v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := controlClient(t, url, tt.region).ListFoundationModels(context.Background(), &tt.in)
			if err != nil {
				t.Fatalf("ListFoundationModels: %v", err)
			}
			got := each(out.ModelSummaries, func(m types.FoundationModelSummary) string { return aws.ToString(m.ModelId) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("model ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetFoundationModelAvailability(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := controlClient(t, url, "us-east-1")
	type verdict struct{ Authorization, Entitlement, Region, Agreement string }
	tests := []struct {
		model string
		want  verdict
	}{
		{"amazon.nova-lite-v1:0", verdict{"AUTHORIZED", "AVAILABLE", "AVAILABLE", "AVAILABLE"}},
		{"sim.access-denied-v1", verdict{"NOT_AUTHORIZED", "AVAILABLE", "AVAILABLE", "AVAILABLE"}},
		{"sim.no-model-access-v1", verdict{"AUTHORIZED", "NOT_AVAILABLE", "AVAILABLE", "AVAILABLE"}},
		{"sim.wrong-region-v1", verdict{"AUTHORIZED", "AVAILABLE", "NOT_AVAILABLE", "AVAILABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			out, err := client.GetFoundationModelAvailability(context.Background(), &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(tt.model)})
			if err != nil {
				t.Fatalf("GetFoundationModelAvailability: %v", err)
			}
			got := verdict{string(out.AuthorizationStatus), string(out.EntitlementAvailability), string(out.RegionAvailability), string(out.AgreementAvailability.Status)}
			if got != tt.want || aws.ToString(out.ModelId) != tt.model {
				t.Errorf("availability of %s = %+v, want %+v", aws.ToString(out.ModelId), got, tt.want)
			}
		})
	}
	_, err := client.GetFoundationModelAvailability(context.Background(), &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String("no.such-model-v1")})
	asError[*types.ResourceNotFoundException](t, err)
}

// SetCatalog changes what the control plane lists while the server serves; output modalities
// are reported and filtered on.
func TestSetCatalogAndOutputModalities(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	c, err := ParseCatalog([]byte(`
- id: amazon.nova-lite-v1:0
  provider: Amazon
  regions: [us-east-1]
- id: amazon.titan-embed-text-v2:0
  provider: Amazon
  regions: [us-east-1]
  outputModalities: [EMBEDDING]
`))
	if err != nil {
		t.Fatal(err)
	}
	s.SetCatalog(c)
	client := controlClient(t, url, "us-east-1")
	all, err := client.ListFoundationModels(context.Background(), &bedrock.ListFoundationModelsInput{})
	if err != nil {
		t.Fatalf("ListFoundationModels: %v", err)
	}
	got := each(all.ModelSummaries, func(m types.FoundationModelSummary) string {
		return aws.ToString(m.ModelId) + "=" + string(m.OutputModalities[0])
	})
	if diff := cmp.Diff([]string{"amazon.nova-lite-v1:0=TEXT", "amazon.titan-embed-text-v2:0=EMBEDDING"}, got); diff != "" {
		t.Errorf("models after SetCatalog (-want +got):\n%s", diff)
	}
	text, err := client.ListFoundationModels(context.Background(), &bedrock.ListFoundationModelsInput{ByOutputModality: types.ModelModalityText})
	if err != nil {
		t.Fatalf("ListFoundationModels: %v", err)
	}
	if got := each(text.ModelSummaries, func(m types.FoundationModelSummary) string { return aws.ToString(m.ModelId) }); !cmp.Equal(got, []string{"amazon.nova-lite-v1:0"}) {
		t.Errorf("text models = %v, want only amazon.nova-lite-v1:0", got)
	}
}
