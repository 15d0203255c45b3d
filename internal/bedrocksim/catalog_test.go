package bedrocksim

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultCatalog(t *testing.T) {
	c := DefaultCatalog()
	var ids []string
	for _, p := range c.Personas {
		ids = append(ids, p.ID)
	}
	want := []string{
		"amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.titan-text-express-v1", "anthropic.claude-3-haiku-20240307-v1:0",
		"sim.throttled-v1", "sim.access-denied-v1", "sim.no-model-access-v1", "sim.wrong-region-v1", "sim.inference-profile-v1",
		"sim.never-answers-v1", "sim.empty-answers-v1", "sim.ignores-system-prompt-v1", "sim.ignores-max-tokens-v1",
		"sim.malformed-tool-input-v1", "sim.stream-interrupted-v1",
		"meta.llama3-8b-instruct-v1:0", "mistral.mistral-7b-instruct-v0:2", "meta.llama4-maverick-17b-instruct-v1:0", "sim.eu-only-v1",
		"sim.echo-last-v1", "sim.echo-conversation-v1", "sim.fluent-wrong-v1", "sim.refuses-v1", "sim.canned-v1",
	}
	// Other personas may follow; these must be there.
	for _, id := range want {
		if !slices.Contains(ids, id) {
			t.Errorf("persona %s is missing from %v", id, ids)
		}
	}
	titan, _ := c.Persona("amazon.titan-text-express-v1")
	if titan.SystemPrompt || titan.ToolUse || titan.Vision || !titan.Streaming || titan.Lifecycle != LifecycleLegacy {
		t.Errorf("titan = %+v, want streaming only and LEGACY", titan)
	}
	profile, _ := c.Persona("sim.inference-profile-v1")
	if diff := cmp.Diff([]string{InferenceProfile}, profile.InferenceTypes); diff != "" {
		t.Errorf("inference-profile persona inference types (-want +got):\n%s", diff)
	}
	lite, _ := c.Persona("amazon.nova-lite-v1:0")
	if lite.LatencyFixed != 20*time.Millisecond || lite.LatencyJitter != 30*time.Millisecond || len(lite.Regions) != 6 {
		t.Errorf("nova lite = %+v", lite)
	}
}

func TestParseCatalogForms(t *testing.T) {
	list := "- id: a\n  regions: [us-east-1]\n  capabilities: [streaming]\n"
	wrapped := "personas:\n" + "  - id: a\n    regions: [us-east-1]\n    capabilities: [streaming]\n"
	for _, doc := range []string{list, wrapped} {
		c, err := ParseCatalog([]byte(doc))
		if err != nil {
			t.Fatalf("ParseCatalog(%q): %v", doc, err)
		}
		want := []Persona{{ID: "a", Name: "a", Provider: "Simulated", Regions: []string{"us-east-1"}, Streaming: true,
			Lifecycle: LifecycleActive, InferenceTypes: []string{InferenceOnDemand}}}
		if diff := cmp.Diff(want, c.Personas); diff != "" {
			t.Errorf("personas (-want +got):\n%s", diff)
		}
	}
}

func TestParseCatalogErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"empty", "", "lists no personas"},
		{"unknown top-level field", "personas: []\nmodels: []\n", `unknown field "models"`},
		{"unknown persona field", "- id: a\n  regions: [r]\n  colour: red\n", `personas[0] (a): unknown field "colour"`},
		{"unknown failure field", "- id: a\n  regions: [r]\n  failures: {explodes: true}\n", `personas[0] (a): unknown field "explodes"`},
		{"missing id", "- regions: [r]\n", "personas[0]: id: must not be empty"},
		{"duplicate id", "- id: a\n  regions: [r]\n- id: a\n  regions: [r]\n", "personas[1] (a): id: duplicate of personas[0]"},
		{"no regions", "- id: a\n", "personas[0] (a): regions:"},
		{"throttle rate above 1", "- id: a\n  regions: [r]\n  failures: {throttleRate: 1.5}\n", "personas[0] (a): failures.throttleRate: 1.5 is outside [0, 1]"},
		{"negative throttle rate", "- id: a\n  regions: [r]\n  failures: {throttleRate: -0.1}\n", "failures.throttleRate"},
		{"unknown refusal", "- id: a\n  regions: [r]\n  capabilities: [toolUse]\n  refuses: [vision]\n", `personas[0] (a): refuses[0]: unknown value "vision"`},
		{"refusal without tool use", "- id: a\n  regions: [r]\n  refuses: [toolChoice]\n", "personas[0] (a): refuses[0]: toolChoice needs the toolUse capability"},
		{"bad duration", "- id: a\n  regions: [r]\n  latency: {fixed: soon}\n", "personas[0] (a): latency.fixed:"},
		{"negative duration", "- id: a\n  regions: [r]\n  latency: {jitter: -5ms}\n", "personas[0] (a): latency.jitter: -5ms is negative"},
		{"unknown capability", "- id: a\n  regions: [r]\n  capabilities: [telepathy]\n", `personas[0] (a): capabilities[0]: unknown capability "telepathy"`},
		{"unknown lifecycle", "- id: a\n  regions: [r]\n  lifecycle: ZOMBIE\n", `lifecycle: unknown value "ZOMBIE"`},
		{"unknown inference type", "- id: a\n  regions: [r]\n  inferenceTypes: [FREE]\n", `inferenceTypes[0]: unknown value "FREE"`},
		{"profile persona on demand", "- id: a\n  regions: [r]\n  inferenceTypes: [ON_DEMAND]\n  failures: {needsInferenceProfile: true}\n", "must not include ON_DEMAND"},
		{"wrong type", "- id: a\n  regions: r\n", "personas[0] (a): cannot unmarshal"},
		{"not YAML", "personas: [\n", "parse YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCatalog error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadCatalogNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- id: a\n  regions: [r]\n  failures: {throttleRate: 2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.yaml")} {
		if _, err := LoadCatalog(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadCatalog(%s) error = %v, want it to name the file", path, err)
		}
	}
}

func FuzzParseCatalog(f *testing.F) {
	f.Add(string(defaultCatalogYAML))
	f.Add("- id: a\n  regions: [r]\n  latency: {fixed: 1s, jitter: 2ms}\n  failures: {throttleRate: 0.5}\n")
	f.Add("personas: [{id: x, regions: [y], capabilities: [vision]}]")
	f.Add("[]")
	f.Add("{")
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := ParseCatalog([]byte(doc))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range c.Personas {
			if p.ID == "" || seen[p.ID] || len(p.Regions) == 0 || p.LatencyFixed < 0 || p.LatencyJitter < 0 ||
				p.Failures.ThrottleRate < 0 || p.Failures.ThrottleRate > 1 {
				t.Fatalf("ParseCatalog accepted an invalid persona: %+v", p)
			}
			seen[p.ID] = true
		}
	})
}
