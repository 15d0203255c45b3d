// Package testenv gives tests and the demo the real control plane: a kube-apiserver and etcd
// started by envtest with this operator's CRDs installed, a client, a kubeconfig file and kubectl.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// Env is a running control plane.
type Env struct {
	Config *rest.Config
	Client client.Client
	// Kubeconfig is the path of a kubeconfig file for the API server's admin user.
	Kubeconfig string
	// KubectlPath is the kubectl binary of the control plane's version.
	KubectlPath string

	env *envtest.Environment
	dir string
}

var (
	shared     *Env
	sharedErr  error
	sharedOnce sync.Once
)

// errNoAssets means the control-plane binaries were not provided.
var errNoAssets = errors.New("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, which builds and points at kube-apiserver, etcd and kubectl")

// Require returns the package's shared control plane, starting it on first use. Without
// KUBEBUILDER_ASSETS the test is skipped on a developer's machine and fails in CI.
func Require(t testing.TB) *Env {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if errors.Is(sharedErr, errNoAssets) && os.Getenv("CI") == "" {
		t.Skip(sharedErr.Error())
	}
	if sharedErr != nil {
		t.Fatalf("start control plane: %v", sharedErr)
	}
	return shared
}

// Run is a TestMain body: it runs the package's tests, removes the binaries Binary built and
// stops the control plane if one started.
func Run(m *testing.M) int {
	code := m.Run()
	removeBuilds()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop control plane: %v\n", err)
		}
	}
	return code
}

// RepoRoot is the checkout's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts a control plane from the binaries in $KUBEBUILDER_ASSETS (make control-plane
// builds them) with the CRDs of config/crd/bases installed.
func Start() (*Env, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, errNoAssets
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                newScheme(),
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	e := &Env{Config: cfg, env: env}
	if e.Client, err = client.New(cfg, client.Options{Scheme: env.Scheme}); err != nil {
		return nil, errors.Join(fmt.Errorf("new client: %w", err), env.Stop())
	}
	if e.dir, err = os.MkdirTemp("", "modelcert-testenv-"); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, env.KubeConfig, 0o600); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	e.KubectlPath = os.Getenv("MODELCERT_KUBECTL")
	if e.KubectlPath == "" {
		e.KubectlPath = filepath.Join(assets, "kubectl")
	}
	return e, nil
}

// Stop stops the control plane and removes its files.
func (e *Env) Stop() error {
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
	return e.env.Stop()
}

// Kubectl runs kubectl against the control plane, with stdin as its standard input.
func (e *Env) Kubectl(stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(e.KubectlPath, append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewBufferString(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Namespace creates a namespace with a unique name for one test and deletes it afterwards.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := e.Client.Create(t.Context(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), ns) })
	return ns.Name
}

func newScheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(certv1.AddToScheme(s))
	return s
}
