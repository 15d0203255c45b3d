package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/tools/cache"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

func TestTrimCachedObject(t *testing.T) {
	obj := &certv1.ModelCertification{
		ObjectMeta: metav1.ObjectMeta{
			Name: "nova", Namespace: "team-a",
			Annotations: map[string]string{
				lastAppliedAnnotation:          `{"apiVersion":"certification.modelcert.io/v1alpha1"}`,
				certv1.RequestedAtAnnotation:   "2026-12-01T10:00:00Z",
				"argocd.argoproj.io/sync-wave": "1",
			},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}},
		},
		Spec:   certv1.ModelCertificationSpec{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1"},
		Status: certv1.ModelCertificationStatus{Phase: certv1.PhaseCertified},
	}
	want := obj.DeepCopy()
	want.ManagedFields = nil
	delete(want.Annotations, lastAppliedAnnotation)

	got, err := trimCachedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trimmed object (-want +got):\n%s", diff)
	}

	// A deletion the informer missed arrives as a tombstone, which is passed on as it is.
	tombstone := cache.DeletedFinalStateUnknown{Key: "team-a/nova"}
	if got, _ := trimCachedObject(tombstone); got != tombstone {
		t.Errorf("tombstone changed: %#v", got)
	}
}

// certifiedDecoder returns a function that decodes testdata/certified.json as the informer
// does (the API server's JSON, through the scheme's codecs), under the given name.
func certifiedDecoder(tb testing.TB) func(name string) *certv1.ModelCertification {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "certified.json"))
	if err != nil {
		tb.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(newScheme()).UniversalDeserializer()
	return func(name string) *certv1.ModelCertification {
		named := bytes.Replace(raw, []byte(`"nova-lite"`), []byte(strconv.Quote(name)), 1)
		obj, _, err := decoder.Decode(named, nil, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return obj.(*certv1.ModelCertification)
	}
}

func TestCompactCertificationSharesRepeatedStrings(t *testing.T) {
	table := &stringTable{max: 1000}
	decode := certifiedDecoder(t)
	first, second := decode("first"), decode("second")
	want := second.DeepCopy()
	compactCertification(first, table)
	compactCertification(second, table)

	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("compacting changed the object (-want +got):\n%s", diff)
	}
	if cap(second.Status.Conditions) != len(second.Status.Conditions) {
		t.Errorf("conditions: capacity %d for %d", cap(second.Status.Conditions), len(second.Status.Conditions))
	}
	shared := map[string][2]string{
		"namespace":            {first.Namespace, second.Namespace},
		"region":               {first.Spec.Region, second.Spec.Region},
		"finalizer":            {first.Finalizers[0], second.Finalizers[0]},
		"label":                {first.Labels["certification.modelcert.io/set"], second.Labels["certification.modelcert.io/set"]},
		"condition reason":     {first.Status.Conditions[1].Reason, second.Status.Conditions[1].Reason},
		"condition message":    {first.Status.Conditions[4].Message, second.Status.Conditions[4].Message},
		"capability source":    {first.Status.Capabilities[0].Source, second.Status.Capabilities[0].Source},
		"phase (a named type)": {string(first.Status.Phase), string(second.Status.Phase)},
	}
	for field, pair := range shared {
		if unsafe.StringData(pair[0]) != unsafe.StringData(pair[1]) {
			t.Errorf("%s %q: two copies", field, pair[0])
		}
	}
	unique := map[string][2]string{
		"name":                {first.Name, second.Name},
		"progressing message": {first.Status.Conditions[0].Message, second.Status.Conditions[0].Message},
	}
	for field, pair := range unique {
		if pair[0] == pair[1] && unsafe.StringData(pair[0]) == unsafe.StringData(pair[1]) {
			t.Errorf("%s %q: interned", field, pair[0])
		}
	}
}

func TestStringTableStopsGrowingAtItsBound(t *testing.T) {
	table := &stringTable{max: 2}
	for _, s := range []string{"a", "b", "c", "a"} {
		s = strings.Clone(s)
		table.intern(&s)
	}
	if got := len(table.strings); got != 2 {
		t.Errorf("table holds %d strings, want its bound 2", got)
	}
	c1, c2 := strings.Clone("c"), strings.Clone("c")
	table.intern(&c1)
	table.intern(&c2)
	if unsafe.StringData(c1) == unsafe.StringData(c2) {
		t.Error("a string past the bound was shared")
	}
}

// BenchmarkCachedCertification reports the heap one cached certification holds (the testdata
// object: certified, 5 conditions, 4 capabilities), as decoded and as the cache keeps it.
func BenchmarkCachedCertification(b *testing.B) {
	for _, bc := range []struct {
		name    string
		compact bool
	}{{"decoded", false}, {"compacted", true}} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 10000
			table := &stringTable{max: 1 << 14}
			decode := certifiedDecoder(b)
			for b.Loop() {
				objs := make([]*certv1.ModelCertification, n)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range objs {
					objs[i] = decode(fmt.Sprintf("model-%05d", i))
					if bc.compact {
						compactCertification(objs[i], table)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/object")
				b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/n, "heap-objects/object")
				runtime.KeepAlive(objs)
			}
		})
	}
}
