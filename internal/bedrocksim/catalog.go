package bedrocksim

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

//go:embed default_catalog.yaml
var defaultCatalogYAML []byte

// Capability names accepted in a persona's capabilities list.
const (
	CapabilityStreaming    = "streaming"
	CapabilitySystemPrompt = "systemPrompt"
	CapabilityToolUse      = "toolUse"
	CapabilityVision       = "vision"
)

// Parts of a capability a persona may refuse (Persona.Refuses), as some real models do: tool
// use without toolChoice any/tool (Llama, Mistral instruct), tool use in Converse only (Llama 4).
const (
	RefusesToolChoice       = "toolChoice"
	RefusesStreamingToolUse = "streamingToolUse"
)

// Inference types and lifecycle states as the control plane reports them.
const (
	InferenceOnDemand    = "ON_DEMAND"
	InferenceProvisioned = "PROVISIONED"
	InferenceProfile     = "INFERENCE_PROFILE"
	LifecycleActive      = "ACTIVE"
	LifecycleLegacy      = "LEGACY"
)

var (
	knownCapabilities   = []string{CapabilityStreaming, CapabilitySystemPrompt, CapabilityToolUse, CapabilityVision}
	knownRefusals       = []string{RefusesToolChoice, RefusesStreamingToolUse}
	knownInferenceTypes = []string{InferenceOnDemand, InferenceProvisioned, InferenceProfile}
	knownLifecycles     = []string{LifecycleActive, LifecycleLegacy}
	knownModalities     = []string{"TEXT", "IMAGE", "EMBEDDING", "SPEECH", "VIDEO"}
)

// Catalog is the validated set of personas a Server answers for, and the inference profiles
// declared over them (InferenceProfiles adds the system-defined ones every persona has).
type Catalog struct {
	Personas []Persona
	Profiles []Profile
}

// Persona is one simulated model: what the control plane says about it and how it misbehaves.
type Persona struct {
	ID           string
	Name         string
	Provider     string
	Regions      []string
	Streaming    bool
	SystemPrompt bool
	ToolUse      bool
	Vision       bool
	// Refuses lists parts of its capabilities the persona refuses: RefusesToolChoice,
	// RefusesStreamingToolUse.
	Refuses []string
	// OutputModalities are what the control plane says the model produces; nil means TEXT.
	OutputModalities []string
	Lifecycle        string
	InferenceTypes   []string
	LatencyFixed     time.Duration
	LatencyJitter    time.Duration
	Failures         FailureModes
}

// FailureModes are the ways a persona departs from a well-behaved model.
type FailureModes struct {
	ThrottleRate          float64 `json:"throttleRate,omitempty"`
	AccessDenied          bool    `json:"accessDenied,omitempty"`
	AccessNotGranted      bool    `json:"accessNotGranted,omitempty"`
	NeedsInferenceProfile bool    `json:"needsInferenceProfile,omitempty"`
	NeverAnswers          bool    `json:"neverAnswers,omitempty"`
	EmptyAnswers          bool    `json:"emptyAnswers,omitempty"`
	IgnoresSystemPrompt   bool    `json:"ignoresSystemPrompt,omitempty"`
	IgnoresMaxTokens      bool    `json:"ignoresMaxTokens,omitempty"`
	MalformedToolInput    bool    `json:"malformedToolInput,omitempty"`
	// StreamInterrupted breaks a ConverseStream after its first delta with a
	// modelStreamErrorException, to exercise mid-stream error handling.
	StreamInterrupted bool `json:"streamInterrupted,omitempty"`
	// The useless models: each answers every request in one fixed way (see answer).
	EchoesLastMessage  bool   `json:"echoesLastMessage,omitempty"`
	EchoesConversation bool   `json:"echoesConversation,omitempty"`
	AnswersWrongly     bool   `json:"answersWrongly,omitempty"`
	RefusesEverything  bool   `json:"refusesEverything,omitempty"`
	CannedAnswer       string `json:"cannedAnswer,omitempty"`
}

