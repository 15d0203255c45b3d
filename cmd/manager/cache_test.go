package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
