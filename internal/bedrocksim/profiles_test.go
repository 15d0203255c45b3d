package bedrocksim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	cptypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
)

const appProfileARN = "arn:aws:bedrock:us-east-1:" + simAccountID + ":application-inference-profile/simapp0nova1"

func TestGetInferenceProfile(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	tests := []struct {
		name, region, id string
		wantType         cptypes.InferenceProfileType
		wantModels       []string // model ARNs; nil when the profile is not found
	}{
		{"us profile from a us region", "us-east-1", "us.amazon.nova-lite-v1:0", cptypes.InferenceProfileTypeSystemDefined,
			[]string{modelARN("us-east-1", "amazon.nova-lite-v1:0"), modelARN("us-west-2", "amazon.nova-lite-v1:0")}},
		{"us profile by ARN", "us-west-2", "arn:aws:bedrock:us-west-2:" + simAccountID + ":inference-profile/us.amazon.nova-lite-v1:0",
			cptypes.InferenceProfileTypeSystemDefined,
			[]string{modelARN("us-east-1", "amazon.nova-lite-v1:0"), modelARN("us-west-2", "amazon.nova-lite-v1:0")}},
		{"eu profile from eu-west-1", "eu-west-1", "eu.sim.eu-only-v1", cptypes.InferenceProfileTypeSystemDefined,
			[]string{modelARN("eu-west-1", "sim.eu-only-v1")}},
		{"global profile", "ap-northeast-1", "global.amazon.nova-lite-v1:0", cptypes.InferenceProfileTypeSystemDefined, []string{
			modelARN("us-east-1", "amazon.nova-lite-v1:0"), modelARN("us-west-2", "amazon.nova-lite-v1:0"),
			modelARN("eu-west-1", "amazon.nova-lite-v1:0"), modelARN("eu-central-1", "amazon.nova-lite-v1:0"),
			modelARN("ap-northeast-1", "amazon.nova-lite-v1:0"), modelARN("ap-southeast-2", "amazon.nova-lite-v1:0")}},
		{"application profile", "us-east-1", appProfileARN, cptypes.InferenceProfileTypeApplication,
			[]string{modelARN("us-east-1", "amazon.nova-lite-v1:0")}},
		{"eu profile from us-east-1", "us-east-1", "eu.sim.eu-only-v1", "", nil},
		{"us profile from eu-west-1", "eu-west-1", "us.amazon.nova-lite-v1:0", "", nil},
		{"ARN of another region", "us-east-1", "arn:aws:bedrock:us-west-2:" + simAccountID + ":inference-profile/us.amazon.nova-lite-v1:0", "", nil},
		{"application profile from another region", "us-west-2", appProfileARN, "", nil},
		{"application profile by bare id", "us-east-1", "simapp0nova1", "", nil},
		{"no such profile", "us-east-1", "us.no.such-model-v1", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := controlClient(t, url, tc.region).GetInferenceProfile(context.Background(),
				&bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(tc.id)})
			if tc.wantModels == nil {
				asError[*cptypes.ResourceNotFoundException](t, err)
				return
			}
			if err != nil {
				t.Fatalf("GetInferenceProfile: %v", err)
			}
			models := each(out.Models, func(m cptypes.InferenceProfileModel) string { return aws.ToString(m.ModelArn) })
			if diff := cmp.Diff(tc.wantModels, models); diff != "" {
				t.Errorf("models (-want +got):\n%s", diff)
			}
			if out.Type != tc.wantType || out.Status != cptypes.InferenceProfileStatusActive || out.CreatedAt == nil ||
				!strings.HasSuffix(aws.ToString(out.InferenceProfileArn), "/"+aws.ToString(out.InferenceProfileId)) {
				t.Errorf("profile = type %s, status %s, arn %s, id %s", out.Type, out.Status, aws.ToString(out.InferenceProfileArn), aws.ToString(out.InferenceProfileId))
			}
		})
	}
}

func TestListInferenceProfiles(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := controlClient(t, url, "us-east-1")
	var ids []string
	pages := bedrock.NewListInferenceProfilesPaginator(client, &bedrock.ListInferenceProfilesInput{MaxResults: aws.Int32(4)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListInferenceProfiles: %v", err)
		}
		for _, p := range page.InferenceProfileSummaries {
			if p.Type != cptypes.InferenceProfileTypeSystemDefined {
				t.Errorf("%s has type %s, want SYSTEM_DEFINED only", aws.ToString(p.InferenceProfileId), p.Type)
			}
			ids = append(ids, aws.ToString(p.InferenceProfileId))
		}
	}
	var want []string
	for _, p := range s.catalog.Load().profiles {
		if p.Type == ProfileSystemDefined && (strings.HasPrefix(p.ID, "us.") && !strings.Contains(p.ID, "sim.wrong-region") ||
			strings.HasPrefix(p.ID, "global.")) {
			want = append(want, p.ID)
		}
	}
	if diff := cmp.Diff(want, ids); diff != "" || len(ids) < 8 {
		t.Errorf("system-defined profiles in us-east-1 (-want +got):\n%s", diff)
	}
	if strings.Contains(strings.Join(ids, " "), " eu.") {
		t.Errorf("an eu. profile is listed in us-east-1: %v", ids)
	}

	apps, err := client.ListInferenceProfiles(context.Background(), &bedrock.ListInferenceProfilesInput{TypeEquals: cptypes.InferenceProfileTypeApplication})
	if err != nil {
		t.Fatalf("ListInferenceProfiles(APPLICATION): %v", err)
	}
	if len(apps.InferenceProfileSummaries) != 1 || aws.ToString(apps.InferenceProfileSummaries[0].InferenceProfileArn) != appProfileARN {
		t.Errorf("application profiles = %+v, want the one in the catalog", apps.InferenceProfileSummaries)
	}
}

