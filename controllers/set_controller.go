package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

const (
	setController = "modelcertificationset"
	// discoveryRetry is the longest a set waits to list again after a region failed.
	discoveryRetry = time.Minute
)

// CatalogLister lists the foundation models of a region; bedrock.ListFoundationModels is the real one.
type CatalogLister func(ctx context.Context, cfg bedrock.Config) ([]bedrock.FoundationModel, error)

// ModelCertificationSetReconciler keeps one ModelCertification per model and region a set
// selects: it lists each region's catalog, creates, updates and prunes the certifications it
// owns, and aggregates their verdicts. It never runs checks: the certification controller does.
//
// Deleting a set deletes its certifications through their owner references (the garbage
// collector), each then applying its own deletionPolicy through the mirror's finalizer.
type ModelCertificationSetReconciler struct {
	client.Client
	// Certifications resolves credentials, endpoint and role as for a run, under the tenancy policy.
	Certifications *ModelCertificationReconciler
	// ListModels lists a region's catalog; nil means bedrock.ListFoundationModels.
	ListModels CatalogLister
	// Clock is the time source; nil means the real clock.
	Clock clock.PassiveClock
	// Recorder emits Events on the set; nil means the manager's.
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertificationsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertificationsets/status,verbs=patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertificationsets/finalizers,verbs=update
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications,verbs=create;delete

// Reconcile lists the catalogs when due, brings the set's certifications in line with them and
// writes the set's status (one patch, when it changed).
func (r *ModelCertificationSetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	set := &certv1.ModelCertificationSet{}
	if err := r.Get(ctx, req.NamespacedName, set); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !set.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	children, err := r.children(ctx, set)
	if err != nil {
		return ctrl.Result{}, err
	}
	before := set.DeepCopy()
	now := r.Clock.Now()
	if !set.Spec.Suspend {
		if due, _ := discoveryDue(set, now); due {
			children, err = r.discover(ctx, set, children, now)
		} else {
			err = r.updateTemplates(ctx, set, children)
		}
		if err != nil {
			return retryOnConflict(ctx, setController, err)
		}
	}
	aggregate(&set.Status, set.Spec.Regions, children)
	setConditionsOf(&set.Status, setStatusConditions(&set.Status, children, set.Status.Conflicts, set.Spec.Suspend), set.Generation)
	set.Status.ObservedGeneration = set.Generation
	if !equality.Semantic.DeepEqual(before.Status, set.Status) {
		if err := r.Status().Patch(ctx, set, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return retryOnConflict(ctx, setController, fmt.Errorf("patch set status: %w", err))
		}
	}
	if set.Spec.Suspend {
		return ctrl.Result{}, nil
	}
	_, next := discoveryDue(set, now)
	return ctrl.Result{RequeueAfter: next}, nil
}

// discoveryDue reports whether the catalogs must be listed now (never listed, the spec changed,
// or the interval passed; sooner after a failed region), and if not, how long until they must.
func discoveryDue(set *certv1.ModelCertificationSet, now time.Time) (bool, time.Duration) {
	last := set.Status.LastDiscoveredAt
	if last == nil || set.Status.ObservedGeneration != set.Generation {
		return true, 0
	}
	interval := set.Spec.Interval()
	if len(set.Status.DiscoveryFailures) > 0 {
		interval = min(interval, discoveryRetry)
	}
	next := last.Add(interval)
	if !now.Before(next) {
		return true, 0
	}
	return false, max(next.Sub(now), time.Second)
}

// children lists the certifications the set controls.
func (r *ModelCertificationSetReconciler) children(ctx context.Context, set *certv1.ModelCertificationSet) ([]certv1.ModelCertification, error) {
	var list certv1.ModelCertificationList
	if err := r.List(ctx, &list, client.InNamespace(set.Namespace), client.MatchingLabels{LabelSet: set.Name}); err != nil {
		return nil, fmt.Errorf("list certifications of set: %w", err)
	}
	owned := list.Items[:0]
	for _, c := range list.Items {
		if metav1.IsControlledBy(&c, set) {
			owned = append(owned, c)
		}
	}
	return owned, nil
}

// discover lists every region's catalog and makes the children match what the selector picks:
// creates the missing, updates the template of the others, prunes those no longer picked. A
// region whose catalog could not be listed keeps its children as they are.
func (r *ModelCertificationSetReconciler) discover(ctx context.Context, set *certv1.ModelCertificationSet, children []certv1.ModelCertification, now time.Time) ([]certv1.ModelCertification, error) {
	logger := log.FromContext(ctx)
	selected := map[string][]bedrock.FoundationModel{}
	failed := map[string]bool{}
	set.Status.DiscoveryFailures = nil
	for _, region := range set.Spec.Regions {
		models, err := r.listRegion(ctx, set, region)
		if err != nil {
			me := bedrock.Classify(err)
			failed[region] = true
			set.Status.DiscoveryFailures = append(set.Status.DiscoveryFailures, certv1.DiscoveryFailure{
				Region: region, Category: string(me.Category), Message: shorten(err.Error(), 512)})
			logger.Info("Listing the catalog failed", "region", region, "category", me.Category, "error", err.Error())
			r.Recorder.Eventf(set, nil, corev1.EventTypeWarning, ReasonDiscoveryFailed, "Discover", "%s: %s", region, shorten(err.Error(), 512))
			continue
		}
		ids := selectModels(set.Spec.Models, models)
		for _, m := range models {
			if slices.Contains(ids, m.ID) {
				selected[region] = append(selected[region], m)
			}
		}
	}
	set.Status.LastDiscoveredAt = &metav1.Time{Time: now}

	have := map[string]*certv1.ModelCertification{}
	for i := range children {
		have[children[i].Name] = &children[i]
	}
	var kept []certv1.ModelCertification
	set.Status.Conflicts = nil
	for _, w := range wantedChildren(selected) {
		if c, ok := have[w.name]; ok {
			delete(have, w.name)
			if err := r.applyTemplate(ctx, set, c); err != nil {
				return nil, err
			}
			kept = append(kept, *c)
			continue
		}
		c, err := r.create(ctx, set, w)
		if apierrors.IsAlreadyExists(err) {
			if len(set.Status.Conflicts) < certv1.MaxUncertifiedListed {
				set.Status.Conflicts = append(set.Status.Conflicts, w.name)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		kept = append(kept, *c)
	}
	for _, c := range have {
		if failed[c.Spec.Region] {
			kept = append(kept, *c)
			continue
		}
		if err := r.prune(ctx, set, c); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(kept, func(a, b certv1.ModelCertification) int { return cmp.Compare(a.Name, b.Name) })
	return kept, nil
}

// listRegion lists one region's catalog with the template's credentials, endpoint and role.
func (r *ModelCertificationSetReconciler) listRegion(ctx context.Context, set *certv1.ModelCertificationSet, region string) ([]bedrock.FoundationModel, error) {
	cfg, err := r.Certifications.CatalogConfig(ctx, set.Namespace, set.Name, region, set.Spec.Template)
	if err != nil {
		category := certify.CategoryConfiguration
		if refusal := (*tenancyRefusal)(nil); errors.As(err, &refusal) {
			category = certify.CategoryPermission
		}
		return nil, &certify.ModelError{Category: category, Message: err.Error()}
	}
	return r.ListModels(ctx, cfg)
}

// create makes the certification of a model in a region, owned by the set.
func (r *ModelCertificationSetReconciler) create(ctx context.Context, set *certv1.ModelCertificationSet, w wantedChild) (*certv1.ModelCertification, error) {
	c := &certv1.ModelCertification{
		ObjectMeta: metav1.ObjectMeta{Namespace: set.Namespace, Name: w.name, Labels: childLabels(set.Name, w)},
		Spec:       certv1.ModelCertificationSpec{ModelID: w.modelID, Region: w.region, CertificationTemplate: *set.Spec.Template.DeepCopy()},
	}
	if err := controllerutil.SetControllerReference(set, c, r.Scheme()); err != nil {
		return nil, fmt.Errorf("own certification %s: %w", w.name, err)
	}
	if err := r.Create(ctx, c); err != nil {
		if apierrors.IsAlreadyExists(err) {
			log.FromContext(ctx).Info("A certification of that name has another owner; leaving it alone", "name", w.name, "model", w.modelID, "region", w.region)
			return nil, err
		}
		return nil, fmt.Errorf("create certification %s: %w", w.name, err)
	}
	log.FromContext(ctx).Info("Created certification", "name", w.name, "model", w.modelID, "region", w.region)
	return c, nil
}

// updateTemplates brings every child's spec to the template, between discoveries.
func (r *ModelCertificationSetReconciler) updateTemplates(ctx context.Context, set *certv1.ModelCertificationSet, children []certv1.ModelCertification) error {
	for i := range children {
		if err := r.applyTemplate(ctx, set, &children[i]); err != nil {
			return err
		}
	}
	return nil
}

// applyTemplate patches a child's spec to the set's template, only when it differs.
func (r *ModelCertificationSetReconciler) applyTemplate(ctx context.Context, set *certv1.ModelCertificationSet, c *certv1.ModelCertification) error {
	if equality.Semantic.DeepEqual(c.Spec.CertificationTemplate, set.Spec.Template) {
		return nil
	}
	before := c.DeepCopy()
	c.Spec.CertificationTemplate = *set.Spec.Template.DeepCopy()
	if err := r.Patch(ctx, c, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("update certification %s to the template: %w", c.Name, err)
	}
	log.FromContext(ctx).Info("Updated certification to the template", "name", c.Name)
	return nil
}

// prune deletes a child no longer selected, or with pruning Orphan releases it from the set.
func (r *ModelCertificationSetReconciler) prune(ctx context.Context, set *certv1.ModelCertificationSet, c *certv1.ModelCertification) error {
	if set.Spec.Pruning == certv1.PruningOrphan {
		before := c.DeepCopy()
		refs := c.OwnerReferences[:0]
		for _, ref := range c.OwnerReferences {
			if ref.UID != set.UID {
				refs = append(refs, ref)
			}
		}
		c.OwnerReferences = refs
		delete(c.Labels, LabelSet)
		if err := r.Patch(ctx, c, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return fmt.Errorf("orphan certification %s: %w", c.Name, err)
		}
		log.FromContext(ctx).Info("Orphaned certification no longer selected", "name", c.Name, "model", c.Spec.ModelID, "region", c.Spec.Region)
		return nil
	}
	if err := r.Delete(ctx, c, client.Preconditions{UID: &c.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("delete certification %s: %w", c.Name, err)
	}
	log.FromContext(ctx).Info("Deleted certification no longer selected", "name", c.Name, "model", c.Spec.ModelID, "region", c.Spec.Region)
	return nil
}

// announceRegression repeats a certification's Regressed Event on the set that controls it, so
// that a fleet's regressions show on the fleet.
func announceRegression(recorder events.EventRecorder, obj *certv1.ModelCertification, note string) {
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.Kind != "ModelCertificationSet" || ref.APIVersion != certv1.GroupVersion.String() {
		return
	}
	set := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Namespace: obj.Namespace, Name: ref.Name, UID: ref.UID}}
	recorder.Eventf(set, obj, corev1.EventTypeWarning, ReasonRegressed, "Judge", "%s (%s in %s): %s",
		obj.Name, obj.Spec.ModelID, obj.Spec.Region, note)
}

// SetupWithManager registers the set controller; it watches the certifications it owns. The
// certification reconciler must be set up first (it holds the tenancy policy).
func (r *ModelCertificationSetReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Certifications == nil || r.Certifications.tenancy == nil {
		return errors.New("set controller: the certification reconciler must be set up first")
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.ListModels == nil {
		r.ListModels = bedrock.ListFoundationModels
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("modelcertificationset-controller")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&certv1.ModelCertificationSet{}).
		Owns(&certv1.ModelCertification{}).
		Named(setController).
		Complete(r)
}
