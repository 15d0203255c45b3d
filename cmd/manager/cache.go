package main

import (
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// lastAppliedAnnotation is where client-side `kubectl apply` keeps a copy of what it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimCachedObject drops from each object the informer cache keeps what the operator never
// reads and what can be as large as the rest of the object: managedFields, and the copy of the
// applied manifest that client-side `kubectl apply` keeps in an annotation. At 10,000 cached
// certifications that is most of the cache. Status patches are computed against the cached
// object, and neither field belongs to status. Certifications are also compacted (see
// compactCertification).
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
	if mc, ok := in.(*certv1.ModelCertification); ok {
		compactCertification(mc, &cachedStrings)
	}
	return in, nil
}

// compactCertification makes a decoded certification share, with the others in the cache, one
// copy of each string that a fleet repeats (namespaces, regions, condition types, reasons and
// fixed messages, capability names…), and drops the spare capacity the JSON decoder leaves in
// its lists. The decoder allocates every string and grows every list by doubling, so at 10,000
// certifications this is a third of the cache (cmd/manager's BenchmarkCachedCertification).
// Cached objects are read-only (reads deep-copy them, and a copy of a string shares its bytes),
// so sharing is safe. Strings that are mostly unique (names, uids, run ids, model ids, run
// messages) are left alone: interning them would cost more than it saves.
func compactCertification(mc *certv1.ModelCertification, t *stringTable) {
	t.intern(&mc.APIVersion)
	t.intern(&mc.Kind)
	t.intern(&mc.Namespace)
	for i := range mc.Finalizers {
		t.intern(&mc.Finalizers[i])
	}
	if len(mc.Labels) > 0 {
		labels := make(map[string]string, len(mc.Labels))
		for k, v := range mc.Labels {
			t.intern(&k)
			t.intern(&v)
			labels[k] = v
		}
		mc.Labels = labels
	}
	for i := range mc.OwnerReferences {
		ref := &mc.OwnerReferences[i]
		t.intern(&ref.APIVersion)
		t.intern(&ref.Kind)
		t.intern(&ref.Name)
		intern(t, &ref.UID)
	}

	spec := &mc.Spec
	t.intern(&spec.Region)
	t.intern(&spec.Provider)
	t.intern(&spec.Endpoint)
	t.intern(&spec.RoleARN)
	intern(t, &spec.DeletionPolicy)
	if spec.Credentials != nil {
		t.intern(&spec.Credentials.SecretRef.Name)
	}
	if spec.Checks != nil {
		internAll(t, spec.Checks.Include)
		internAll(t, spec.Checks.Exclude)
	}
	internAll(t, spec.Policy.RequiredChecks)

	status := &mc.Status
	intern(t, &status.Phase)
	t.intern(&status.Badge)
	t.intern(&status.ErrorCategory)
	status.FailedChecks = withoutSpareCapacity(status.FailedChecks)
	for i := range status.FailedChecks {
		t.intern(&status.FailedChecks[i].Name)
		t.intern(&status.FailedChecks[i].Category)
	}
	status.Capabilities = withoutSpareCapacity(status.Capabilities)
	for i := range status.Capabilities {
		c := &status.Capabilities[i]
		t.intern(&c.Name)
		t.intern(&c.Source)
		t.intern(&c.Reason)
	}
	status.Conditions = withoutSpareCapacity(status.Conditions)
	for i := range status.Conditions {
		c := &status.Conditions[i]
		t.intern(&c.Type)
		intern(t, &c.Status)
		t.intern(&c.Reason)
		if c.Type != certv1.ConditionProgressing { // names the run: unique
			t.intern(&c.Message)
		}
	}
}

// cachedStrings is the manager's one table of the cache's shared strings.
var cachedStrings = stringTable{max: 1 << 14}

// stringTable keeps one copy of each string it is given, up to max strings; after that, new
// strings pass through unshared, so a field that turns out to be unique costs a bounded table.
// The cache's informers call it concurrently.
type stringTable struct {
	mu      sync.Mutex
	max     int
	strings map[string]string
}

// intern replaces *s by the table's copy of it.
func (t *stringTable) intern(s *string) {
	if *s == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if shared, ok := t.strings[*s]; ok {
		*s = shared
		return
	}
	if t.strings == nil {
		t.strings = map[string]string{}
	}
	if len(t.strings) < t.max {
		t.strings[*s] = *s
	}
}

// intern is stringTable.intern for the API's named string types.
func intern[S ~string](t *stringTable, s *S) {
	str := string(*s)
	t.intern(&str)
	*s = S(str)
}

func internAll[S ~string](t *stringTable, list []S) {
	for i := range list {
		intern(t, &list[i])
	}
}

// withoutSpareCapacity returns a list that holds only its elements.
func withoutSpareCapacity[T any](list []T) []T {
	if cap(list) == len(list) {
		return list
	}
	return slices.Clone(list)
}
