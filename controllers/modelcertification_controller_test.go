package controllers_test

import (
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func ctrlConfigSkipNameValidation() config.Controller {
	skip := true
	return config.Controller{SkipNameValidation: &skip}
}

// A user applies a ModelCertification with kubectl; the operator takes it in: it adds its
// finalizer, reports Pending with every condition observed at the current generation, and
// `kubectl get` shows the columns. Deleting the object releases it.
func TestNewCertificationIsObservedAndReleased(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	startOperator(t, env, &controllers.ModelCertificationReconciler{})

	manifest := `apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: nova-lite
spec:
  modelId: amazon.nova-lite-v1:0
  region: us-east-1
`
	if _, stderr, err := env.Kubectl(manifest, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, stderr)
	}

	key := types.NamespacedName{Namespace: ns, Name: "nova-lite"}
	obj := &certv1.ModelCertification{}
	eventually(t, 20*time.Second, "the object to be observed", func() (bool, error) {
		if err := env.Client.Get(t.Context(), key, obj); err != nil {
			return false, err
		}
		return obj.Status.ObservedGeneration == obj.Generation && obj.Status.Phase != "", nil
	})

	if !controllerutil.ContainsFinalizer(obj, controllers.Finalizer) {
		t.Errorf("finalizers = %v, want %s", obj.Finalizers, controllers.Finalizer)
	}
	if obj.Status.Phase != certv1.PhasePending {
		t.Errorf("phase = %q, want Pending", obj.Status.Phase)
	}
	for _, typ := range []string{certv1.ConditionReady, certv1.ConditionCertified, certv1.ConditionModelAvailable,
		certv1.ConditionDatabaseSynced, certv1.ConditionProgressing} {
		c := meta.FindStatusCondition(obj.Status.Conditions, typ)
		if c == nil {
			t.Errorf("condition %s missing", typ)
			continue
		}
		if c.ObservedGeneration != obj.Generation {
			t.Errorf("condition %s observedGeneration = %d, want %d", typ, c.ObservedGeneration, obj.Generation)
		}
	}
	if c := meta.FindStatusCondition(obj.Status.Conditions, certv1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %+v, want False while pending", c)
	}

	out, stderr, err := env.Kubectl("", "get", "mcert", "-n", ns, "-o", "wide")
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, stderr)
	}
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	wantHeader := []string{"NAME", "MODEL", "REGION", "STATUS", "SCORE", "RATING", "BADGE", "AGE", "READY", "VALID-UNTIL", "MESSAGE"}
	if strings.Join(header, " ") != strings.Join(wantHeader, " ") {
		t.Errorf("kubectl get -o wide header = %v, want %v", header, wantHeader)
	}
	if !strings.Contains(out, "amazon.nova-lite-v1:0") || !strings.Contains(out, "Pending") {
		t.Errorf("kubectl get does not show the model and its phase:\n%s", out)
	}

	// A resync writes nothing: the resourceVersion stays put.
	rv := obj.ResourceVersion
	time.Sleep(500 * time.Millisecond)
	if err := env.Client.Get(t.Context(), key, obj); err != nil {
		t.Fatal(err)
	}
	if obj.ResourceVersion != rv {
		t.Errorf("resourceVersion moved from %s to %s with nothing to do", rv, obj.ResourceVersion)
	}

	if _, stderr, err := env.Kubectl("", "delete", "mcert", "nova-lite", "-n", ns, "--wait=true", "--timeout=20s"); err != nil {
		t.Fatalf("kubectl delete: %v\n%s", err, stderr)
	}
	if err := env.Client.Get(t.Context(), key, obj); !apierrors.IsNotFound(err) {
		t.Errorf("after delete, get = %v, want NotFound", err)
	}
}
