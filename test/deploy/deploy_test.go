// Package deploy_test installs the operator as a user would (kubectl apply -k config/default),
// runs the manager binary as its own ServiceAccount against an API server that enforces RBAC,
// and uninstalls it with `make undeploy`'s script.
package deploy_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

const (
	operatorNamespace = "modelcert-system"
	serviceAccount    = "modelcert-controller-manager"
	leaseName         = "modelcert-operator.certification.modelcert.io"
	crdName           = "modelcertifications.certification.modelcert.io"
)

// pinnedImage is the image `make deploy` is given, by tag and digest.
const pinnedImage = "registry.example/modelcert/modelcert-operator:v9.9.9@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// install runs `make deploy`'s script as the cluster's admin: config/default with the image set.
func install(t *testing.T, env *testenv.Env) {
	t.Helper()
	cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "deploy.sh"))
	cmd.Env = append(os.Environ(), "IMG="+pinnedImage, "DEPLOY_OVERLAY="+t.TempDir(),
		"KUBECTL="+env.KubectlPath, "KUBECONFIG="+env.Kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/deploy.sh: %v\n%s", err, out)
	}
	got := kubectl(t, env, "", "get", "deployment", "modelcert-controller-manager", "-n", operatorNamespace,
		"-o", "jsonpath={.spec.template.spec.containers[0].image}")
	if got != pinnedImage {
		t.Errorf("the Deployment runs %q, want %q", got, pinnedImage)
	}
}

