package bedrocksim

import (
	"fmt"
	"slices"
	"strings"
)

// Inference profile types as the control plane reports them.
const (
	ProfileSystemDefined = "SYSTEM_DEFINED"
	ProfileApplication   = "APPLICATION"
)

// Profile is an inference profile; it routes calls to a persona. A system-defined (cross-region) profile has a
// geographic id ("us.amazon.nova-lite-v1:0") and may be called from its source regions only;
// an application profile exists in one region and is called by its ARN.
type Profile struct {
	ID      string
	Name    string
	Type    string
	ModelID string
	// Regions are where the profile routes calls to, and, but for a global. profile, the
	// regions that may call it: a geographic profile's source regions are its destinations,
	// an application profile lives in its one region.
	Regions []string
}

// CallableFrom reports whether a call signed for region may use the profile: global. profiles
// from any commercial region, the others from their own regions.
func (p Profile) CallableFrom(region string) bool {
	if g, _, ok := geographyOf(p.ID); ok && g.prefix == "global" && p.Type == ProfileSystemDefined {
		return g.contains(region)
	}
	return slices.Contains(p.Regions, region)
}

// geography is the set of regions a geographic profile prefix covers.
type geography struct {
	prefix   string
	contains func(region string) bool
}

// geographies are Bedrock's cross-region inference geographies, by id prefix. "global" covers
// every commercial region; GovCloud has its own.
var geographies = []geography{
	{"us", func(r string) bool { return strings.HasPrefix(r, "us-") && !strings.HasPrefix(r, "us-gov-") }},
	{"us-gov", func(r string) bool { return strings.HasPrefix(r, "us-gov-") }},
	{"eu", func(r string) bool { return strings.HasPrefix(r, "eu-") }},
	{"apac", func(r string) bool { return strings.HasPrefix(r, "ap-") }},
	{"jp", func(r string) bool { return slices.Contains([]string{"ap-northeast-1", "ap-northeast-3"}, r) }},
	{"au", func(r string) bool { return slices.Contains([]string{"ap-southeast-2", "ap-southeast-4"}, r) }},
	{"ca", func(r string) bool { return strings.HasPrefix(r, "ca-") }},
	{"global", func(r string) bool { return !strings.HasPrefix(r, "us-gov-") && !strings.HasPrefix(r, "cn-") }},
}

// geographyOf returns the geography of a system-defined profile id and the model id after it.
func geographyOf(profileID string) (geography, string, bool) {
	prefix, modelID, ok := strings.Cut(profileID, ".")
	if !ok {
		return geography{}, "", false
	}
	for _, g := range geographies {
		if g.prefix == prefix {
			return g, modelID, true
		}
	}
	return geography{}, "", false
}

// InferenceProfiles returns the declared profiles, then a system-defined profile for every
// persona and geography it is offered in that no declared profile replaces.
func (c *Catalog) InferenceProfiles() []Profile {
	profiles := slices.Clone(c.Profiles)
	for _, p := range c.Personas {
		for _, g := range geographies {
			id := g.prefix + "." + p.ID
			regions := slices.DeleteFunc(slices.Clone(p.Regions), func(r string) bool { return !g.contains(r) })
			declared := slices.ContainsFunc(c.Profiles, func(d Profile) bool { return d.ID == id })
			if len(regions) == 0 || declared {
				continue
			}
			profiles = append(profiles, Profile{
				ID: id, Name: strings.ToUpper(g.prefix) + " " + p.Name, Type: ProfileSystemDefined,
				ModelID: p.ID, Regions: regions,
			})
		}
	}
	return profiles
}

// profileCall resolves an inference profile named by id or ARN as a call signed for region
// sees it. ok is false when no such profile exists; callable is false when it exists but not
// for this region (another geography, an application profile of another region, or an ARN
// naming another region), which Bedrock answers as if it did not exist.
func (s *Server) profileCall(idOrARN, region string) (profile Profile, ok, callable bool) {
	id, arnRegion, isARN := parseProfileARN(idOrARN)
	for _, p := range s.catalog.Load().profiles {
		// An application profile is known by its ARN only; a system-defined one by either.
		if p.ID != id || (p.Type == ProfileApplication && !isARN) {
			continue
		}
		callable = p.CallableFrom(region) && (!isARN || arnRegion == region)
		return p, true, callable
	}
	return Profile{}, false, false
}

// parseProfileARN returns the profile id in an inference profile ARN and the ARN's region; an
// id that is no ARN is returned as it is.
func parseProfileARN(s string) (id, region string, isARN bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "bedrock" {
		return s, "", false
	}
	for _, kind := range []string{"inference-profile/", "application-inference-profile/"} {
		if id, ok := strings.CutPrefix(parts[5], kind); ok {
			return id, parts[3], true
		}
	}
	return s, "", false
}

// ARN is the profile's ARN as seen from region.
func (p Profile) ARN(region string) string {
	kind := "inference-profile"
	if p.Type == ProfileApplication {
		kind, region = "application-inference-profile", p.Regions[0]
	}
	return fmt.Sprintf("arn:aws:bedrock:%s:%s:%s/%s", region, simAccountID, kind, p.ID)
}

// profileSpec is an inference profile as written in the catalog file.
type profileSpec struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Model   string   `json:"model"`
	Regions []string `json:"regions,omitempty"`
}

// profile validates a declared profile against the personas: a geographic id is a
// system-defined profile over its model's regions in that geography (or the regions given,
// which must be among them); any other id is an application profile in exactly one region.
func (s profileSpec) profile(c *Catalog) (Profile, error) {
	if strings.TrimSpace(s.ID) == "" || strings.ContainsAny(s.ID, "/ ") {
		return Profile{}, fmt.Errorf("id: %q is not a profile id", s.ID)
	}
	persona, ok := c.Persona(s.Model)
	if !ok {
		return Profile{}, fmt.Errorf("model: no persona has the id %q", s.Model)
	}
	p := Profile{ID: s.ID, Name: s.Name, ModelID: s.Model, Regions: s.Regions}
	if g, modelID, geographic := geographyOf(s.ID); geographic {
		if modelID != s.Model {
			return Profile{}, fmt.Errorf("model: a %s. profile id names its model (%s), not %s", g.prefix, modelID, s.Model)
		}
		p.Type = ProfileSystemDefined
		if len(p.Regions) == 0 {
			p.Regions = slices.DeleteFunc(slices.Clone(persona.Regions), func(r string) bool { return !g.contains(r) })
		}
		for i, r := range p.Regions {
			if !g.contains(r) || !persona.OfferedIn(r) {
				return Profile{}, fmt.Errorf("regions[%d]: %s is not a region of geography %s where %s is offered", i, r, g.prefix, s.Model)
			}
		}
		if len(p.Regions) == 0 {
			return Profile{}, fmt.Errorf("regions: %s is offered in no region of geography %s", s.Model, g.prefix)
		}
	} else {
		p.Type = ProfileApplication
		if len(p.Regions) != 1 || !persona.OfferedIn(p.Regions[0]) {
			return Profile{}, fmt.Errorf("regions: an application profile lives in exactly one region where %s is offered", s.Model)
		}
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	return p, nil
}
