package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// requestedAt returns the object's requested-at annotation, parsed; false when it is absent.
func requestedAt(t *testing.T, env *testenv.Env, ns, name string) (string, bool) {
	t.Helper()
	var obj certv1.ModelCertification
	if err := env.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, &obj); err != nil {
		t.Fatal(err)
	}
	value, ok := obj.Annotations[certv1.RequestedAtAnnotation]
	if ok {
		at, err := time.Parse(time.RFC3339Nano, value)
		if err != nil || at.Location() != time.UTC {
			t.Fatalf("%s: %s = %q is not an RFC 3339 time in UTC (%v)", name, certv1.RequestedAtAnnotation, value, err)
		}
	}
	return value, ok
}

// A user who fixed the model's access re-runs two certifications by name: those two get the
// annotation the operator acts on, the third does not; asking again sets a new value.
func TestRerunAnnotatesTheNamedCertificationsOnly(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	for _, name := range []string{"nova", "claude", "titan"} {
		createCertification(t, env, ns, name, "amazon.nova-lite-v1:0", nil)
	}

	r := kubectlModelcert(t, env, "rerun", "nova", "claude", "-n", ns).mustSucceed(t)
	want := "modelcertification.certification.modelcert.io/nova rerun requested\n" +
		"modelcertification.certification.modelcert.io/claude rerun requested\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	first, ok := requestedAt(t, env, ns, "nova")
	if !ok {
		t.Fatal("nova has no requested-at annotation after rerun")
	}
	if _, ok := requestedAt(t, env, ns, "claude"); !ok {
		t.Fatal("claude has no requested-at annotation after rerun")
	}
	if value, ok := requestedAt(t, env, ns, "titan"); ok {
		t.Fatalf("titan, not named, has requested-at %q", value)
	}

	kubectlModelcert(t, env, "rerun", "nova", "--namespace", ns).mustSucceed(t)
	if again, _ := requestedAt(t, env, ns, "nova"); again == first {
		t.Errorf("a second rerun kept requested-at %q; the operator starts a run only for a new value", first)
	}
}

// --all re-runs every certification of the namespace and none elsewhere, and warns about a
// suspended one, which the operator will not run.
func TestRerunAllCoversTheNamespace(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns, other := env.Namespace(t), env.Namespace(t)
	createCertification(t, env, ns, "a", "amazon.nova-lite-v1:0", nil)
	suspended := createCertification(t, env, ns, "b", "amazon.nova-micro-v1:0", nil)
	suspended.Spec.Suspend = true
	if err := env.Client.Update(t.Context(), suspended); err != nil {
		t.Fatal(err)
	}
	createCertification(t, env, other, "c", "amazon.nova-lite-v1:0", nil)

	r := kubectlModelcert(t, env, "rerun", "--all", "-n", ns).mustSucceed(t)
	if got := strings.Count(r.stdout, "rerun requested"); got != 2 {
		t.Errorf("stdout reports %d reruns, want 2:\n%s", got, r.stdout)
	}
	if want := "Warning: modelcertification.certification.modelcert.io/b is suspended"; !strings.Contains(r.stderr, want) ||
		strings.Contains(r.stderr, "/a is suspended") {
		t.Errorf("stderr does not warn about b alone being suspended:\n%s", r.stderr)
	}
	for _, name := range []string{"a", "b"} {
		if _, ok := requestedAt(t, env, ns, name); !ok {
			t.Errorf("%s has no requested-at annotation after rerun --all", name)
		}
	}
	if value, ok := requestedAt(t, env, other, "c"); ok {
		t.Errorf("c in another namespace has requested-at %q", value)
	}
}

// A typo fails the command, names the object, and does not stop the others.
func TestRerunOfAMissingCertificationFailsNamingIt(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	createCertification(t, env, ns, "nova", "amazon.nova-lite-v1:0", nil)

	r := kubectlModelcert(t, env, "rerun", "novva", "nova", "-n", ns)
	if r.code == 0 {
		t.Fatalf("rerun of a missing object exited 0:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, `"novva" not found`) {
		t.Errorf("stderr does not name the missing object:\n%s", r.stderr)
	}
	if _, ok := requestedAt(t, env, ns, "nova"); !ok {
		t.Error("nova, named after the missing one, was not annotated")
	}

	for _, args := range [][]string{{"rerun"}, {"rerun", "nova", "--all"}, {"rerun", "nova", "-A"}} {
		if r := kubectlModelcert(t, env, append(args, "-n", ns)...); r.code == 0 || !strings.Contains(r.stderr, "rerun:") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, r.code, r.stderr)
		}
	}
}