func kubectl(t *testing.T, env *testenv.Env, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := env.Kubectl(stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates with a token of the named
// ServiceAccount, as the operator's pod does in a cluster.
func serviceAccountKubeconfig(t *testing.T, env *testenv.Env, namespace, name string) (path, token string) {
	t.Helper()
	token = strings.TrimSpace(kubectl(t, env, "", "create", "token", name, "-n", namespace, "--duration", "1h"))
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: env.Config.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["sa"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: name}
	cfg.CurrentContext = "sa"
	path = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// manager is the operator running as a process out of the cluster.
type manager struct {
	cmd    *exec.Cmd
	log    *testenv.Buffer
	exited chan error
}

// startManager runs the manager binary with the kubeconfig and flags given, with fake AWS keys
// that reach nothing but the simulator.
func startManager(t *testing.T, kubeconfig string, args ...string) *manager {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(testenv.Binary(t, "./cmd/manager"), append([]string{"--kubeconfig", kubeconfig, "--health-probe-bind-address", "0"}, args...)...)
	cmd.Env = []string{"HOME=" + home, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + home + "/none", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/none"}
	m := &manager{cmd: cmd, log: &testenv.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = m.log, m.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { m.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("manager log:\n%s", m.log.String())
		}
	})
	return m
}

// stop sends SIGTERM, as the kubelet does, and returns the exit error.
func (m *manager) stop(t *testing.T) error {
	t.Helper()
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-m.exited:
		return err
	case <-time.After(30 * time.Second): // the Deployment's terminationGracePeriodSeconds
		t.Fatalf("manager did not exit within 30s of SIGTERM")
		return nil
	}
}

// forbidden is how the API server and client-go report a request RBAC refused.
var forbidden = regexp.MustCompile(`(?i)forbidden|cannot (get|list|watch|create|update|patch|delete)`)

func assertNoForbidden(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if forbidden.MatchString(line) {
			t.Errorf("the operator was refused a request under its RBAC: %s", line)
		}
	}
}

var certifiedRunCounted = regexp.MustCompile(`(?m)^modelcert_runs_completed_total\{[^}]*status="CERTIFIED"[^}]*\} 1$`)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func simulator(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(bedrocksim.New(nil))
	t.Cleanup(srv.Close)
	return srv.URL
}

// certification is a ModelCertification of a simulated model, with keys from a Secret.
func certification(name, namespace, model, endpoint string) string {
	return fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: %s
  namespace: %s
spec:
  modelId: %s
  region: us-east-1
  endpoint: %s
  credentials:
    secretRef:
      name: aws-keys
  deletionPolicy: Delete
`, name, namespace, model, endpoint)
}

func createTeamNamespace(t *testing.T, env *testenv.Env) string {
	t.Helper()
	ns := env.Namespace(t)
	kubectl(t, env, "", "create", "secret", "generic", "aws-keys", "-n", ns,
		"--from-literal=accessKeyId=AKIDTEAM", "--from-literal=secretAccessKey=team-secret")
	return ns
}

// waitFor polls cond every 200 ms until it holds or the bound passes.
func waitFor(t *testing.T, bound time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, bound)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getMetrics(t *testing.T, addr, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// The manager's certificate is self-signed; what is tested here is who may read.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The operator, installed from config/default and running as its own ServiceAccount, leads
// through a Lease in its namespace, certifies a model with keys from a Secret, certifies a set's
// model the same way (the set listing the catalog with those keys), serves metrics
// only to an authorized reader, releases its finalizer on delete and its Lease on shutdown,
// and is never refused a request.
func TestOperatorRunsUnderItsOwnRBAC(t *testing.T) {
	env := testenv.Require(t)
	ctx := t.Context()
	install(t, env)
	kubeconfig, _ := serviceAccountKubeconfig(t, env, operatorNamespace, serviceAccount)

	// A scraper bound to the metrics-reader ClusterRole, and one that is not.
	kubectl(t, env, "", "create", "serviceaccount", "prometheus", "-n", operatorNamespace)
	kubectl(t, env, "", "create", "serviceaccount", "stranger", "-n", operatorNamespace)
	kubectl(t, env, "", "create", "clusterrolebinding", "modelcert-test-metrics-reader",
		"--clusterrole=modelcert-metrics-reader", "--serviceaccount="+operatorNamespace+":prometheus")
	t.Cleanup(func() { _, _, _ = env.Kubectl("", "delete", "clusterrolebinding", "modelcert-test-metrics-reader") })
	_, readerToken := serviceAccountKubeconfig(t, env, operatorNamespace, "prometheus")
	_, strangerToken := serviceAccountKubeconfig(t, env, operatorNamespace, "stranger")

	// The admin's tenancy policy lists the simulator, and selects namespaces by label, so
	// that the operator reads its ConfigMap and namespaces under its own RBAC.
	kubectl(t, env, `apiVersion: v1
kind: ConfigMap
metadata:
  name: modelcert-tenancy
  namespace: `+operatorNamespace+`
data:
  policy.yaml: |
    defaultCredentials:
      namespaceSelector: {matchLabels: {modelcert.io/operator-identity: allowed}}
    endpoints:
      hosts: ["127.0.0.1:*"]
      allowHTTP: true
`, "apply", "-f", "-")
	metricsAddr := freePort(t)
	m := startManager(t, kubeconfig, "--leader-elect", "--leader-election-namespace", operatorNamespace,
		"--metrics-bind-address", metricsAddr, "--tenancy-policy", operatorNamespace+"/modelcert-tenancy")

	ns := createTeamNamespace(t, env)
	kubectl(t, env, certification("nova-lite", ns, "amazon.nova-lite-v1:0", simulator(t)), "apply", "-f", "-")
	key := types.NamespacedName{Namespace: ns, Name: "nova-lite"}
	obj := &certv1.ModelCertification{}
	waitFor(t, 2*time.Minute, "the certification reaches Certified", func() (bool, error) {
		if err := env.Client.Get(ctx, key, obj); err != nil {
			return false, err
		}
		return obj.Status.Phase == certv1.PhaseCertified, nil
	})

	lease := &coordinationv1.Lease{}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: leaseName}, lease); err != nil {
		t.Fatalf("the Lease is not in %s: %v", operatorNamespace, err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the Lease has no holder while the operator leads")
	}

	if code, _ := getMetrics(t, metricsAddr, ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics with no token: %d, want 401", code)
	}
	if code, _ := getMetrics(t, metricsAddr, strangerToken); code != http.StatusForbidden {
		t.Errorf("GET /metrics as a ServiceAccount without metrics-reader: %d, want 403", code)
	}
	code, body := getMetrics(t, metricsAddr, readerToken)
	if code != http.StatusOK || !certifiedRunCounted.MatchString(body) {
		t.Errorf("GET /metrics as metrics-reader: %d, want 200 with one CERTIFIED run counted; body:\n%.2000s", code, body)
	}
	// The certifications gauge is read from the cache at scrape time, by the leader.
	if want := fmt.Sprintf("modelcert_certifications{badge=%q,namespace=%q,phase=\"Certified\"} 1\n", obj.Status.Badge, ns); !strings.Contains(body, want) {
		t.Errorf("GET /metrics: no %q in the body:\n%.2000s", strings.TrimSpace(want), body)
	}

	// A set lists the catalog with the team's keys and makes its certifications.
	kubectl(t, env, fmt.Sprintf(`apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertificationSet
metadata:
  name: anthropic
  namespace: %s
spec:
  regions: [us-east-1]
  models:
    providers: [Anthropic]
  template:
    endpoint: %s
    credentials:
      secretRef:
        name: aws-keys
`, ns, simulator(t)), "apply", "-f", "-")
	set := &certv1.ModelCertificationSet{}
	waitFor(t, 2*time.Minute, "the set's certification reaches Certified", func() (bool, error) {
		if err := env.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "anthropic"}, set); err != nil {
			return false, err
		}
		return set.Status.Models == 1 && set.Status.Phases.Certified == 1, nil
	})
	kubectl(t, env, "", "delete", "modelcertificationset", "anthropic", "-n", ns, "--timeout=60s")
	// This API server runs no garbage collector: the set's certification is deleted by hand.
	kubectl(t, env, "", "delete", "modelcertification", "anthropic-claude-3-haiku-20240307-v1-0-us-east-1", "-n", ns, "--timeout=60s")

	kubectl(t, env, "", "delete", "modelcertification", "nova-lite", "-n", ns, "--timeout=60s")

	if err := m.stop(t); err != nil {
		t.Errorf("manager exited with %v after SIGTERM, want 0", err)
	}
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: operatorNamespace, Name: leaseName}, lease); err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" {
		t.Errorf("the Lease is still held by %q after shutdown; the next leader would wait for it to expire", *lease.Spec.HolderIdentity)
	}
	assertNoForbidden(t, m.log.String())
}

// `make undeploy` with certifications present deletes them first, while the operator still
// releases their finalizers, then the operator and the CRD, and nothing is left Terminating.
// It removes the CRD, so it runs last in this package.
func TestUndeployLeavesNothingBehind(t *testing.T) {
	env := testenv.Require(t)
	ctx := t.Context()
	install(t, env)
	kubeconfig, _ := serviceAccountKubeconfig(t, env, operatorNamespace, serviceAccount)
	// With a database, so that the mirror's finalizer holds every certification.
	m := startManager(t, kubeconfig, "--leader-elect", "--leader-election-namespace", operatorNamespace,
		"--metrics-bind-address", "0", "--database-url", testenv.Database(t),
		"--allowed-endpoints", "127.0.0.1:*", "--allow-http-endpoints")

	endpoint := simulator(t)
	var manifests []string
	nsA, nsB := createTeamNamespace(t, env), createTeamNamespace(t, env)
	for _, c := range []struct{ name, ns, model string }{
		{"nova-lite", nsA, "amazon.nova-lite-v1:0"},
		{"titan", nsA, "amazon.titan-text-express-v1"},
		{"haiku", nsB, "anthropic.claude-3-haiku-20240307-v1:0"},
	} {
		manifests = append(manifests, certification(c.name, c.ns, c.model, endpoint))
	}
	kubectl(t, env, strings.Join(manifests, "---\n"), "apply", "-f", "-")
	waitFor(t, time.Minute, "every certification holds the operator's finalizer", func() (bool, error) {
		list := &certv1.ModelCertificationList{}
		if err := env.Client.List(ctx, list); err != nil {
			return false, err
		}
		for _, o := range list.Items {
			if len(o.Finalizers) == 0 {
				return false, nil
			}
		}
		return len(list.Items) == 3, nil
	})

	cmd := exec.CommandContext(ctx, filepath.Join(testenv.RepoRoot(), "hack", "undeploy.sh"))
	cmd.Env = append(os.Environ(), "KUBECTL="+env.KubectlPath, "KUBECONFIG="+env.Kubeconfig, "UNDEPLOY_TIMEOUT=90")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Up to the removal of its RBAC, the operator must never be refused.
	var script strings.Builder
	logBeforeRBACRemoval := ""
	scanner := bufio.NewScanner(stderr)
	for scanner.Scan() {
		line := scanner.Text()
		script.WriteString(line + "\n")
		if strings.HasPrefix(line, "undeploy: deleting config/default") {
			logBeforeRBACRemoval = m.log.String()
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("hack/undeploy.sh: %v after %s\n%s%s", err, time.Since(start).Round(time.Second), stdout.String(), script.String())
	}
	t.Logf("undeploy took %s", time.Since(start).Round(100*time.Millisecond))
	if logBeforeRBACRemoval == "" {
		t.Fatalf("hack/undeploy.sh never deleted config/default:\n%s", script.String())
	}
	assertNoForbidden(t, logBeforeRBACRemoval)

	if _, errOut, err := env.Kubectl("", "get", "crd", crdName); err == nil || !strings.Contains(errOut, "NotFound") {
		t.Errorf("the CRD is still there after undeploy (%v: %s)", err, errOut)
	}
	for _, kind := range []string{"clusterrole/modelcert-manager-role", "clusterrolebinding/modelcert-manager-rolebinding",
		"clusterrole/modelcert-metrics-auth-role", "clusterrole/modelcert-metrics-reader"} {
		if _, errOut, err := env.Kubectl("", "get", kind); err == nil || !strings.Contains(errOut, "NotFound") {
			t.Errorf("%s is still there after undeploy", kind)
		}
	}
	for _, kind := range []string{"deployment/modelcert-controller-manager", "service/modelcert-controller-manager-metrics",
		"role/modelcert-leader-election-role", "serviceaccount/" + serviceAccount} {
		if _, errOut, err := env.Kubectl("", "get", kind, "-n", operatorNamespace); err == nil || !strings.Contains(errOut, "NotFound") {
			t.Errorf("%s is still there after undeploy", kind)
		}
	}
	if err := m.stop(t); err != nil {
		t.Logf("manager exited with %v once its RBAC was gone", err)
	}
}
