package harness

import (
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// ManagerUser is the API server identity the manager runs as; the audit log tells its writes
// from the harness's by this name.
const ManagerUser = "modelcert-manager"

// auditPolicy records every write once, when its response is sent, without bodies; reads are
// not recorded, so the log stays small at 10,000 objects.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  - level: None
`

// ControlPlane is a kube-apiserver and etcd started by envtest with the operator's CRDs and an
// audit log of every write.
type ControlPlane struct {
	Config *rest.Config
	Client client.Client
	// AdminKubeconfig is for the harness's own kubectl calls; ManagerKubeconfig authenticates
	// as ManagerUser.
	AdminKubeconfig   string
	ManagerKubeconfig string
	AuditLog          string
	Kubectl           string

	env *envtest.Environment
}

// Scheme knows the core types and the operator's.
func Scheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(certv1.AddToScheme(s))
	return s
}

// StartControlPlane starts the API server from the binaries in assets (hack/control-plane.sh),
// keeping its files under dir.
func StartControlPlane(root, assets, dir string) (*ControlPlane, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	cp := &ControlPlane{AuditLog: filepath.Join(dir, "audit.log"), Kubectl: filepath.Join(assets, "kubectl")}
	cp.env = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                Scheme(),
	}
	cp.env.ControlPlane.GetAPIServer().Configure().
		Append("audit-policy-file", policy).
		Append("audit-log-path", cp.AuditLog).
		Append("audit-log-mode", "blocking")
	cfg, err := cp.env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	cp.Config = cfg
	if cp.Client, err = client.New(cfg, client.Options{Scheme: cp.env.Scheme}); err != nil {
		return nil, cp.stopAfter(fmt.Errorf("new client: %w", err))
	}
	cp.AdminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(cp.AdminKubeconfig, cp.env.KubeConfig, 0o600); err != nil {
		return nil, cp.stopAfter(err)
	}
	user, err := cp.env.ControlPlane.AddUser(envtest.User{Name: ManagerUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, cp.stopAfter(fmt.Errorf("add manager user: %w", err))
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, cp.stopAfter(err)
	}
	cp.ManagerKubeconfig = filepath.Join(dir, "manager.kubeconfig")
	if err := os.WriteFile(cp.ManagerKubeconfig, kubeconfig, 0o600); err != nil {
		return nil, cp.stopAfter(err)
	}
	return cp, nil
}

func (cp *ControlPlane) stopAfter(err error) error {
	if stopErr := cp.env.Stop(); stopErr != nil {
		return fmt.Errorf("%w (and stop: %v)", err, stopErr)
	}
	return err
}

// Stop stops the API server and etcd.
func (cp *ControlPlane) Stop() error { return cp.env.Stop() }

// Namespace returns a new namespace object named name.
func Namespace(name string) *corev1.Namespace {
	ns := &corev1.Namespace{}
	ns.Name = name
	return ns
}
