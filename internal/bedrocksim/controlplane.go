package bedrocksim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// foundationModel is both FoundationModelDetails and FoundationModelSummary: the
// control plane describes a model the same way in GetFoundationModel and ListFoundationModels.
type foundationModel struct {
	ModelArn                   string         `json:"modelArn"`
	ModelID                    string         `json:"modelId"`
	ModelName                  string         `json:"modelName"`
	ProviderName               string         `json:"providerName"`
	InputModalities            []string       `json:"inputModalities"`
	OutputModalities           []string       `json:"outputModalities"`
	ResponseStreamingSupported bool           `json:"responseStreamingSupported"`
	CustomizationsSupported    []string       `json:"customizationsSupported"`
	InferenceTypesSupported    []string       `json:"inferenceTypesSupported"`
	ModelLifecycle             modelLifecycle `json:"modelLifecycle"`
}

type modelLifecycle struct {
	Status string `json:"status"`
}

type availability struct {
	ModelID               string `json:"modelId"`
	AgreementAvailability struct {
		Status string `json:"status"`
	} `json:"agreementAvailability"`
	AuthorizationStatus     string `json:"authorizationStatus"`
	EntitlementAvailability string `json:"entitlementAvailability"`
	RegionAvailability      string `json:"regionAvailability"`
}

func describe(p Persona, region string) foundationModel {
	input := []string{"TEXT"}
	if p.Vision {
		input = append(input, "IMAGE")
	}
	return foundationModel{
		ModelArn:                   modelARN(region, p.ID),
		ModelID:                    p.ID,
		ModelName:                  p.Name,
		ProviderName:               p.Provider,
		InputModalities:            input,
		OutputModalities:           []string{"TEXT"},
		ResponseStreamingSupported: p.Streaming,
		CustomizationsSupported:    []string{},
		InferenceTypesSupported:    p.InferenceTypes,
		ModelLifecycle:             modelLifecycle{Status: p.Lifecycle},
	}
}

// serveGetFoundationModel describes a model; inference profiles are not foundation
// models, so an id that names one is not found.
func (s *Server) serveGetFoundationModel(w http.ResponseWriter, modelID string, viaProfile bool, region string) {
	p, ok := s.catalog.Persona(modelID)
	if !ok || viaProfile || !p.OfferedIn(region) {
		modelNotFoundError().write(w)
		return
	}
	writeJSON(w, map[string]foundationModel{"modelDetails": describe(p, region)})
}

// serveListFoundationModels lists the personas offered in the region, with the
// filters ListFoundationModels supports. No persona supports customization.
func (s *Server) serveListFoundationModels(w http.ResponseWriter, query url.Values, region string) {
	summaries := []foundationModel{}
	for _, p := range s.catalog.Personas {
		if !p.OfferedIn(region) || query.Get("byCustomizationType") != "" {
			continue
		}
		if provider := query.Get("byProvider"); provider != "" && !strings.EqualFold(provider, p.Provider) {
			continue
		}
		if inference := query.Get("byInferenceType"); inference != "" && !slices.Contains(p.InferenceTypes, inference) {
			continue
		}
		if modality := query.Get("byOutputModality"); modality != "" && modality != "TEXT" {
			continue
		}
		summaries = append(summaries, describe(p, region))
	}
	writeJSON(w, map[string][]foundationModel{"modelSummaries": summaries})
}

// serveAvailability answers GetFoundationModelAvailability: a model outside its
// regions is reported NOT_AVAILABLE rather than not found, like the real service.
func (s *Server) serveAvailability(w http.ResponseWriter, modelID string, viaProfile bool, region string) {
	p, ok := s.catalog.Persona(modelID)
	if !ok || viaProfile {
		modelNotFoundError().write(w)
		return
	}
	a := availability{
		ModelID:                 p.ID,
		AuthorizationStatus:     "AUTHORIZED",
		EntitlementAvailability: "AVAILABLE",
		RegionAvailability:      "AVAILABLE",
	}
	a.AgreementAvailability.Status = "AVAILABLE"
	if p.Failures.AccessDenied {
		a.AuthorizationStatus = "NOT_AUTHORIZED"
	}
	if p.Failures.AccessNotGranted {
		a.EntitlementAvailability = "NOT_AVAILABLE"
	}
	if !p.OfferedIn(region) {
		a.RegionAvailability = "NOT_AVAILABLE"
	}
	writeJSON(w, a)
}