// personaSpec is a persona as written in the catalog file; durations stay strings
// until validation so that a bad one can be reported with its field name.
type personaSpec struct {
	ID           string   `json:"id"`
	Name         string   `json:"name,omitempty"`
	Provider     string   `json:"provider,omitempty"`
	Regions      []string `json:"regions,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	Refuses      []string `json:"refuses,omitempty"`
	// OutputModalities are TEXT (the default), IMAGE, EMBEDDING, SPEECH or VIDEO; only
	// ListFoundationModels and GetFoundationModel report them.
	OutputModalities []string     `json:"outputModalities,omitempty"`
	Lifecycle        string       `json:"lifecycle,omitempty"`
	InferenceTypes   []string     `json:"inferenceTypes,omitempty"`
	Latency          latencySpec  `json:"latency,omitempty"`
	Failures         FailureModes `json:"failures,omitempty"`
}

type latencySpec struct {
	Fixed  string `json:"fixed,omitempty"`
	Jitter string `json:"jitter,omitempty"`
}

// DefaultCatalog returns the embedded catalog: real model ids that behave well and
// one sim.* persona per failure mode. Each call returns a fresh copy to modify freely.
func DefaultCatalog() *Catalog {
	c, err := ParseCatalog(defaultCatalogYAML)
	if err != nil {
		panic(fmt.Sprintf("embedded default catalog: %v", err))
	}
	return c
}

// LoadCatalog reads and validates a catalog file; errors name the file.
func LoadCatalog(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	c, err := ParseCatalog(data)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// ParseCatalog parses YAML (or JSON) strictly: either a list of personas or an
// object {personas: [...], inferenceProfiles: [...]}. Unknown fields and invalid values are errors naming
// the persona and the field.
func ParseCatalog(data []byte) (*Catalog, error) {
	doc, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	rawPersonas, rawProfiles, err := splitCatalog(doc)
	if err != nil {
		return nil, err
	}
	if len(rawPersonas) == 0 {
		return nil, errors.New("personas: the catalog lists no personas")
	}
	c := &Catalog{Personas: make([]Persona, 0, len(rawPersonas))}
	seen := make(map[string]int, len(rawPersonas))
	for i, raw := range rawPersonas {
		var spec personaSpec
		if err := decodeStrict(raw, &spec); err != nil {
			return nil, fmt.Errorf("%s: %w", personaLabel(i, idOf(raw)), err)
		}
		p, err := spec.persona()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", personaLabel(i, spec.ID), err)
		}
		if first, dup := seen[p.ID]; dup {
			return nil, fmt.Errorf("%s: id: duplicate of personas[%d]", personaLabel(i, p.ID), first)
		}
		seen[p.ID] = i
		c.Personas = append(c.Personas, p)
	}
	for i, raw := range rawProfiles {
		label := fmt.Sprintf("inferenceProfiles[%d]", i)
		var spec profileSpec
		if err := decodeStrict(raw, &spec); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		p, err := spec.profile(c)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", label, spec.ID, err)
		}
		if slices.ContainsFunc(c.Profiles, func(d Profile) bool { return d.ID == p.ID }) {
			return nil, fmt.Errorf("%s (%s): id: declared twice", label, p.ID)
		}
		c.Profiles = append(c.Profiles, p)
	}
	return c, nil
}

// Persona returns the persona with the given model id.
func (c *Catalog) Persona(id string) (Persona, bool) {
	for _, p := range c.Personas {
		if p.ID == id {
			return p, true
		}
	}
	return Persona{}, false
}

// OfferedIn reports whether the persona is available in region.
func (p Persona) OfferedIn(region string) bool {
	return slices.Contains(p.Regions, region)
}

// Outputs are the modalities the persona produces.
func (p Persona) Outputs() []string {
	if len(p.OutputModalities) == 0 {
		return []string{"TEXT"}
	}
	return p.OutputModalities
}

// OnDemand reports whether the persona can be invoked by its plain model id.
func (p Persona) OnDemand() bool {
	return slices.Contains(p.InferenceTypes, InferenceOnDemand)
}

// splitCatalog returns the raw personas and inference profiles of a catalog document.
func splitCatalog(doc []byte) (personas, profiles []json.RawMessage, err error) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil, nil
	}
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &personas); err != nil {
			return nil, nil, fmt.Errorf("personas: %w", err)
		}
		return personas, nil, nil
	}
	var wrapper struct {
		Personas          []json.RawMessage `json:"personas"`
		InferenceProfiles []json.RawMessage `json:"inferenceProfiles"`
	}
	if err := decodeStrict(trimmed, &wrapper); err != nil {
		return nil, nil, fmt.Errorf("catalog: %w", err)
	}
	return wrapper.Personas, wrapper.InferenceProfiles, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// idOf digs the id out of a persona that failed strict decoding, so the error can name it.
func idOf(raw json.RawMessage) string {
	var loose struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &loose)
	return loose.ID
}

func personaLabel(index int, id string) string {
	if id == "" {
		return fmt.Sprintf("personas[%d]", index)
	}
	return fmt.Sprintf("personas[%d] (%s)", index, id)
}

func (s personaSpec) persona() (Persona, error) {
	if strings.TrimSpace(s.ID) == "" {
		return Persona{}, errors.New("id: must not be empty")
	}
	if len(s.Regions) == 0 {
		return Persona{}, errors.New("regions: must list at least one region")
	}
	for i, r := range s.Regions {
		if strings.TrimSpace(r) == "" {
			return Persona{}, fmt.Errorf("regions[%d]: must not be empty", i)
		}
	}
	p := Persona{
		ID:             s.ID,
		Name:           cmp.Or(s.Name, s.ID),
		Provider:       cmp.Or(s.Provider, "Simulated"),
		Regions:        s.Regions,
		Lifecycle:      cmp.Or(s.Lifecycle, LifecycleActive),
		InferenceTypes: s.InferenceTypes,
		Failures:       s.Failures,
	}
	for i, c := range s.Capabilities {
		switch c {
		case CapabilityStreaming:
			p.Streaming = true
		case CapabilitySystemPrompt:
			p.SystemPrompt = true
		case CapabilityToolUse:
			p.ToolUse = true
		case CapabilityVision:
			p.Vision = true
		default:
			return Persona{}, fmt.Errorf("capabilities[%d]: unknown capability %q (want one of %s)", i, c, strings.Join(knownCapabilities, ", "))
		}
	}
	for i, r := range s.Refuses {
		if !slices.Contains(knownRefusals, r) {
			return Persona{}, fmt.Errorf("refuses[%d]: unknown value %q (want one of %s)", i, r, strings.Join(knownRefusals, ", "))
		}
		if !p.ToolUse {
			return Persona{}, fmt.Errorf("refuses[%d]: %s needs the toolUse capability", i, r)
		}
	}
	p.Refuses = s.Refuses
	for i, m := range s.OutputModalities {
		if !slices.Contains(knownModalities, m) {
			return Persona{}, fmt.Errorf("outputModalities[%d]: unknown value %q (want one of %s)", i, m, strings.Join(knownModalities, ", "))
		}
	}
	p.OutputModalities = s.OutputModalities
	if !slices.Contains(knownLifecycles, p.Lifecycle) {
		return Persona{}, fmt.Errorf("lifecycle: unknown value %q (want one of %s)", p.Lifecycle, strings.Join(knownLifecycles, ", "))
	}
	if len(p.InferenceTypes) == 0 {
		p.InferenceTypes = []string{InferenceOnDemand}
		if p.Failures.NeedsInferenceProfile {
			p.InferenceTypes = []string{InferenceProfile}
		}
	}
	for i, t := range p.InferenceTypes {
		if !slices.Contains(knownInferenceTypes, t) {
			return Persona{}, fmt.Errorf("inferenceTypes[%d]: unknown value %q (want one of %s)", i, t, strings.Join(knownInferenceTypes, ", "))
		}
	}
	if p.Failures.NeedsInferenceProfile && p.OnDemand() {
		return Persona{}, errors.New("inferenceTypes: must not include ON_DEMAND when failures.needsInferenceProfile is set")
	}
	var err error
	if p.LatencyFixed, err = parseDuration("latency.fixed", s.Latency.Fixed); err != nil {
		return Persona{}, err
	}
	if p.LatencyJitter, err = parseDuration("latency.jitter", s.Latency.Jitter); err != nil {
		return Persona{}, err
	}
	if r := p.Failures.ThrottleRate; !(r >= 0 && r <= 1) {
		return Persona{}, fmt.Errorf("failures.throttleRate: %v is outside [0, 1]", r)
	}
	return p, nil
}

func parseDuration(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: %s is negative", field, s)
	}
	return d, nil
}