// TestConverseThroughProfiles checks Bedrock's source-region rule: a geographic profile is
// callable from its geography's regions where the model runs, and is an invalid model
// identifier anywhere else.
func TestConverseThroughProfiles(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	tests := []struct {
		region, id string
		ok         bool
	}{
		{"us-east-1", "us.amazon.nova-lite-v1:0", true},
		{"us-east-1", "arn:aws:bedrock:us-east-1:" + simAccountID + ":inference-profile/us.amazon.nova-lite-v1:0", true},
		{"us-east-1", appProfileARN, true},
		{"eu-west-1", "eu.sim.eu-only-v1", true},
		{"ap-northeast-1", "global.amazon.nova-lite-v1:0", true},
		{"us-east-1", "eu.sim.eu-only-v1", false},
		{"us-east-1", "eu.amazon.nova-lite-v1:0", false},
		{"eu-west-1", "us.amazon.nova-lite-v1:0", false},
		{"us-west-2", appProfileARN, false},
		{"us-west-2", "arn:aws:bedrock:us-east-1:" + simAccountID + ":inference-profile/us.amazon.nova-lite-v1:0", false},
		{"us-east-1", "sim.eu-only-v1", false},
		{"us-east-1", "global.sim.eu-only-v1", true},
	}
	for _, tc := range tests {
		t.Run(tc.region+"/"+tc.id, func(t *testing.T) {
			client := runtimeClient(t, url, tc.region)
			in := &bedrockruntime.ConverseInput{ModelId: aws.String(tc.id), Messages: []types.Message{userMessage("Say hello.")}}
			_, err := client.Converse(context.Background(), in)
			if tc.ok {
				if err != nil {
					t.Fatalf("Converse: %v", err)
				}
				stream, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: in.ModelId, Messages: in.Messages})
				if err != nil {
					t.Fatalf("ConverseStream: %v", err)
				}
				stream.GetStream().Close()
				return
			}
			ve := asError[*types.ValidationException](t, err)
			if aws.ToString(ve.Message) != "The provided model identifier is invalid." {
				t.Fatalf("message = %q, want Bedrock's invalid model identifier", aws.ToString(ve.Message))
			}
		})
	}
	if got := s.Calls("sim.eu-only-v1"); got.Converse != 4 {
		t.Errorf("sim.eu-only-v1 calls = %+v, want every attempt counted under the model id", got)
	}
}

func TestParseCatalogProfiles(t *testing.T) {
	const personas = "personas:\n- {id: m.one-v1, regions: [us-east-1, us-west-2, eu-west-1]}\n"
	tests := []struct {
		name, profiles, wantErr string
	}{
		{"geographic", "- {id: us.m.one-v1, model: m.one-v1, regions: [us-west-2]}", ""},
		{"application", "- {id: app1, model: m.one-v1, regions: [eu-west-1]}", ""},
		{"unknown model", "- {id: app1, model: m.two-v1, regions: [us-east-1]}", `inferenceProfiles[0] (app1): model: no persona has the id "m.two-v1"`},
		{"region outside the geography", "- {id: us.m.one-v1, model: m.one-v1, regions: [eu-west-1]}", "regions[0]: eu-west-1 is not a region of geography us"},
		{"geography without the model", "- {id: apac.m.one-v1, model: m.one-v1}", "regions: m.one-v1 is offered in no region of geography apac"},
		{"id names another model", "- {id: us.m.two-v1, model: m.one-v1}", "model: a us. profile id names its model (m.two-v1)"},
		{"application in two regions", "- {id: app1, model: m.one-v1, regions: [us-east-1, us-west-2]}", "an application profile lives in exactly one region"},
		{"duplicate", "- {id: app1, model: m.one-v1, regions: [us-east-1]}\n- {id: app1, model: m.one-v1, regions: [us-west-2]}", "inferenceProfiles[1] (app1): id: declared twice"},
		{"unknown field", "- {id: app1, model: m.one-v1, regions: [us-east-1], arn: x}", `inferenceProfiles[0]: unknown field "arn"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog([]byte(personas + "inferenceProfiles:\n" + tc.profiles + "\n"))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("ParseCatalog error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
