package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// Finalizer holds a deleted object until its mirror row is handled per spec.deletionPolicy.
const Finalizer = "certification.modelcert.io/finalizer"

// ModelCertificationReconciler reconciles ModelCertification objects.
type ModelCertificationReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// MirrorEnabled reports whether a PostgreSQL mirror is configured.
	MirrorEnabled bool
}

// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// Reconcile moves one ModelCertification towards its desired state, returning early at each decision.
func (r *ModelCertificationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)

	obj := &certv1.ModelCertification{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, obj)
	}

	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		before := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, Finalizer)
		if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
		logger.V(1).Info("Added finalizer")
	}

	before := obj.DeepCopy()
	if obj.Status.Phase == "" {
		obj.Status.Phase = certv1.PhasePending
		setConditions(&obj.Status, obj.Generation, pendingConditions(r.MirrorEnabled, obj.Spec.Suspend))
	}
	return ctrl.Result{}, r.patchStatus(ctx, before, obj)
}

// finalize releases a deleted object. The mirror row is handled per spec.deletionPolicy once the
// mirror is wired in; until then there is nothing outside the object to clean up.
func (r *ModelCertificationReconciler) finalize(ctx context.Context, obj *certv1.ModelCertification) error {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return nil
	}
	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, Finalizer)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	log.FromContext(ctx).Info("Released deleted certification", "deletionPolicy", obj.Spec.DeletionPolicy)
	return nil
}

// patchStatus is the one place status is written: it stamps observedGeneration and patches only
// when something changed, so that a resync writes nothing and GitOps tools see no churn.
func (r *ModelCertificationReconciler) patchStatus(ctx context.Context, before, obj *certv1.ModelCertification) error {
	obj.Status.ObservedGeneration = obj.Generation
	for i := range obj.Status.Conditions {
		obj.Status.Conditions[i].ObservedGeneration = obj.Generation
	}
	if equality.Semantic.DeepEqual(before.Status, obj.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

// SetupWithManager registers the reconciler with the manager.
func (r *ModelCertificationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&certv1.ModelCertification{}).
		Named("modelcertification").
		Complete(r)
}
