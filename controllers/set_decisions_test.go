package controllers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
)

// catalog is a region's listing as selection sees it.
var catalog = []bedrock.FoundationModel{
	{ID: "amazon.nova-lite-v1:0", Provider: "Amazon", InputModalities: []string{"TEXT", "IMAGE"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
	{ID: "amazon.titan-text-express-v1", Provider: "Amazon", InputModalities: []string{"TEXT"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "LEGACY"},
	{ID: "amazon.titan-embed-text-v2:0", Provider: "Amazon", InputModalities: []string{"TEXT"}, OutputModalities: []string{"EMBEDDING"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
	{ID: "amazon.nova-canvas-v1:0", Provider: "Amazon", InputModalities: []string{"TEXT", "IMAGE"}, OutputModalities: []string{"IMAGE"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
	{ID: "anthropic.claude-3-haiku-20240307-v1:0", Provider: "Anthropic", InputModalities: []string{"TEXT", "IMAGE"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
	{ID: "anthropic.claude-3-7-sonnet-20250219-v1:0", Provider: "Anthropic", InputModalities: []string{"TEXT", "IMAGE"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"INFERENCE_PROFILE"}, Lifecycle: "ACTIVE"},
	{ID: "meta.llama3-8b-instruct-v1:0", Provider: "Meta", InputModalities: []string{"TEXT"}, OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
}

func TestSelectModels(t *testing.T) {
	tests := []struct {
		name string
		sel  certv1.ModelSelector
		want []string
	}{
		{"providers, any case, active only by default", certv1.ModelSelector{Providers: []string{"amazon"}},
			[]string{"amazon.nova-canvas-v1:0", "amazon.nova-lite-v1:0", "amazon.titan-embed-text-v2:0"}},
		{"text models of two providers", certv1.ModelSelector{Providers: []string{"Amazon", "Anthropic"}, OutputModalities: []string{"TEXT"}},
			[]string{"amazon.nova-lite-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"}},
		{"legacy too", certv1.ModelSelector{Providers: []string{"Amazon"}, OutputModalities: []string{"TEXT"}, Lifecycle: []string{"ACTIVE", "LEGACY"}},
			[]string{"amazon.nova-lite-v1:0", "amazon.titan-text-express-v1"}},
		{"include and exclude globs", certv1.ModelSelector{Include: []string{"amazon.*", "meta.*"}, Exclude: []string{"*titan*", "amazon.nova-c?nvas-*"}},
			[]string{"amazon.nova-lite-v1:0", "meta.llama3-8b-instruct-v1:0"}},
		{"image input", certv1.ModelSelector{InputModalities: []string{"IMAGE"}, OutputModalities: []string{"TEXT"}},
			[]string{"amazon.nova-lite-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"}},
		{"on demand only", certv1.ModelSelector{Providers: []string{"Anthropic"}, InferenceTypes: []string{"ON_DEMAND"}},
			[]string{"anthropic.claude-3-haiku-20240307-v1:0"}},
		{"explicit ids beat the other fields", certv1.ModelSelector{Providers: []string{"Meta"}, ModelIDs: []string{"amazon.titan-text-express-v1", "amazon.not-listed-v1"}},
			[]string{"amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0"}},
		{"a glob that does not parse matches nothing", certv1.ModelSelector{Include: []string{"amazon.[nova"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, selectModels(tt.sel, catalog)); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChildNames(t *testing.T) {
	long := "amazon.a-model-whose-name-goes-on-and-on-and-on-for-ever-v1:0"
	tests := []struct {
		model, region, want string
	}{
		{"amazon.nova-lite-v1:0", "us-east-1", "amazon-nova-lite-v1-0-us-east-1"},
		{"anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1", "anthropic-claude-3-haiku-20240307-v1-0-eu-west-1"},
		{long, "ap-southeast-2", "amazon-a-model-whose-name-goes-on-and-on-and-on-for-ev-" + shortHash(long, "ap-southeast-2")},
	}
	for _, tt := range tests {
		got := childName(tt.model, tt.region)
		if got != tt.want {
			t.Errorf("childName(%s, %s) = %s, want %s", tt.model, tt.region, got, tt.want)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("childName(%s, %s) = %s: %v", tt.model, tt.region, got, errs)
		}
	}
	// Two models whose readable names collide both get a hash; others keep theirs.
	children := wantedChildren(map[string][]bedrock.FoundationModel{"us-east-1": {
		{ID: "amazon.x-v1:0", Provider: "Amazon"}, {ID: "amazon.x-v1.0", Provider: "Amazon"}, {ID: "amazon.y-v1", Provider: "Amazon"}}})
	var names []string
	for _, c := range children {
		names = append(names, c.name)
	}
	want := []string{"amazon-x-v1-0-us-east-1-" + shortHash("amazon.x-v1.0", "us-east-1"), "amazon-x-v1-0-us-east-1-" + shortHash("amazon.x-v1:0", "us-east-1"), "amazon-y-v1-us-east-1"}
	if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(names))); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if labels := childLabels("fleet", children[0]); labels[LabelModel] != "amazon-x-v1-0" || labels[LabelProvider] != "amazon" || labels[LabelRegion] != "us-east-1" {
		t.Errorf("labels = %v", labels)
	}
}

// child is a settled (or not) certification for the aggregation tests.
func child(name, region string, phase certv1.Phase, badge, category string, ready bool) certv1.ModelCertification {
	c := certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec:   certv1.ModelCertificationSpec{ModelID: "m." + name, Region: region},
		Status: certv1.ModelCertificationStatus{Phase: phase, Badge: badge, ErrorCategory: category, ObservedGeneration: 1}}
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	c.Status.Conditions = []metav1.Condition{{Type: certv1.ConditionReady, Status: status, Reason: "X"}}
	return c
}

func TestAggregate(t *testing.T) {
	children := []certv1.ModelCertification{
		child("a", "us-east-1", certv1.PhaseCertified, "RECOMMENDED", "", true),
		child("b", "us-east-1", certv1.PhaseFailed, "UNAVAILABLE", "PERMISSION_ERROR", false),
		child("c", "eu-west-1", certv1.PhaseQualityWarning, "FUNCTIONAL", "QUALITY_ISSUE", false),
		child("d", "eu-west-1", certv1.PhaseProcessing, "", "", false),
		child("e", "eu-west-1", certv1.PhaseCertified, "RECOMMENDED", "", true),
	}
	children[0].Status.Usage = &certv1.Usage{InputTokens: 1200, OutputTokens: 3400}
	children[1].Status.Usage = &certv1.Usage{InputTokens: 30, OutputTokens: 0, MaxTokens: 100}
	var status certv1.ModelCertificationSetStatus
	aggregate(&status, []string{"us-east-1", "eu-west-1", "ap-south-1"}, children)
	want := certv1.ModelCertificationSetStatus{
		Models: 5, RegionCount: 3,
		Phases: certv1.PhaseCount{Certified: 2, Failed: 1, QualityWarning: 1, Processing: 1},
		Badges: []certv1.BadgeCount{{Badge: "FUNCTIONAL", Count: 1}, {Badge: "RECOMMENDED", Count: 2}, {Badge: "UNAVAILABLE", Count: 1}},
		Usage:  &certv1.SetUsage{InputTokens: 1230, OutputTokens: 3400},
		Regions: []certv1.RegionCount{
			{Region: "ap-south-1"},
			{Region: "eu-west-1", Models: 3, Phases: certv1.PhaseCount{Certified: 1, QualityWarning: 1, Processing: 1}},
			{Region: "us-east-1", Models: 2, Phases: certv1.PhaseCount{Certified: 1, Failed: 1}},
		},
		NotCertified: []certv1.UncertifiedChild{
			{Name: "b", ModelID: "m.b", Region: "us-east-1", Phase: certv1.PhaseFailed, Category: "PERMISSION_ERROR"},
			{Name: "c", ModelID: "m.c", Region: "eu-west-1", Phase: certv1.PhaseQualityWarning, Category: "QUALITY_ISSUE"},
			{Name: "d", ModelID: "m.d", Region: "eu-west-1", Phase: certv1.PhaseProcessing},
		},
	}
	if diff := cmp.Diff(want, status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	var many []certv1.ModelCertification
	for i := range 30 {
		many = append(many, child(strings.Repeat("x", i+1), "us-east-1", certv1.PhaseFailed, "", "", false))
	}
	aggregate(&status, []string{"us-east-1"}, many)
	if len(status.NotCertified) != certv1.MaxUncertifiedListed || status.Phases.Failed != 30 || status.Usage != nil {
		t.Errorf("30 failed children without usage: notCertified lists %d, phases %+v, usage %+v",
			len(status.NotCertified), status.Phases, status.Usage)
	}
}

func TestSetConditions(t *testing.T) {
	discovered := &metav1.Time{Time: time.Unix(1e9, 0)}
	certified := child("a", "us-east-1", certv1.PhaseCertified, "RECOMMENDED", "", true)
	failed := child("b", "us-east-1", certv1.PhaseFailed, "UNAVAILABLE", "PERMISSION_ERROR", false)
	running := child("c", "us-east-1", certv1.PhaseProcessing, "", "", false)
	unobserved := certified
	unobserved.Generation = 2
	recertifying := certified
	recertifying.Status.Phase = certv1.PhaseProcessing
	tests := []struct {
		name      string
		status    certv1.ModelCertificationSetStatus
		children  []certv1.ModelCertification
		conflicts []string
		// want is the status of Ready, Discovered, Reconciling and Stalled, and Ready's reason.
		want        [4]metav1.ConditionStatus
		readyReason string
	}{
		{"before discovery", certv1.ModelCertificationSetStatus{}, nil, nil,
			[4]metav1.ConditionStatus{"False", "Unknown", "True", "False"}, ReasonNotYetDiscovered},
		{"every child certified", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{certified}, nil,
			[4]metav1.ConditionStatus{"True", "True", "False", "False"}, ReasonAllCertified},
		{"a child running", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{certified, running}, nil,
			[4]metav1.ConditionStatus{"False", "True", "True", "False"}, ReasonChildrenPending},
		{"a certified child re-certifying", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{certified, recertifying}, nil,
			[4]metav1.ConditionStatus{"True", "True", "True", "False"}, ReasonAllCertified},
		{"a child's new spec not yet observed", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{unobserved}, nil,
			[4]metav1.ConditionStatus{"False", "True", "True", "False"}, ReasonChildrenPending},
		{"a child failed, all settled", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{certified, failed}, nil,
			[4]metav1.ConditionStatus{"False", "True", "False", "True"}, ReasonNotAllCertified},
		{"a child failed, another running", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{failed, running}, nil,
			[4]metav1.ConditionStatus{"False", "True", "True", "False"}, ReasonChildrenPending},
		{"no model selected", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, nil, nil,
			[4]metav1.ConditionStatus{"False", "True", "False", "False"}, ReasonNoModels},
		{"a region failed", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered,
			DiscoveryFailures: []certv1.DiscoveryFailure{{Region: "eu-west-1", Category: "PERMISSION_ERROR", Message: "denied"}}},
			[]certv1.ModelCertification{certified}, nil,
			[4]metav1.ConditionStatus{"False", "False", "False", "True"}, ReasonDiscoveryFailed},
		{"a name held by another owner", certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, []certv1.ModelCertification{certified}, []string{"x-us-east-1"},
			[4]metav1.ConditionStatus{"False", "True", "False", "True"}, ReasonChildrenConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conds := setStatusConditions(&tt.status, tt.children, tt.conflicts, false)
			var got [4]metav1.ConditionStatus
			for i, typ := range []string{certv1.ConditionReady, certv1.ConditionDiscovered, certv1.ConditionReconciling, certv1.ConditionStalled} {
				got[i] = meta.FindStatusCondition(conds, typ).Status
			}
			if got != tt.want {
				t.Errorf("Ready, Discovered, Reconciling, Stalled = %v, want %v; conditions %+v", got, tt.want, conds)
			}
			if r := meta.FindStatusCondition(conds, certv1.ConditionReady).Reason; r != tt.readyReason {
				t.Errorf("Ready reason = %s, want %s", r, tt.readyReason)
			}
		})
	}
}

func TestDiscoveryDue(t *testing.T) {
	now := time.Unix(1e9, 0)
	at := func(ago time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(-ago)} }
	tests := []struct {
		name      string
		status    certv1.ModelCertificationSetStatus
		interval  time.Duration
		wantDue   bool
		wantAfter time.Duration
	}{
		{"never listed", certv1.ModelCertificationSetStatus{ObservedGeneration: 1}, time.Hour, true, 0},
		{"spec changed", certv1.ModelCertificationSetStatus{ObservedGeneration: 0, LastDiscoveredAt: at(time.Minute)}, time.Hour, true, 0},
		{"within the interval", certv1.ModelCertificationSetStatus{ObservedGeneration: 1, LastDiscoveredAt: at(10 * time.Minute)}, time.Hour, false, 50 * time.Minute},
		{"interval passed", certv1.ModelCertificationSetStatus{ObservedGeneration: 1, LastDiscoveredAt: at(time.Hour)}, time.Hour, true, 0},
		{"a failed region retries sooner", certv1.ModelCertificationSetStatus{ObservedGeneration: 1, LastDiscoveredAt: at(30 * time.Second),
			DiscoveryFailures: []certv1.DiscoveryFailure{{Region: "eu-west-1"}}}, time.Hour, false, discoveryRetry - 30*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Status: tt.status,
				Spec: certv1.ModelCertificationSetSpec{DiscoveryInterval: &metav1.Duration{Duration: tt.interval}}}
			due, after := discoveryDue(set, now)
			if due != tt.wantDue || after != tt.wantAfter {
				t.Errorf("discoveryDue = %v, %s; want %v, %s", due, after, tt.wantDue, tt.wantAfter)
			}
		})
	}
}
