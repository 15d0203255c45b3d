package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// grant is one verb on one resource.
type grant struct{ group, resource, verb string }

// operatorUses is every request the operator makes across namespaces: it lists and watches
// certifications, patches them (finalizer) and their status, gets credential Secrets
// uncached, reads namespaces' labels (cached) when the tenancy policy selects namespaces by
// label, and records Events. The set controller lists and watches sets, patches their status,
// and creates, patches and deletes the certifications it owns; setting an owner reference that
// blocks the owner's deletion needs update on the owner's finalizers where the
// OwnerReferencesPermissionEnforcement admission plugin runs (most clusters; not this test's
// API server). TestOperatorRunsUnderItsOwnRBAC shows this is enough.
var operatorUses = []grant{
	{"", "secrets", "get"},
	{"", "namespaces", "get"},
	{"", "namespaces", "list"},
	{"", "namespaces", "watch"},
	{"certification.modelcert.io", "modelcertifications", "get"},
	{"certification.modelcert.io", "modelcertifications", "list"},
	{"certification.modelcert.io", "modelcertifications", "watch"},
	{"certification.modelcert.io", "modelcertifications", "patch"},
	{"certification.modelcert.io", "modelcertifications", "create"},
	{"certification.modelcert.io", "modelcertifications", "delete"},
	{"certification.modelcert.io", "modelcertifications/status", "patch"},
	{"certification.modelcert.io", "modelcertificationsets", "get"},
	{"certification.modelcert.io", "modelcertificationsets", "list"},
	{"certification.modelcert.io", "modelcertificationsets", "watch"},
	{"certification.modelcert.io", "modelcertificationsets/status", "patch"},
	{"certification.modelcert.io", "modelcertificationsets/finalizers", "update"},
	{"events.k8s.io", "events", "create"},
	{"events.k8s.io", "events", "patch"},
}

// The generated ClusterRole grants no verb the operator does not use.
func TestClusterRoleGrantsOnlyWhatTheOperatorUses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatal(err)
	}
	var granted []grant
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					granted = append(granted, grant{g, res, v})
				}
			}
		}
	}
	sortGrants := func(gs []grant) []grant {
		gs = slices.Clone(gs)
		slices.SortFunc(gs, func(a, b grant) int {
			return strings.Compare(a.group+"/"+a.resource+"/"+a.verb, b.group+"/"+b.resource+"/"+b.verb)
		})
		return gs
	}
	if diff := cmp.Diff(sortGrants(operatorUses), sortGrants(granted), cmp.AllowUnexported(grant{})); diff != "" {
		t.Errorf("config/rbac/role.yaml grants (-expected +got):\n%s", diff)
	}
}
