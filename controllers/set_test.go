package controllers_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// fleetCatalog offers, in us-east-1 and eu-west-1, text models of three providers, an
// embedding model, a legacy model, and a model the account may not use (us-east-1 only).
const fleetCatalog = `
- id: amazon.nova-lite-v1:0
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse, vision]
- id: amazon.nova-micro-v1:0
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse]
- id: amazon.titan-embed-text-v2:0
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  outputModalities: [EMBEDDING]
- id: amazon.titan-text-express-v1
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming]
  lifecycle: LEGACY
- id: amazon.nova-denied-v1:0
  provider: Amazon
  regions: [us-east-1]
  capabilities: [streaming, systemPrompt]
  failures: {accessDenied: true}
- id: anthropic.claude-3-haiku-20240307-v1:0
  provider: Anthropic
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse, vision]
- id: meta.llama3-8b-instruct-v1:0
  provider: Meta
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt]
`

// fleetCatalogChanged drops Nova Micro and adds Nova Pro.
const fleetCatalogChanged = `
- id: amazon.nova-lite-v1:0
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse, vision]
- id: amazon.nova-pro-v1:0
  provider: Amazon
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse, vision]
- id: amazon.nova-denied-v1:0
  provider: Amazon
  regions: [us-east-1]
  capabilities: [streaming, systemPrompt]
  failures: {accessDenied: true}
- id: anthropic.claude-3-haiku-20240307-v1:0
  provider: Anthropic
  regions: [us-east-1, eu-west-1]
  capabilities: [streaming, systemPrompt, toolUse, vision]
`

