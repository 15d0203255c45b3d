package v1alpha1_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// manifest returns a ModelCertification manifest whose spec body is spec (indented YAML).
func manifest(name, spec string) string {
	return `apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: ` + name + `
spec:
` + spec
}

// TestKubectlApplyRejectsInvalidManifests applies bad manifests with the real kubectl and expects
// the API server to refuse each with a message naming the field.
func TestKubectlApplyRejectsInvalidManifests(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)

	tests := []struct {
		name string
		spec string
		want []string // substrings of kubectl's error
	}{
		{"missing modelId", "  region: us-east-1\n",
			[]string{"spec.modelId", "Required value"}},
		{"region moon-1", "  modelId: amazon.nova-lite-v1:0\n  region: moon-1\n",
			[]string{"spec.region", "moon-1"}},
		{"warnScore above certifyScore", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  policy:\n    certifyScore: 80\n    warnScore: 90\n",
			[]string{"spec.policy", "warnScore must not exceed certifyScore"}},
		{"negative timeout", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  timeouts:\n    perCheck: -5s\n",
			[]string{"spec.timeouts.perCheck"}},
		{"zero timeout", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  timeouts:\n    perRun: 0s\n",
			[]string{"spec.timeouts.perRun", "must be a positive duration"}},
		{"check timeout longer than run", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  timeouts:\n    perCheck: 20m\n    perRun: 10m\n",
			[]string{"spec.timeouts", "perCheck must not exceed perRun"}},
		{"zero token budget", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  budget:\n    maxTokensPerRun: 0\n",
			[]string{"spec.budget.maxTokensPerRun", "should be greater than or equal to 1"}},
		{"empty budget", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  budget: {}\n",
			[]string{"spec.budget.maxTokensPerRun", "Required value"}},
		{"unknown check", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  checks:\n    include: [basic-prompt, telepathy]\n",
			[]string{"spec.checks.include[1]", "telepathy"}},
		{"check both included and excluded", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  checks:\n    include: [vision]\n    exclude: [vision]\n",
			[]string{"spec.checks", "both included and excluded"}},
		{"unknown required check", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  policy:\n    requiredChecks: [telepathy]\n",
			[]string{"spec.policy.requiredChecks[0]", "telepathy"}},
		{"required check excluded", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  policy:\n    requiredChecks: [tool-use]\n  checks:\n    exclude: [tool-use]\n",
			[]string{"spec", "a required check cannot be excluded"}},
		{"required check not included", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  policy:\n    requiredChecks: [tool-use]\n  checks:\n    include: [basic-prompt]\n",
			[]string{"spec", "a required check must be among checks.include"}},
		{"endpoint not a URL", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  endpoint: ftp//nowhere\n",
			[]string{"spec.endpoint", "http or https URL"}},
		{"bad model id", "  modelId: Nova Lite\n  region: us-east-1\n",
			[]string{"spec.modelId"}},
		{"bad role", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  roleArn: admin\n",
			[]string{"spec.roleArn"}},
		{"unknown deletion policy", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  deletionPolicy: Orphan\n",
			[]string{"spec.deletionPolicy", "Orphan"}},
		{"recertify after expiry", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  validFor: 24h\n  recertifyAfter: 48h\n",
			[]string{"spec.recertifyAfter", "recertifyAfter + timeouts.perRun must not exceed validFor"}},
		{"no time left for the run", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  validFor: 1h\n  recertifyAfter: 55m\n",
			[]string{"spec.recertifyAfter", "recertifyAfter + timeouts.perRun must not exceed validFor"}},
		{"validFor shorter than the default lead", "  modelId: amazon.nova-lite-v1:0\n  region: us-east-1\n  validFor: 20m\n",
			[]string{"spec.validFor", "validFor must exceed twice timeouts.perRun"}},
		{"misspelt field", "  modelID: amazon.nova-lite-v1:0\n  region: us-east-1\n",
			[]string{"modelID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := env.Kubectl(manifest("bad", tt.spec), "apply", "-n", ns, "-f", "-")
			if err == nil {
				t.Fatalf("kubectl apply accepted the manifest:\n%s", tt.spec)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("kubectl's error does not mention %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestKubectlApplyDefaults applies a minimal manifest and reads back the defaults the API server filled in.
func TestKubectlApplyDefaults(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)

	out, stderr, err := env.Kubectl(manifest("nova", "  modelId: amazon.nova-lite-v1:0\n  region: eu-west-1\n"),
		"apply", "-n", ns, "-f", "-", "-o", "json")
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, stderr)
	}
	var got struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode kubectl output: %v", err)
	}
	want := map[string]any{
		"modelId":        "amazon.nova-lite-v1:0",
		"region":         "eu-west-1",
		"provider":       "bedrock",
		"policy":         map[string]any{"certifyScore": float64(80), "warnScore": float64(60)},
		"timeouts":       map[string]any{"perCheck": "60s", "perRun": "10m"},
		"validFor":       "168h",
		"deletionPolicy": "Retain",
	}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Errorf("defaulted spec (-want +got):\n%s", diff)
	}
}

