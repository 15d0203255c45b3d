package harness

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// Observer watches the ModelCertifications of one namespace, as a user watching `kubectl get -w`
// would, and tells a callback about every change it sees.
type Observer struct {
	cache     cache.Cache
	namespace string
}

// Observe starts watching namespace; onChange gets every object it sees change (deleted reports
// the object's removal). It returns once the first list is in.
func Observe(ctx context.Context, cfg *rest.Config, namespace string, onChange func(obj *certv1.ModelCertification, deleted bool)) (*Observer, error) {
	// The harness has no logs of its own to show; client-go's would only be noise.
	ctrllog.SetLogger(logr.Discard())
	c, err := cache.New(cfg, cache.Options{
		Scheme:            Scheme(),
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		DefaultTransform:  cache.TransformStripManagedFields(),
	})
	if err != nil {
		return nil, fmt.Errorf("new cache: %w", err)
	}
	informer, err := c.GetInformer(ctx, &certv1.ModelCertification{})
	if err != nil {
		return nil, fmt.Errorf("informer: %w", err)
	}
	call := func(obj any, deleted bool) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if mc, ok := obj.(*certv1.ModelCertification); ok {
			onChange(mc, deleted)
		}
	}
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { call(obj, false) },
		UpdateFunc: func(_, obj any) { call(obj, false) },
		DeleteFunc: func(obj any) { call(obj, true) },
	}); err != nil {
		return nil, fmt.Errorf("add event handler: %w", err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("observer cache did not sync")
	}
	return &Observer{cache: c, namespace: namespace}, nil
}

// List returns the objects as last seen.
func (o *Observer) List(ctx context.Context) ([]certv1.ModelCertification, error) {
	var list certv1.ModelCertificationList
	if err := o.cache.List(ctx, &list, client.InNamespace(o.namespace)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Terminal reports whether a phase is a verdict.
func Terminal(p certv1.Phase) bool {
	return p == certv1.PhaseCertified || p == certv1.PhaseQualityWarning || p == certv1.PhaseFailed
}

// DBStatus is the database's name for a phase.
func DBStatus(p certv1.Phase) string {
	switch p {
	case certv1.PhaseCertified:
		return "CERTIFIED"
	case certv1.PhaseQualityWarning:
		return "QUALITY_WARNING"
	case certv1.PhaseFailed:
		return "FAILED"
	case certv1.PhaseProcessing:
		return "PROCESSING"
	default:
		return "PENDING"
	}
}