func mustCatalog(t *testing.T, yaml string) *bedrocksim.Catalog {
	t.Helper()
	c, err := bedrocksim.ParseCatalog([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// failingLister lists through Bedrock, except in the regions it is told to refuse.
type failingLister struct {
	mu     sync.Mutex
	refuse map[string]bool
}

func (f *failingLister) set(region string, refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse[region] = refuse
}

func (f *failingLister) list(ctx context.Context, cfg bedrock.Config) ([]bedrock.FoundationModel, error) {
	f.mu.Lock()
	refused := f.refuse[cfg.Region]
	f.mu.Unlock()
	if refused {
		return nil, &certify.ModelError{Category: certify.CategoryPermission, Message: "the account may not list models in " + cfg.Region}
	}
	return bedrock.ListFoundationModels(ctx, cfg)
}

// startFleet runs the certification and set controllers against a simulator serving catalog.
func startFleet(t *testing.T, env *testenv.Env, ns, catalog string) (*bedrocksim.Server, string, *failingLister) {
	t.Helper()
	sim := bedrocksim.New(mustCatalog(t, catalog))
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	lister := &failingLister{refuse: map[string]bool{}}
	r := &controllers.ModelCertificationReconciler{}
	startManager(t, env, []string{ns}, r, func(mgr ctrl.Manager) error {
		return (&controllers.ModelCertificationSetReconciler{Client: mgr.GetClient(), Certifications: r, ListModels: lister.list}).SetupWithManager(mgr)
	})
	return sim, url, lister
}

// childrenOf returns the certifications labelled with the set, by name.
func childrenOf(ctx context.Context, c client.Client, ns, set string) (map[string]certv1.ModelCertification, error) {
	var list certv1.ModelCertificationList
	if err := c.List(ctx, &list, client.InNamespace(ns), client.MatchingLabels{controllers.LabelSet: set}); err != nil {
		return nil, err
	}
	out := map[string]certv1.ModelCertification{}
	for _, item := range list.Items {
		out[item.Name] = item
	}
	return out, nil
}

// A platform team certifies every active text model of Amazon and Anthropic in two regions.
// The set makes exactly the matching certifications, follows the catalog as it changes,
// pushes template edits to every certification (each runs once more), aggregates their
// verdicts, repeats their regressions on the set, survives a region it cannot list, and releases what it no longer selects when
// told to orphan.
func TestSetCertifiesAFleet(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	ctx := t.Context()
	sim, url, lister := startFleet(t, env, ns, fleetCatalog)

	set := &certv1.ModelCertificationSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: certv1.ModelCertificationSetSpec{
			Regions:           []string{"us-east-1", "eu-west-1"},
			Models:            certv1.ModelSelector{Providers: []string{"Amazon", "Anthropic"}, OutputModalities: []string{"TEXT"}},
			DiscoveryInterval: &metav1.Duration{Duration: 2 * time.Second},
			Template: certv1.CertificationTemplate{Endpoint: url,
				Checks: &certv1.CheckSelection{Include: []certv1.CheckName{"basic-prompt", "system-prompt"}}},
		},
	}
	if err := env.Client.Create(ctx, set); err != nil {
		t.Fatalf("create set: %v", err)
	}

	want := []string{
		"amazon-nova-denied-v1-0-us-east-1",
		"amazon-nova-lite-v1-0-eu-west-1", "amazon-nova-lite-v1-0-us-east-1",
		"amazon-nova-micro-v1-0-eu-west-1", "amazon-nova-micro-v1-0-us-east-1",
		"anthropic-claude-3-haiku-20240307-v1-0-eu-west-1", "anthropic-claude-3-haiku-20240307-v1-0-us-east-1",
	}
	var children map[string]certv1.ModelCertification
	eventually(t, 30*time.Second, "the set's certifications", func() (bool, error) {
		var err error
		children, err = childrenOf(ctx, env.Client, ns, "fleet")
		return slices.Equal(slices.Sorted(maps.Keys(children)), want), err
	})
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set); err != nil {
		t.Fatal(err)
	}
	haiku := children["anthropic-claude-3-haiku-20240307-v1-0-eu-west-1"]
	if haiku.Spec.ModelID != "anthropic.claude-3-haiku-20240307-v1:0" || haiku.Spec.Region != "eu-west-1" || haiku.Spec.Endpoint != url {
		t.Errorf("haiku's spec = %+v", haiku.Spec)
	}
	wantLabels := map[string]string{controllers.LabelSet: "fleet", controllers.LabelModel: "anthropic-claude-3-haiku-20240307-v1-0",
		controllers.LabelProvider: "anthropic", controllers.LabelRegion: "eu-west-1"}
	if !maps.Equal(haiku.Labels, wantLabels) {
		t.Errorf("haiku's labels = %v, want %v", haiku.Labels, wantLabels)
	}
	// Deleting the set deletes its certifications through the garbage collector (envtest runs
	// none): each is controlled by the set and blocks its deletion until gone.
	for name, c := range children {
		ref := metav1.GetControllerOf(&c)
		if ref == nil || ref.UID != set.UID || ref.Kind != "ModelCertificationSet" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("%s's controller reference = %+v, want the set (uid %s) blocking its deletion", name, ref, set.UID)
		}
	}

	// The verdicts aggregate: six certified, the denied model failed and listed.
	eventually(t, 60*time.Second, "the set's verdicts", func() (bool, error) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set)
		return set.Status.Phases == certv1.PhaseCount{Certified: 6, Failed: 1}, err
	})
	if set.Status.Models != 7 || set.Status.RegionCount != 2 || len(set.Status.NotCertified) != 1 ||
		set.Status.NotCertified[0] != (certv1.UncertifiedChild{Name: "amazon-nova-denied-v1-0-us-east-1", ModelID: "amazon.nova-denied-v1:0",
			Region: "us-east-1", Phase: certv1.PhaseFailed, Category: string(certify.CategoryPermission)}) {
		t.Errorf("status = %+v", set.Status)
	}
	// kstatus (Flux, kpt) reads the settled set with a failed certification as Failed.
	if res := setKstatus(t, env, ns, "fleet"); res.Status != status.FailedStatus {
		t.Errorf("kstatus = %s (%s), want Failed", res.Status, res.Message)
	}
	if got := regionCounts(set.Status.Regions); !maps.Equal(got, map[string]int32{"us-east-1": 4, "eu-west-1": 3}) {
		t.Errorf("models per region = %v", got)
	}
	if !conditionIs(set.Status.Conditions, certv1.ConditionReady, metav1.ConditionFalse) ||
		!conditionIs(set.Status.Conditions, certv1.ConditionStalled, metav1.ConditionTrue) ||
		meta.FindStatusCondition(set.Status.Conditions, certv1.ConditionReconciling) != nil ||
		!conditionIs(set.Status.Conditions, certv1.ConditionDiscovered, metav1.ConditionTrue) {
		t.Errorf("conditions = %+v", set.Status.Conditions)
	}

	// Bedrock drops Nova Micro and adds Nova Pro; the next discovery follows, pruning Micro.
	sim.SetCatalog(mustCatalog(t, fleetCatalogChanged))
	want = []string{
		"amazon-nova-denied-v1-0-us-east-1",
		"amazon-nova-lite-v1-0-eu-west-1", "amazon-nova-lite-v1-0-us-east-1",
		"amazon-nova-pro-v1-0-eu-west-1", "amazon-nova-pro-v1-0-us-east-1",
		"anthropic-claude-3-haiku-20240307-v1-0-eu-west-1", "anthropic-claude-3-haiku-20240307-v1-0-us-east-1",
	}
	eventually(t, 15*time.Second, "the catalog change", func() (bool, error) {
		var err error
		children, err = childrenOf(ctx, env.Client, ns, "fleet")
		return slices.Equal(slices.Sorted(maps.Keys(children)), want), err
	})
	eventually(t, 60*time.Second, "Nova Pro's verdicts", func() (bool, error) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set)
		return set.Status.Phases == certv1.PhaseCount{Certified: 6, Failed: 1}, err
	})

	// A region the account cannot list is a condition; its certifications stay.
	lister.set("eu-west-1", true)
	eventually(t, 15*time.Second, "Discovered=False", func() (bool, error) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set)
		return conditionIs(set.Status.Conditions, certv1.ConditionDiscovered, metav1.ConditionFalse), err
	})
	if f := set.Status.DiscoveryFailures; len(f) != 1 || f[0].Region != "eu-west-1" || f[0].Category != string(certify.CategoryPermission) {
		t.Errorf("discoveryFailures = %+v", f)
	}
	if set.Status.Models != 7 {
		t.Errorf("models = %d after a failed region, want the 7 kept", set.Status.Models)
	}
	lister.set("eu-west-1", false)

	// A template edit reaches every certification once, and each runs once more. Meanwhile Nova
	// Lite started ignoring system prompts: its certifications regress, and say so on the set.
	sim.SetCatalog(mustCatalog(t, strings.Replace(fleetCatalogChanged,
		"- id: amazon.nova-lite-v1:0\n", "- id: amazon.nova-lite-v1:0\n  failures: {ignoresSystemPrompt: true}\n", 1)))
	attempts := map[string]int32{}
	for name, c := range children {
		attempts[name] = c.Status.Attempt
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set); err != nil {
		t.Fatal(err)
	}
	before := set.DeepCopy()
	set.Spec.Template.Policy.CertifyScore = ptr.To[int32](70)
	if err := env.Client.Patch(ctx, set, client.MergeFrom(before)); err != nil {
		t.Fatalf("edit template: %v", err)
	}
	eventually(t, 60*time.Second, "every certification re-run under the new template", func() (bool, error) {
		var err error
		children, err = childrenOf(ctx, env.Client, ns, "fleet")
		for _, c := range children {
			if ptr.Deref(c.Spec.Policy.CertifyScore, 0) != 70 || c.Status.Attempt != attempts[c.Name]+1 ||
				c.Status.Phase == certv1.PhaseProcessing || c.Status.ObservedGeneration != c.Generation {
				return false, err
			}
		}
		return len(children) == 7, err
	})
	// The set counts its certifications when their changes reach it, a moment after them.
	eventually(t, 10*time.Second, "the set to count the verdicts after Nova Lite regressed", func() (bool, error) {
		err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set)
		return set.Status.Phases == (certv1.PhaseCount{Certified: 4, QualityWarning: 2, Failed: 1}), err
	})
	eventually(t, 10*time.Second, "the Regressed events on the set", func() (bool, error) {
		var list eventsv1.EventList
		err := env.Client.List(ctx, &list, client.InNamespace(ns))
		var related []string
		for _, e := range list.Items {
			if e.Regarding.Kind == "ModelCertificationSet" && e.Regarding.Name == "fleet" && e.Reason == controllers.ReasonRegressed && e.Related != nil {
				related = append(related, e.Related.Name)
			}
		}
		slices.Sort(related)
		return slices.Equal(related, []string{"amazon-nova-lite-v1-0-eu-west-1", "amazon-nova-lite-v1-0-us-east-1"}), err
	})
	// Settled: nothing runs again (the discoveries that follow change nothing).
	time.Sleep(3 * time.Second)
	children, _ = childrenOf(ctx, env.Client, ns, "fleet")
	for name, c := range children {
		if c.Status.Attempt != attempts[name]+1 || c.Generation != 2 {
			t.Errorf("%s: attempt %d, generation %d after one template edit; want attempt %d, generation 2", name, c.Status.Attempt, c.Generation, attempts[name]+1)
		}
	}

	// Pruning Orphan: dropping Anthropic releases its certifications instead of deleting them.
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(set), set); err != nil {
		t.Fatal(err)
	}
	before = set.DeepCopy()
	set.Spec.Pruning = certv1.PruningOrphan
	set.Spec.Models.Providers = []string{"Amazon"}
	if err := env.Client.Patch(ctx, set, client.MergeFrom(before)); err != nil {
		t.Fatalf("edit selector: %v", err)
	}
	eventually(t, 15*time.Second, "Anthropic's certifications released", func() (bool, error) {
		var err error
		children, err = childrenOf(ctx, env.Client, ns, "fleet")
		return len(children) == 5, err
	})
	orphan := &certv1.ModelCertification{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "anthropic-claude-3-haiku-20240307-v1-0-us-east-1"}, orphan); err != nil {
		t.Fatalf("the orphaned certification: %v", err)
	}
	if len(orphan.OwnerReferences) != 0 || orphan.Labels[controllers.LabelSet] != "" {
		t.Errorf("orphan keeps owner references %+v, labels %v", orphan.OwnerReferences, orphan.Labels)
	}
}

