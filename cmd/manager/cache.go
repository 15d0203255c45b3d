package main

import (
	"k8s.io/apimachinery/pkg/api/meta"
)

// lastAppliedAnnotation is where client-side `kubectl apply` keeps a copy of what it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimCachedObject drops from each object the informer cache keeps what the operator never
// reads and what can be as large as the rest of the object: managedFields, and the copy of the
// applied manifest that client-side `kubectl apply` keeps in an annotation. At 10,000 cached
// certifications that is most of the cache. Status patches are computed against the cached
// object, and neither field belongs to status.
func trimCachedObject(in any) (any, error) {
	obj, err := meta.Accessor(in)
	if err != nil {
		return in, nil // not an object (a tombstone): nothing to trim
	}
	obj.SetManagedFields(nil)
	if annotations := obj.GetAnnotations(); annotations[lastAppliedAnnotation] != "" {
		delete(annotations, lastAppliedAnnotation)
		obj.SetAnnotations(annotations)
	}
	return in, nil
}
