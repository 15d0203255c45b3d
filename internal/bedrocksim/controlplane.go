package bedrocksim

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
		OutputModalities:           p.Outputs(),
		ResponseStreamingSupported: p.Streaming,
		CustomizationsSupported:    []string{},
		InferenceTypesSupported:    p.InferenceTypes,
		ModelLifecycle:             modelLifecycle{Status: p.Lifecycle},
	}
}

// serveGetFoundationModel describes a model; inference profiles are not foundation
// models, so an id that names one is not found.
func (s *Server) serveGetFoundationModel(w http.ResponseWriter, modelID string, viaProfile bool, region string) {
	p, ok := s.catalog.Load().Persona(modelID)
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
	for _, p := range s.catalog.Load().Personas {
		if !p.OfferedIn(region) || query.Get("byCustomizationType") != "" {
			continue
		}
		if provider := query.Get("byProvider"); provider != "" && !strings.EqualFold(provider, p.Provider) {
			continue
		}
		if inference := query.Get("byInferenceType"); inference != "" && !slices.Contains(p.InferenceTypes, inference) {
			continue
		}
		if modality := query.Get("byOutputModality"); modality != "" && !slices.Contains(p.Outputs(), modality) {
			continue
		}
		summaries = append(summaries, describe(p, region))
	}
	writeJSON(w, map[string][]foundationModel{"modelSummaries": summaries})
}

// serveAvailability answers GetFoundationModelAvailability: a model outside its
// regions is reported NOT_AVAILABLE rather than not found, like the real service.
func (s *Server) serveAvailability(w http.ResponseWriter, modelID string, viaProfile bool, region string) {
	p, ok := s.catalog.Load().Persona(modelID)
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

// inferenceProfile is both GetInferenceProfile's answer and ListInferenceProfiles' summary.
type inferenceProfile struct {
	InferenceProfileName string              `json:"inferenceProfileName"`
	Description          string              `json:"description,omitempty"`
	CreatedAt            string              `json:"createdAt"`
	UpdatedAt            string              `json:"updatedAt"`
	InferenceProfileArn  string              `json:"inferenceProfileArn"`
	Models               []inferenceModelArn `json:"models"`
	InferenceProfileID   string              `json:"inferenceProfileId"`
	Status               string              `json:"status"`
	Type                 string              `json:"type"`
}

type inferenceModelArn struct {
	ModelArn string `json:"modelArn"`
}

// profileTimestamp is when every simulated profile was created, in the API's date-time format.
const profileTimestamp = "2024-08-27T00:00:00Z"

func describeProfile(p Profile, region string) inferenceProfile {
	out := inferenceProfile{
		InferenceProfileName: p.Name,
		Description:          "Routes requests to " + p.ModelID,
		CreatedAt:            profileTimestamp,
		UpdatedAt:            profileTimestamp,
		InferenceProfileArn:  p.ARN(region),
		InferenceProfileID:   p.ID,
		Status:               "ACTIVE",
		Type:                 p.Type,
	}
	// A system-defined profile lists its model in every region it routes to.
	for _, r := range p.Regions {
		out.Models = append(out.Models, inferenceModelArn{ModelArn: modelARN(r, p.ModelID)})
	}
	return out
}

// serveGetInferenceProfile describes a profile that exists in the caller's region; a profile
// of another geography or region does not exist there.
func (s *Server) serveGetInferenceProfile(w http.ResponseWriter, idOrARN, region string) {
	p, ok, callable := s.profileCall(idOrARN, region)
	if !ok || !callable {
		profileNotFoundError(idOrARN).write(w)
		return
	}
	writeJSON(w, describeProfile(p, region))
}

// defaultProfilePage is ListInferenceProfiles' page size when maxResults is not given.
const defaultProfilePage = 1000

// serveListInferenceProfiles lists the profiles callable in the region, of one type
// (SYSTEM_DEFINED unless the type query parameter says otherwise), a page at a time.
func (s *Server) serveListInferenceProfiles(w http.ResponseWriter, query url.Values, region string) {
	kind := cmp.Or(query.Get("type"), ProfileSystemDefined)
	if kind != ProfileSystemDefined && kind != ProfileApplication {
		validationError("1 validation error detected: Value '%s' at 'typeEquals' failed to satisfy constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]", kind).write(w)
		return
	}
	pageSize := defaultProfilePage
	if v := query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > defaultProfilePage {
			validationError("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000", v).write(w)
			return
		}
		pageSize = n
	}
	var matching []inferenceProfile
	for _, p := range s.catalog.Load().profiles {
		if p.Type == kind && p.CallableFrom(region) {
			matching = append(matching, describeProfile(p, region))
		}
	}
	start := 0
	if token := query.Get("nextToken"); token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(matching) {
			validationError("Invalid pagination token.").write(w)
			return
		}
		start = n
	}
	end := min(start+pageSize, len(matching))
	page := struct {
		Summaries []inferenceProfile `json:"inferenceProfileSummaries"`
		NextToken string             `json:"nextToken,omitempty"`
	}{Summaries: matching[start:end]}
	if page.Summaries == nil {
		page.Summaries = []inferenceProfile{}
	}
	if end < len(matching) {
		page.NextToken = strconv.Itoa(end)
	}
	writeJSON(w, page)
}
