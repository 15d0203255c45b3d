package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// TestCertifyThroughInferenceProfiles runs the battery through the real SDK against the
// simulator: profiles callable from us-east-1 certify; a model or profile that us-east-1 does
// not have is UNAVAILABLE at the pre-flight, with no inference call.
func TestCertifyThroughInferenceProfiles(t *testing.T) {
	sim, endpoint := startSim(t)
	tests := []struct {
		modelID, foundation string
		want                certify.ErrorCategory
	}{
		{"us.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", certify.CategoryNone},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", certify.CategoryNone},
		{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/simapp0nova1", "amazon.nova-lite-v1:0", certify.CategoryNone},
		{"eu.sim.eu-only-v1", "sim.eu-only-v1", certify.CategoryUnavailable},
		{"sim.eu-only-v1", "sim.eu-only-v1", certify.CategoryUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.modelID, func(t *testing.T) {
			before := sim.Calls(tc.foundation)
			c := newSimClient(t, endpoint, tc.modelID)
			info, _ := c.Describe(context.Background())
			if tc.want == certify.CategoryNone && info.FoundationModelID != tc.foundation {
				t.Errorf("FoundationModelID = %q, want %q", info.FoundationModelID, tc.foundation)
			}
			report := certify.Run(context.Background(), c, certify.Options{})
			verdict := certify.Judge(report.Results, certify.DefaultPolicy)
			if tc.want == certify.CategoryNone {
				if verdict.Status != certify.VerdictCertified {
					t.Fatalf("verdict = %+v, want CERTIFIED; results %+v", verdict, report.Results)
				}
				return
			}
			if availability := report.Results[0]; availability.Category != tc.want || verdict.Status != certify.VerdictFailed {
				t.Fatalf("availability = %+v, verdict %s; want %s and FAILED", availability, verdict.Status, tc.want)
			}
			after := sim.Calls(tc.foundation)
			if after.Converse != before.Converse || after.ConverseStream != before.ConverseStream {
				t.Fatalf("the simulator saw inference calls: %+v → %+v", before, after)
			}
		})
	}
}

// TestRefusalsNameTheCapability sends each feature to a model the simulator says lacks it
// and checks the adapter's error names the capability, as the runner needs to skip the check.
func TestRefusalsNameTheCapability(t *testing.T) {
	_, endpoint := startSim(t)
	weather := certify.Tool{Name: "get_weather", InputSchema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)}
	hello := []certify.Message{{Role: certify.RoleUser, Text: "Say hello."}}
	tests := []struct {
		name, modelID string
		req           certify.Request
		want          certify.Capability
	}{
		{"llama without tools", "meta.llama3-8b-instruct-v1:0", certify.Request{Messages: hello, Tools: []certify.Tool{weather}}, certify.CapabilityToolUse},
		{"mistral without system prompt", "mistral.mistral-7b-instruct-v0:2", certify.Request{System: "Be brief.", Messages: hello}, certify.CapabilitySystemPrompt},
		{"llama 4 without toolChoice", "us.meta.llama4-maverick-17b-instruct-v1:0", certify.Request{Messages: hello, Tools: []certify.Tool{weather}, ToolChoice: "get_weather"}, certify.CapabilityToolUse},
		{"titan without images", "amazon.titan-text-express-v1", certify.Request{Messages: []certify.Message{{Role: certify.RoleUser, Text: "What colour?", Image: redPNG(t)}}}, certify.CapabilityVision},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSimClient(t, endpoint, tc.modelID).Converse(context.Background(), tc.req)
			var me *certify.ModelError
			if !errors.As(err, &me) || me.Unsupported != tc.want || me.Category != certify.CategoryConfiguration {
				t.Fatalf("Converse error = %v (%+v), want a CONFIGURATION_ERROR naming %s", err, me, tc.want)
			}
		})
	}
}
