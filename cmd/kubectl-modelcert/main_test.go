package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// pluginOnPath is a folder to put on PATH, where kubectl looks for kubectl-modelcert.
func pluginOnPath(t *testing.T) string {
	return filepath.Dir(testenv.Binary(t, "./cmd/kubectl-modelcert"))
}

// run is one kubectl invocation's outcome.
type run struct {
	stdout, stderr string
	code           int
}

// kubectlModelcert runs `kubectl modelcert ARGS… --kubeconfig …` with the real kubectl, which
// finds the plugin on PATH, in an environment without the user's kubeconfig or database URL.
func kubectlModelcert(t *testing.T, env *testenv.Env, args ...string) run {
	t.Helper()
	cmd := exec.Command(env.KubectlPath, append(append([]string{"modelcert"}, args...), "--kubeconfig", env.Kubeconfig)...)
	cmd.Env = []string{"PATH=" + pluginOnPath(t) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("kubectl modelcert %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustSucceed fails the test unless r exited 0.
func (r run) mustSucceed(t *testing.T) run {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// createCertification creates a ModelCertification for a model in us-east-1; with a status,
// it then writes that status through the status subresource, as the controller would.
func createCertification(t *testing.T, env *testenv.Env, ns, name, modelID string, status *certv1.ModelCertificationStatus) *certv1.ModelCertification {
	t.Helper()
	obj := &certv1.ModelCertification{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       certv1.ModelCertificationSpec{ModelID: modelID, Region: "us-east-1"},
	}
	if err := env.Client.Create(t.Context(), obj); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if status != nil {
		obj.Status = *status
		if err := env.Client.Status().Update(t.Context(), obj); err != nil {
			t.Fatalf("write status of %s: %v", name, err)
		}
	}
	return obj
}