// setKstatus computes a set's kstatus as Flux, kpt and Config Sync do.
func setKstatus(t *testing.T, env *testenv.Env, ns, name string) *status.Result {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(certv1.GroupVersion.WithKind("ModelCertificationSet"))
	if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get set %s: %v", name, err)
	}
	return computeKstatus(t, u.Object)
}

func regionCounts(regions []certv1.RegionCount) map[string]int32 {
	out := map[string]int32{}
	for _, r := range regions {
		out[r.Region] = r.Models
	}
	return out
}

func conditionIs(conds []metav1.Condition, typ string, status metav1.ConditionStatus) bool {
	c := meta.FindStatusCondition(conds, typ)
	return c != nil && c.Status == status
}

// A set that cannot list a catalog says why in its conditions, resolved as a run would be: a
// credentials Secret that does not exist is a CONFIGURATION_ERROR, an endpoint the tenancy
// policy does not allow a PERMISSION_ERROR. Nothing is created, and nothing is lost; kstatus
// reads such a set as Failed, and one no operator has seen as InProgress.
func TestSetDiscoveryFailuresAreConditions(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	ctx := t.Context()
	_, url, _ := startFleet(t, env, ns, fleetCatalog)

	sets := map[string]certv1.CertificationTemplate{
		"no-secret": {Endpoint: url, Credentials: &certv1.Credentials{SecretRef: certv1.SecretReference{Name: "missing"}}},
		"elsewhere": {Endpoint: "https://bedrock.example.com"},
	}
	for name, template := range sets {
		set := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: certv1.ModelCertificationSetSpec{Regions: []string{"us-east-1"},
				Models: certv1.ModelSelector{Providers: []string{"Amazon"}}, Template: template}}
		if err := env.Client.Create(ctx, set); err != nil {
			t.Fatalf("create set %s: %v", name, err)
		}
	}
	want := map[string]struct{ category, mention string }{
		"no-secret": {string(certify.CategoryConfiguration), "missing"},
		"elsewhere": {string(certify.CategoryPermission), "bedrock.example.com"},
	}
	// A set no operator has seen yet is in progress, not current: its status defaults to
	// observedGeneration 0.
	unwatched := env.Namespace(t)
	unseen := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Namespace: unwatched, Name: "unseen"},
		Spec: certv1.ModelCertificationSetSpec{Regions: []string{"us-east-1"}, Models: certv1.ModelSelector{Providers: []string{"Amazon"}}}}
	if err := env.Client.Create(ctx, unseen); err != nil {
		t.Fatalf("create set: %v", err)
	}
	if res := setKstatus(t, env, unwatched, "unseen"); res.Status != status.InProgressStatus {
		t.Errorf("kstatus of a set no operator has seen = %s (%s), want InProgress", res.Status, res.Message)
	}

	for name, w := range want {
		set := &certv1.ModelCertificationSet{}
		eventually(t, 15*time.Second, name+": Discovered=False", func() (bool, error) {
			err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, set)
			return conditionIs(set.Status.Conditions, certv1.ConditionDiscovered, metav1.ConditionFalse), err
		})
		f := set.Status.DiscoveryFailures
		if len(f) != 1 || f[0].Region != "us-east-1" || f[0].Category != w.category || !strings.Contains(f[0].Message, w.mention) {
			t.Errorf("%s: discoveryFailures = %+v, want us-east-1 %s mentioning %q", name, f, w.category, w.mention)
		}
		discovered := meta.FindStatusCondition(set.Status.Conditions, certv1.ConditionDiscovered)
		if !strings.Contains(discovered.Message, "us-east-1") || !conditionIs(set.Status.Conditions, certv1.ConditionStalled, metav1.ConditionTrue) {
			t.Errorf("%s: conditions = %+v", name, set.Status.Conditions)
		}
		if res := setKstatus(t, env, ns, name); res.Status != status.FailedStatus {
			t.Errorf("%s: kstatus = %s (%s), want Failed", name, res.Status, res.Message)
		}
		if children, err := childrenOf(ctx, env.Client, ns, name); err != nil || len(children) != 0 {
			t.Errorf("%s: %d certifications (%v), want none", name, len(children), err)
		}
	}
}
