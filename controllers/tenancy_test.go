package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/tenancy"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// tenancyPolicy is a policy for two team namespaces: a may use the operator's identity and
// assume its own roles (with an external id), b may do neither unless opened; the simulator
// is an allowed endpoint under the name 127.0.0.1, and under localhost only when opened.
func tenancyPolicy(teamA, teamB string, open bool) string {
	chain, roleNamespaces, hosts := teamA, teamA, `"127.0.0.1:*"`
	if open {
		chain, roleNamespaces, hosts = teamA+", "+teamB, teamA+", "+teamB, `"127.0.0.1:*", "localhost:*"`
	}
	return fmt.Sprintf(`defaultCredentials:
  namespaces: [%s]
roles:
- namespaces: [%s]
  roleArns: ["arn:aws:iam::123456789012:role/team-a-*"]
  externalId: team-a-ext
endpoints:
  hosts: [%s]
  allowHTTP: true
`, chain, roleNamespaces, hosts)
}

// setPolicy writes the tenancy policy ConfigMap, as the cluster admin would.
func setPolicy(t *testing.T, env *testenv.Env, key types.NamespacedName, text string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Data: map[string]string{tenancy.PolicyKey: text}}
	err := env.Client.Update(context.Background(), cm)
	if err != nil {
		err = env.Client.Create(context.Background(), cm)
	}
	if err != nil {
		t.Fatalf("write the tenancy policy: %v", err)
	}
}

// A cluster admin's tenancy policy keeps each namespace to the identities and endpoints
// granted to it: a namespace outside the default-chain list, a role not granted to the
// namespace and an endpoint outside the patterns are refused with PERMISSION_ERROR, an Event
// naming the rule, and no request to the simulator. Opening the policy certifies the same
// objects; an invalid edit keeps the policy in force; closing it again refuses at once.
func TestTenancyPolicy(t *testing.T) {
	env := testenv.Require(t)
	ops, teamA, teamB := env.Namespace(t), env.Namespace(t), env.Namespace(t)
	sim := bedrocksim.New(bedrocksim.DefaultCatalog(),
		// The base keys of TestMain's environment; the role credentials STS hands out join them.
		bedrocksim.WithAccessKeys(map[string]string{"AKIDSIMULATOR": "simulator-secret"}))
	simURL, stopSim, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopSim(context.Background()) })
	t.Setenv("AWS_ENDPOINT_URL_STS", simURL)
	localhostURL := strings.Replace(simURL, "127.0.0.1", "localhost", 1)

	policy := types.NamespacedName{Namespace: ops, Name: "modelcert-tenancy"}
	setPolicy(t, env, policy, tenancyPolicy(teamA, teamB, false))
	startOperatorIn(t, env, []string{ops, teamA, teamB}, &controllers.ModelCertificationReconciler{
		Tenancy: &controllers.TenancyOptions{ConfigMap: policy, Defaults: tenancy.DefaultDefaults()}})

	const model = "amazon.nova-lite-v1:0"
	refused := []struct {
		ns, name, endpoint, extra, rule string
	}{
		{teamB, "chain", simURL, "", tenancy.RuleDefaultCredentials},
		{teamB, "role", simURL, "  roleArn: arn:aws:iam::123456789012:role/team-a-certifier\n", tenancy.RuleRoles},
		{teamA, "host", localhostURL, "", tenancy.RuleEndpointHosts},
	}
	for _, r := range refused {
		apply(t, env, r.ns, manifest(r.name, model, r.endpoint, r.extra))
	}
	for _, r := range refused {
		eventually(t, 30*time.Second, r.name+" to be refused", func() (bool, error) {
			return get(t, env, r.ns, r.name).Status.CompletedAt != nil, nil
		})
		s := get(t, env, r.ns, r.name).Status
		if s.Phase != certv1.PhaseFailed || s.ErrorCategory != "PERMISSION_ERROR" ||
			!strings.Contains(s.ErrorMessage, "refused by tenancy policy rule "+r.rule+": ") {
			t.Errorf("%s: verdict %s %s %q, want Failed PERMISSION_ERROR naming rule %s", r.name, s.Phase, s.ErrorCategory, s.ErrorMessage, r.rule)
		}
		if reasons := eventReasons(t, env, r.ns, r.name); !slices.Contains(reasons, controllers.ReasonTenancyRefused) {
			t.Errorf("%s: Events %v, want %s", r.name, reasons, controllers.ReasonTenancyRefused)
		}
	}
	if n := sim.Requests(); n != 0 {
		t.Fatalf("the simulator received %d requests from refused objects, want none", n)
	}

	// A granted role is assumed in a session named and tagged after the object, with the
	// grant's external id, and the role's credentials certify.
	apply(t, env, teamA, manifest("granted", model, simURL, "  roleArn: arn:aws:iam::123456789012:role/team-a-certifier\n"))
	waitFor(t, env, teamA, "granted", "condition=Certified")
	want := []bedrocksim.AssumeRoleCall{{SignedBy: "AKIDSIMULATOR", RoleARN: "arn:aws:iam::123456789012:role/team-a-certifier",
		RoleSessionName: "modelcert-" + teamA + "-granted", ExternalID: "team-a-ext",
		Tags: map[string]string{"modelcert.io/namespace": teamA, "modelcert.io/name": "granted"}}}
	if diff := cmp.Diff(want, sim.AssumeRoleCalls()); diff != "" {
		t.Errorf("AssumeRole calls (-want +got):\n%s", diff)
	}

	// The admin opens the policy: the refused objects run again at once and certify.
	setPolicy(t, env, policy, tenancyPolicy(teamA, teamB, true))
	for _, r := range refused {
		waitFor(t, env, r.ns, r.name, "condition=Certified")
	}
	if calls := sim.AssumeRoleCalls(); len(calls) != 2 || calls[1].RoleSessionName != "modelcert-"+teamB+"-role" {
		t.Errorf("AssumeRole calls %+v, want the second for %s/role", calls, teamB)
	}

	// An invalid edit is reported on the ConfigMap and changes nothing: the open policy stays.
	setPolicy(t, env, policy, "defaultCredentials: {namespace: []}\n")
	eventually(t, 30*time.Second, "an InvalidTenancyPolicy Event", func() (bool, error) {
		var list eventsv1.EventList
		err := env.Client.List(context.Background(), &list, client.InNamespace(ops))
		return slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool {
			return e.Reason == controllers.ReasonInvalidTenancyPolicy && strings.Contains(e.Note, `unknown field "defaultCredentials.namespace"`)
		}), err
	})
	apply(t, env, teamB, manifest("chain-after-typo", model, simURL, ""))
	waitFor(t, env, teamB, "chain-after-typo", "condition=Certified")

	// Closing it again refuses the objects it no longer allows at once.
	setPolicy(t, env, policy, tenancyPolicy(teamA, teamB, false))
	eventually(t, 30*time.Second, "chain to be refused again", func() (bool, error) {
		s := get(t, env, teamB, "chain").Status
		return s.Phase == certv1.PhaseFailed && s.ErrorCategory == "PERMISSION_ERROR", nil
	})
	if s := get(t, env, teamA, "granted").Status; s.Phase != certv1.PhaseCertified {
		t.Errorf("granted: phase %s after the policy closed, want it still Certified (%s)", s.Phase, s.ErrorMessage)
	}
}
