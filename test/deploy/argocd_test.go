package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// argocdCM is argocd-cm as Argo CD's install manifest ships it (labels, no data), in the user's
// copy of it, which sets one key of the user's own.
const argocdCM = `apiVersion: v1
kind: ConfigMap
metadata:
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
  name: argocd-cm
data:
  url: https://argocd.example.com
`

// healthChecks are the health checks config/argocd installs: argocd-cm key → script.
var healthChecks = map[string]string{
	"resource.customizations.health.certification.modelcert.io_ModelCertification":    "health.lua",
	"resource.customizations.health.certification.modelcert.io_ModelCertificationSet": "set_health.lua",
}

// The health checks survive Argo CD: installed as the README says over the argocd-cm of Argo
// CD's install manifest, it keeps Argo CD's labels (without them Argo CD ignores argocd-cm) and
// the user's keys, those applied with the install and those edited in later, and both it and
// they survive Argo CD's install applied again, client-side and server-side, and our patch
// applied again. (A `kubectl apply --server-side` of the same ConfigMap fails this, even with a
// field manager of its own: kubectl moves the fields of the client-side install to it, and so
// removes the user's keys it does not list.)
func TestArgoCDHealthCheckSurvivesArgoCD(t *testing.T) {
	env := testenv.Require(t)
	root := testenv.RepoRoot()
	scripts := map[string]string{}
	for key, file := range healthChecks {
		script, err := os.ReadFile(filepath.Join(root, "config", "argocd", file))
		if err != nil {
			t.Fatal(err)
		}
		scripts[key] = string(script)
	}
	kubectl(t, env, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd\n", "apply", "-f", "-")
	installArgoCD := func(args ...string) {
		t.Helper()
		kubectl(t, env, argocdCM, append([]string{"apply", "-n", "argocd", "-f", "-"}, args...)...)
	}
	// installHealthCheck is the README's command.
	installHealthCheck := func() {
		t.Helper()
		patch := kubectl(t, env, "", "kustomize", filepath.Join(root, "config", "argocd"))
		kubectl(t, env, "", "patch", "configmap", "argocd-cm", "-n", "argocd", "--type", "merge",
			"--field-manager", "modelcert", "--patch", patch)
	}
	check := func(after string) {
		t.Helper()
		var cm struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		}
		if err := json.Unmarshal([]byte(kubectl(t, env, "", "get", "configmap", "argocd-cm", "-n", "argocd", "-o", "json")), &cm); err != nil {
			t.Fatal(err)
		}
		if l := cm.Metadata.Labels; l["app.kubernetes.io/part-of"] != "argocd" || l["app.kubernetes.io/name"] != "argocd-cm" {
			t.Errorf("after %s: labels %v, want Argo CD's", after, l)
		}
		for key, script := range scripts {
			if cm.Data[key] != script {
				t.Errorf("after %s: the health check is missing or differs from config/argocd/%s (%d of %d bytes)",
					after, healthChecks[key], len(cm.Data[key]), len(script))
			}
		}
		if cm.Data["url"] != "https://argocd.example.com" || cm.Data["timeout.reconciliation"] != "300s" {
			t.Errorf("after %s: the user's keys are gone: url=%q timeout.reconciliation=%q", after, cm.Data["url"], cm.Data["timeout.reconciliation"])
		}
	}

	installArgoCD()
	kubectl(t, env, "", "patch", "configmap", "argocd-cm", "-n", "argocd", "--type", "merge",
		"--patch", `{"data":{"timeout.reconciliation":"300s"}}`)
	installHealthCheck()
	check("the health check's install")
	installArgoCD()
	check("Argo CD's install again, client-side")
	installArgoCD("--server-side", "--force-conflicts")
	check("Argo CD's install again, server-side")
	installHealthCheck()
	check("the health check's install again")
	installArgoCD()
	check("Argo CD's install client-side after a server-side one")
}

// The Argo CD Applications of config/samples/argocd point at folders of this repository that
// kustomize renders: the operator and the example certifications.
func TestArgoCDApplicationsRender(t *testing.T) {
	env := testenv.Require(t)
	root := testenv.RepoRoot()
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "argocd", "*.yaml"))
	if err != nil || len(files) != 2 {
		t.Fatalf("config/samples/argocd has %d Applications (%v), want 2", len(files), err)
	}
	want := map[string]string{"config/default": "Deployment", "config/samples": "ModelCertification"}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var app struct {
			Kind string `json:"kind"`
			Spec struct {
				Source struct {
					Path string `json:"path"`
				} `json:"source"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(raw, &app); err != nil || app.Kind != "Application" {
			t.Fatalf("%s: kind %q, %v; want an Application", file, app.Kind, err)
		}
		kind, ok := want[app.Spec.Source.Path]
		if !ok {
			t.Fatalf("%s: source.path %q, want one of %v", file, app.Spec.Source.Path, want)
		}
		delete(want, app.Spec.Source.Path)
		if out := kubectl(t, env, "", "kustomize", filepath.Join(root, app.Spec.Source.Path)); !strings.Contains(out, "kind: "+kind+"\n") {
			t.Errorf("%s: kubectl kustomize %s renders no %s", file, app.Spec.Source.Path, kind)
		}
	}
}
