package controllers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
)

// Labels a set puts on the certifications it owns.
const (
	LabelSet      = "modelcert.io/set"
	LabelModel    = "modelcert.io/model"
	LabelProvider = "modelcert.io/provider"
	LabelRegion   = "modelcert.io/region"
)

// selectModels returns the ids, sorted, of the listed models the selector picks: every set
// field must match, and modelIds are picked whatever the others say.
func selectModels(sel certv1.ModelSelector, models []bedrock.FoundationModel) []string {
	var ids []string
	for _, m := range models {
		if slices.Contains(sel.ModelIDs, m.ID) || selects(sel, m) {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func selects(sel certv1.ModelSelector, m bedrock.FoundationModel) bool {
	lifecycle := sel.Lifecycle
	if len(lifecycle) == 0 {
		lifecycle = []string{"ACTIVE"}
	}
	switch {
	case len(sel.Providers) > 0 && !slices.ContainsFunc(sel.Providers, func(p string) bool { return strings.EqualFold(p, m.Provider) }):
		return false
	case len(sel.Include) > 0 && !matchesAny(sel.Include, m.ID):
		return false
	case matchesAny(sel.Exclude, m.ID):
		return false
	case !overlaps(sel.OutputModalities, m.OutputModalities), !overlaps(sel.InputModalities, m.InputModalities),
		!overlaps(sel.InferenceTypes, m.InferenceTypes):
		return false
	}
	return slices.Contains(lifecycle, m.Lifecycle)
}

// matchesAny reports whether id matches one of the globs (* any characters, ? one). A glob
// that does not parse matches nothing.
func matchesAny(globs []string, id string) bool {
	return slices.ContainsFunc(globs, func(g string) bool {
		ok, err := path.Match(g, id)
		return err == nil && ok
	})
}

// overlaps reports whether want is empty or shares a value with have.
func overlaps(want, have []string) bool {
	return len(want) == 0 || slices.ContainsFunc(want, func(w string) bool { return slices.Contains(have, w) })
}

// maxChildName keeps a child's name short enough to read, and to be a label value too.
const maxChildName = 63

var notDNS = regexp.MustCompile(`[^a-z0-9]+`)

// dnsLabel is s lowercased with every run of other characters turned into one dash.
func dnsLabel(s string) string {
	return strings.Trim(notDNS.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// childName is the readable name of the certification of a model in a region, for example
// amazon-nova-lite-v1-0-us-east-1; a name too long gets a short hash of the exact model and
// region instead of its tail.
func childName(modelID, region string) string {
	name := dnsLabel(modelID) + "-" + region
	if len(name) <= maxChildName {
		return name
	}
	return strings.TrimRight(name[:maxChildName-9], "-") + "-" + shortHash(modelID, region)
}

// hashedChildName is the name of a child whose readable name another model shares
// (amazon.x-v1:0 and amazon.x-v1.0 both read amazon-x-v1-0).
func hashedChildName(modelID, region string) string {
	name := dnsLabel(modelID) + "-" + region
	return strings.TrimRight(name[:min(len(name), maxChildName-9)], "-") + "-" + shortHash(modelID, region)
}

func shortHash(modelID, region string) string {
	sum := sha256.Sum256([]byte(modelID + "\x00" + region))
	return hex.EncodeToString(sum[:4])
}

// labelValue is s as a label value: DNS-safe and at most 63 characters.
func labelValue(s string) string {
	v := dnsLabel(s)
	if len(v) > 63 {
		v = strings.TrimRight(v[:63], "-")
	}
	return v
}

// wantedChild is a certification the set should own.
type wantedChild struct {
	name, modelID, region, provider string
}

// wantedChildren names the certifications of the selected models, per region: readable names,
// with a hash for those whose readable names collide.
func wantedChildren(selected map[string][]bedrock.FoundationModel) []wantedChild {
	var out []wantedChild
	uses := map[string]int{}
	for region, models := range selected {
		for _, m := range models {
			c := wantedChild{name: childName(m.ID, region), modelID: m.ID, region: region, provider: m.Provider}
			uses[c.name]++
			out = append(out, c)
		}
	}
	for i, c := range out {
		if uses[c.name] > 1 {
			out[i].name = hashedChildName(c.modelID, c.region)
		}
	}
	slices.SortFunc(out, func(a, b wantedChild) int { return cmp.Compare(a.name, b.name) })
	return out
}

// childLabels are the labels of a set's certification.
func childLabels(set string, c wantedChild) map[string]string {
	return map[string]string{LabelSet: set, LabelModel: labelValue(c.modelID),
		LabelProvider: labelValue(c.provider), LabelRegion: c.region}
}

// phaseRank orders children in status.notCertified: the worst first.
var phaseRank = map[certv1.Phase]int{certv1.PhaseFailed: 0, certv1.PhaseQualityWarning: 1, certv1.PhaseProcessing: 2, certv1.PhasePending: 3, "": 3}

// aggregate counts the children of a set into its status: phases, badges, regions, the tokens
// of their last runs and the children not certified (the worst first, at most
// MaxUncertifiedListed).
func aggregate(status *certv1.ModelCertificationSetStatus, regions []string, children []certv1.ModelCertification) {
	status.Models = int32(len(children))
	status.RegionCount = int32(len(regions))
	status.Phases = certv1.PhaseCount{}
	status.Badges, status.Regions, status.NotCertified, status.Usage = nil, nil, nil, nil
	var usage certv1.SetUsage
	badges := map[string]int32{}
	perRegion := map[string]*certv1.RegionCount{}
	for _, r := range regions {
		perRegion[r] = &certv1.RegionCount{Region: r}
	}
	var uncertified []certv1.UncertifiedChild
	for i := range children {
		c := &children[i]
		countPhase(&status.Phases, c.Status.Phase)
		rc, ok := perRegion[c.Spec.Region]
		if !ok {
			rc = &certv1.RegionCount{Region: c.Spec.Region}
			perRegion[c.Spec.Region] = rc
		}
		rc.Models++
		countPhase(&rc.Phases, c.Status.Phase)
		if c.Status.Badge != "" {
			badges[c.Status.Badge]++
		}
		if u := c.Status.Usage; u != nil {
			usage.InputTokens += u.InputTokens
			usage.OutputTokens += u.OutputTokens
		}
		if c.Status.Phase != certv1.PhaseCertified {
			uncertified = append(uncertified, certv1.UncertifiedChild{Name: c.Name, ModelID: c.Spec.ModelID,
				Region: c.Spec.Region, Phase: c.Status.Phase, Category: c.Status.ErrorCategory})
		}
	}
	for _, b := range slices.Sorted(maps.Keys(badges)) {
		status.Badges = append(status.Badges, certv1.BadgeCount{Badge: b, Count: badges[b]})
	}
	for _, r := range slices.Sorted(maps.Keys(perRegion)) {
		status.Regions = append(status.Regions, *perRegion[r])
	}
	slices.SortFunc(uncertified, func(a, b certv1.UncertifiedChild) int {
		return cmp.Or(cmp.Compare(phaseRank[a.Phase], phaseRank[b.Phase]), cmp.Compare(a.Name, b.Name))
	})
	if usage != (certv1.SetUsage{}) {
		status.Usage = &usage
	}
	status.NotCertified = uncertified[:min(len(uncertified), certv1.MaxUncertifiedListed)]
	if len(status.NotCertified) == 0 {
		status.NotCertified = nil
	}
}

func countPhase(c *certv1.PhaseCount, p certv1.Phase) {
	switch p {
	case certv1.PhaseCertified:
		c.Certified++
	case certv1.PhaseQualityWarning:
		c.QualityWarning++
	case certv1.PhaseFailed:
		c.Failed++
	case certv1.PhaseProcessing:
		c.Processing++
	default:
		c.Pending++
	}
}

// Reasons of a set's conditions; DiscoveryFailed is also the reason of the Event of a region
// whose catalog could not be listed.
const (
	ReasonAllCertified         = "AllCertified"
	ReasonChildrenPending      = "ChildrenPending"
	ReasonNotAllCertified      = "NotAllCertified"
	ReasonNoModels             = "NoModelsSelected"
	ReasonDiscoveryFailed      = "DiscoveryFailed"
	ReasonDiscovered           = "Discovered"
	ReasonChildrenConflict     = "NameConflict"
	ReasonNotYetDiscovered     = "NotYetDiscovered"
	ReasonChildrenNotCertified = "ChildrenNotCertified"
	ReasonChildrenReconciling  = "ChildrenReconciling"
)

// settled reports whether a child has reached a verdict for its current spec: observed, and
// neither pending nor running.
func settled(c *certv1.ModelCertification) bool {
	return c.Status.ObservedGeneration == c.Generation &&
		c.Status.Phase != "" && c.Status.Phase != certv1.PhasePending && c.Status.Phase != certv1.PhaseProcessing
}

// setStatusConditions are the set's Ready, Discovered, Reconciling and Stalled, from its status and
// children (conflicts: names of wanted children held by another owner).
//
//   - Discovered is True when the last discovery listed every region; False names the regions
//     that failed. Unknown before the first discovery.
//   - Ready is True when Discovered is True, the set owns at least one child, and every child
//     has observed its current spec and has Ready True. A child's re-certification keeps it
//     (the child's Ready stays True through it), as a certification's own Ready does.
//     Otherwise False, saying why.
//   - Reconciling is True while some child has not settled (pending, running, or its spec not
//     yet observed), or before the first discovery.
//   - Stalled is True when nothing will change by waiting: no child is reconciling, and
//     discovery failed, a wanted name is taken, or some child is not certified.
//
// Reconciling and Stalled, kstatus's pair, are returned False when they do not hold; the
// status carries them only while True (setConditionsOf), as a certification's does.
func setStatusConditions(status *certv1.ModelCertificationSetStatus, children []certv1.ModelCertification, conflicts []string, suspended bool) []metav1.Condition {
	discovered := metav1.Condition{Type: certv1.ConditionDiscovered, Status: metav1.ConditionUnknown, Reason: ReasonNotYetDiscovered,
		Message: "The catalogs have not been listed yet"}
	switch {
	case len(status.DiscoveryFailures) > 0:
		var parts []string
		for _, f := range status.DiscoveryFailures {
			parts = append(parts, f.Region+": "+cmp.Or(f.Category+" ", "")+f.Message)
		}
		discovered.Status, discovered.Reason = metav1.ConditionFalse, ReasonDiscoveryFailed
		discovered.Message = shorten("Listing the catalog failed in "+strings.Join(parts, "; ")+"; the certifications of these regions are kept as they were", 1024)
	case status.LastDiscoveredAt != nil:
		discovered.Status, discovered.Reason = metav1.ConditionTrue, ReasonDiscovered
		discovered.Message = "Every region's catalog was listed"
	}
	if suspended {
		discovered.Message += " (discovery is suspended)"
	}

	var unsettled, unobserved, notReady, negative int
	for i := range children {
		c := &children[i]
		if !settled(c) {
			unsettled++
		}
		if c.Status.ObservedGeneration != c.Generation {
			unobserved++
		}
		if !meta.IsStatusConditionTrue(c.Status.Conditions, certv1.ConditionReady) {
			notReady++
			if settled(c) {
				negative++
			}
		}
	}

	ready := metav1.Condition{Type: certv1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case discovered.Status != metav1.ConditionTrue:
		ready.Reason, ready.Message = discovered.Reason, discovered.Message
	case len(conflicts) > 0:
		ready.Reason, ready.Message = ReasonChildrenConflict, conflictMessage(conflicts)
	case len(children) == 0:
		ready.Reason, ready.Message = ReasonNoModels, "The selector picks no model in any region"
	case unobserved == 0 && notReady == 0:
		ready.Status, ready.Reason = metav1.ConditionTrue, ReasonAllCertified
		ready.Message = countMessage(len(children), "certification is", "certifications are") + " ready"
		if unsettled > 0 {
			ready.Message += "; " + countMessage(unsettled, "is", "are") + " being re-certified"
		}
	case unsettled > 0:
		ready.Reason, ready.Message = ReasonChildrenPending, countMessage(unsettled, "certification has", "certifications have")+" no verdict yet"
	default:
		ready.Reason, ready.Message = ReasonNotAllCertified, countMessage(notReady, "certification is", "certifications are")+" not ready"
	}

	reconciling := metav1.Condition{Type: certv1.ConditionReconciling, Status: metav1.ConditionFalse}
	switch {
	case status.LastDiscoveredAt == nil && !suspended:
		reconciling.Status, reconciling.Reason, reconciling.Message = metav1.ConditionTrue, ReasonNotYetDiscovered, discovered.Message
	case unsettled > 0:
		reconciling.Status, reconciling.Reason = metav1.ConditionTrue, ReasonChildrenReconciling
		reconciling.Message = countMessage(unsettled, "certification has", "certifications have") + " no verdict yet"
	}

	stalled := metav1.Condition{Type: certv1.ConditionStalled, Status: metav1.ConditionFalse}
	switch {
	case reconciling.Status == metav1.ConditionTrue:
		// kstatus's pair is never both true: something is still happening.
	case discovered.Status == metav1.ConditionFalse:
		stalled.Status, stalled.Reason, stalled.Message = metav1.ConditionTrue, discovered.Reason, discovered.Message
	case len(conflicts) > 0:
		stalled.Status, stalled.Reason, stalled.Message = metav1.ConditionTrue, ReasonChildrenConflict, conflictMessage(conflicts)
	case unsettled == 0 && negative > 0:
		stalled.Status, stalled.Reason = metav1.ConditionTrue, ReasonChildrenNotCertified
		stalled.Message = countMessage(negative, "certification has", "certifications have") + " a verdict that is not certified"
	}
	return []metav1.Condition{ready, discovered, reconciling, stalled}
}

func conflictMessage(names []string) string {
	return shorten("Another owner holds the certifications named "+strings.Join(names, ", ")+"; they are left alone", 1024)
}

func countMessage(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// setConditionsOf writes the set's conditions into its status, stamped with the generation they
// describe: Reconciling and Stalled only while True, removed otherwise.
func setConditionsOf(status *certv1.ModelCertificationSetStatus, conditions []metav1.Condition, generation int64) {
	for _, c := range conditions {
		abnormal := c.Type == certv1.ConditionReconciling || c.Type == certv1.ConditionStalled
		if abnormal && c.Status != metav1.ConditionTrue {
			meta.RemoveStatusCondition(&status.Conditions, c.Type)
			continue
		}
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&status.Conditions, c)
	}
}