// TestSamplesAreValid applies config/samples with the real kubectl: every sample the README
// points users at must pass the API server's validation.
func TestSamplesAreValid(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	samples := testenv.RepoRoot() + "/config/samples"
	if out, stderr, err := env.Kubectl("", "apply", "-n", ns, "-k", samples); err != nil {
		t.Fatalf("kubectl apply -k %s: %v\n%s%s", samples, err, out, stderr)
	}
}

// TestKubectlExplain reads the field docs as a user would.
func TestKubectlExplain(t *testing.T) {
	env := testenv.Require(t)
	// The API server publishes a new CRD's OpenAPI a few seconds after installing it.
	var out, stderr string
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		out, stderr, err = env.Kubectl("", "explain", "modelcertification.spec.policy.warnScore")
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("kubectl explain: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "lowest score that gives QualityWarning rather than Failed") {
		t.Errorf("kubectl explain does not show the field's doc:\n%s", out)
	}
}

// setManifest returns a ModelCertificationSet manifest whose spec body is spec (indented YAML).
func setManifest(name, spec string) string {
	return `apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertificationSet
metadata:
  name: ` + name + `
spec:
` + spec
}

// TestKubectlApplyRejectsInvalidSets applies bad sets with the real kubectl: the template is
// validated like a certification's spec, CEL rules included.
func TestKubectlApplyRejectsInvalidSets(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)

	tests := []struct {
		name    string
		setName string // "bad" when empty
		spec    string
		want    []string
	}{
		{"no regions", "", "  regions: []\n  models:\n    providers: [Amazon]\n",
			[]string{"spec.regions"}},
		{"region moon-1", "", "  regions: [us-east-1, moon-1]\n  models:\n    providers: [Amazon]\n",
			[]string{"spec.regions[1]", "moon-1"}},
		{"empty selector", "", "  regions: [us-east-1]\n  models:\n    exclude: ['*']\n",
			[]string{"spec.models", "select models by at least one of"}},
		{"unknown modality", "", "  regions: [us-east-1]\n  models:\n    outputModalities: [SMELL]\n",
			[]string{"spec.models.outputModalities[0]", "SMELL"}},
		{"unknown pruning", "", "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n  pruning: Retain\n",
			[]string{"spec.pruning", "Retain"}},
		{"template recertify after expiry", "", "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n  template:\n    validFor: 24h\n    recertifyAfter: 48h\n",
			[]string{"spec.template.recertifyAfter", "recertifyAfter + timeouts.perRun must not exceed validFor"}},
		{"template with modelId", "", "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n  template:\n    modelId: amazon.nova-lite-v1:0\n",
			[]string{"modelId"}},
		{"name too long for a label", strings.Repeat("a", 64), "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n",
			[]string{"at most 63 characters"}},
		{"discovery too often", "", "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n  discoveryInterval: 10ms\n",
			[]string{"spec.discoveryInterval", "at least 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.setName
			if name == "" {
				name = "bad"
			}
			_, stderr, err := env.Kubectl(setManifest(name, tt.spec), "apply", "-n", ns, "-f", "-")
			if err == nil {
				t.Fatalf("kubectl apply accepted the manifest:\n%s", tt.spec)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("kubectl's error does not mention %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestKubectlApplySetDefaults applies a minimal set and reads back its defaults.
func TestKubectlApplySetDefaults(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)

	out, stderr, err := env.Kubectl(setManifest("fleet", "  regions: [us-east-1]\n  models:\n    providers: [Amazon]\n"),
		"apply", "-n", ns, "-f", "-", "-o", "json")
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, stderr)
	}
	var got struct {
		Spec map[string]any `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode kubectl output: %v", err)
	}
	want := map[string]any{
		"regions":           []any{"us-east-1"},
		"models":            map[string]any{"providers": []any{"Amazon"}, "lifecycle": []any{"ACTIVE"}},
		"discoveryInterval": "24h",
		"pruning":           "Delete",
		"template": map[string]any{
			"provider":       "bedrock",
			"policy":         map[string]any{"certifyScore": float64(80), "warnScore": float64(60)},
			"timeouts":       map[string]any{"perCheck": "60s", "perRun": "10m"},
			"validFor":       "168h",
			"deletionPolicy": "Retain",
		},
	}
	if diff := cmp.Diff(want, got.Spec); diff != "" {
		t.Errorf("defaulted spec (-want +got):\n%s", diff)
	}
	// The printer columns, found by the short name and the category.
	for _, resource := range []string{"mcertset", "modelcert"} {
		out, stderr, err := env.Kubectl("", "get", resource, "-n", ns)
		if err != nil {
			t.Fatalf("kubectl get %s: %v\n%s", resource, err, stderr)
		}
		if header := strings.Fields(strings.SplitN(out, "\n", 2)[0]); !slices.Equal(header, []string{"NAME", "MODELS", "CERTIFIED", "WARNING", "FAILED", "REGIONS", "AGE"}) {
			t.Errorf("kubectl get %s header = %v", resource, header)
		}
	}
}
