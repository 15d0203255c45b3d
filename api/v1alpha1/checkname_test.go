package v1alpha1_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// loadCRD reads the generated ModelCertification CRD, as the API server gets it.
func loadCRD(t *testing.T) apiextensionsv1.CustomResourceDefinition {
	return loadCRDFile(t, "certification.modelcert.io_modelcertifications.yaml")
}

func loadCRDFile(t *testing.T, name string) apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "crd", "bases", name))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatalf("decode CRD: %v", err)
	}
	return crd
}

// TestCheckNameEnumMatchesBattery keeps the CRD's list of check names (which lets the API server
// refuse an unknown check at apply) equal to the engine's battery.
func TestCheckNameEnumMatchesBattery(t *testing.T) {
	crd := loadCRD(t)
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	lists := map[string]apiextensionsv1.JSONSchemaProps{
		"checks.include":        spec.Properties["checks"].Properties["include"],
		"checks.exclude":        spec.Properties["checks"].Properties["exclude"],
		"policy.requiredChecks": spec.Properties["policy"].Properties["requiredChecks"],
	}
	for list, schema := range lists {
		var got []string
		for _, v := range schema.Items.Schema.Enum {
			var name string
			if err := yaml.Unmarshal(v.Raw, &name); err != nil {
				t.Fatal(err)
			}
			got = append(got, name)
		}
		if diff := cmp.Diff(certify.CheckNames(), got); diff != "" {
			t.Errorf("spec.%s enum differs from certify.CheckNames() (-engine +crd):\n%s", list, diff)
		}
	}
}

// TestEveryFieldIsDocumented walks the CRDs' schemas: every field under spec and status must
// carry a description, which is what `kubectl explain` shows.
func TestEveryFieldIsDocumented(t *testing.T) {
	for _, name := range []string{"certification.modelcert.io_modelcertifications.yaml", "certification.modelcert.io_modelcertificationsets.yaml"} {
		t.Run(name, func(t *testing.T) { everyFieldDocumented(t, loadCRDFile(t, name)) })
	}
}

func everyFieldDocumented(t *testing.T, crd apiextensionsv1.CustomResourceDefinition) {
	var walk func(path string, s apiextensionsv1.JSONSchemaProps)
	walk = func(path string, s apiextensionsv1.JSONSchemaProps) {
		for name, prop := range s.Properties {
			if prop.Description == "" {
				t.Errorf("%s.%s has no description", path, name)
			}
			walk(path+"."+name, prop)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(path+"[]", *s.Items.Schema)
		}
	}
	root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	walk("spec", root.Properties["spec"])
	walk("status", root.Properties["status"])
}
