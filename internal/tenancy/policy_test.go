package tenancy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	roleA     = "arn:aws:iam::111122223333:role/team-a-certifier"
	roleOther = "arn:aws:iam::111122223333:role/payments-admin"
)

// lockedDown is the README's locked-down example.
const lockedDown = `
defaultCredentials:
  namespaces: []
roles:
- namespaces: [team-a]
  roleArns: ["arn:aws:iam::111122223333:role/team-a-*"]
  externalId: team-a-7f3e
- namespaceSelector:
    matchLabels: {modelcert.io/tenant: research}
  roleArns: ["arn:aws:iam::444455556666:role/certifier"]
endpoints:
  awsDefaults: true
  hosts: ["bedrock-sim.modelcert-system.svc:8080"]
  allowHTTP: false
`

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		defaults *Defaults
		req      Request
		want     Decision
		// wantIn are words the refusal's message must hold.
		wantIn []string
	}{
		{name: "defaults: the operator's identity, the region's public endpoint",
			req: Request{Namespace: "any"}, want: Decision{Allowed: true}},
		{name: "defaults: the regional endpoint named",
			req: Request{Namespace: "any", Endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com"}, want: Decision{Allowed: true}},
		{name: "defaults: the regional endpoint with its default port",
			req: Request{Namespace: "any", Endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com:443"}, want: Decision{Allowed: true}},
		{name: "defaults: the control plane's FIPS endpoint",
			req: Request{Namespace: "any", Endpoint: "https://bedrock-fips.us-east-1.amazonaws.com"}, want: Decision{Allowed: true}},
		{name: "defaults: a VPC endpoint",
			req: Request{Namespace: "any", Endpoint: "https://vpce-0a1b2c3d4e5f-abcdefgh.bedrock-runtime.us-east-1.vpce.amazonaws.com"}, want: Decision{Allowed: true}},
		{name: "defaults: a zonal VPC endpoint",
			req: Request{Namespace: "any", Endpoint: "https://us-east-1a.vpce-0a1b2c3d4e5f-abcdefgh.bedrock-runtime.us-east-1.vpce.amazonaws.com"}, want: Decision{Allowed: true}},
		{name: "defaults: another region's endpoint",
			req:  Request{Namespace: "any", Endpoint: "https://bedrock-runtime.eu-west-1.amazonaws.com"},
			want: Decision{Rule: RuleEndpointHosts}, wantIn: []string{"bedrock-runtime.eu-west-1.amazonaws.com", "the AWS Bedrock endpoints of us-east-1"}},
		{name: "defaults: a host that only starts like AWS's",
			req:  Request{Namespace: "any", Endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com.example.org"},
			want: Decision{Rule: RuleEndpointHosts}},
		{name: "defaults: AWS's host on another port",
			req:  Request{Namespace: "any", Endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com:8443"},
			want: Decision{Rule: RuleEndpointHosts}, wantIn: []string{"port 8443"}},
		{name: "defaults: an internal service",
			req:  Request{Namespace: "any", Endpoint: "https://metadata.internal"},
			want: Decision{Rule: RuleEndpointHosts}},
		{name: "defaults: the simulator over plain http",
			req:  Request{Namespace: "any", Endpoint: "http://127.0.0.1:4566"},
			want: Decision{Rule: RuleEndpointHTTP}, wantIn: []string{"http://127.0.0.1:4566"}},
		{name: "flags list the simulator and allow http",
			defaults: &Defaults{DefaultCredentialsNamespaces: []string{"*"}, EndpointHosts: []string{"127.0.0.1:*"}, AllowHTTP: true},
			req:      Request{Namespace: "any", Endpoint: "http://127.0.0.1:4566"}, want: Decision{Allowed: true}},
		{name: "a listed host without a port matches only the default port",
			policy: "endpoints: {hosts: [sim.example.org]}",
			req:    Request{Namespace: "any", Endpoint: "https://sim.example.org:8443"}, want: Decision{Rule: RuleEndpointHosts}},
		{name: "a listed host glob stays within its label",
			policy: "endpoints: {hosts: ['*.example.org']}",
			req:    Request{Namespace: "any", Endpoint: "https://a.b.example.org"}, want: Decision{Rule: RuleEndpointHosts}},
		{name: "a listed host glob",
			policy: "endpoints: {hosts: ['*.example.org']}",
			req:    Request{Namespace: "any", Endpoint: "https://sim.example.org"}, want: Decision{Allowed: true}},
		{name: "without the AWS defaults the public endpoint is refused",
			policy: "endpoints: {awsDefaults: false, hosts: ['vpce-*.bedrock-runtime.us-east-1.vpce.amazonaws.com']}",
			req:    Request{Namespace: "any"},
			want:   Decision{Rule: RuleEndpointHosts}, wantIn: []string{"the region's public endpoint bedrock-runtime.us-east-1.amazonaws.com"}},
		{name: "the endpoint is checked before the identity",
			policy: lockedDown,
			req:    Request{Namespace: "team-z", Endpoint: "https://metadata.internal"}, want: Decision{Rule: RuleEndpointHosts}},
		{name: "locked down: no namespace uses the operator's identity",
			policy: lockedDown,
			req:    Request{Namespace: "team-a"},
			want:   Decision{Rule: RuleDefaultCredentials}, wantIn: []string{"namespace team-a", "allowed: no namespace"}},
		{name: "locked down: own keys need no grant",
			policy: lockedDown,
			req:    Request{Namespace: "team-z", OwnCredentials: true}, want: Decision{Allowed: true}},
		{name: "locked down: a granted role, with its external id",
			policy: lockedDown,
			req:    Request{Namespace: "team-a", RoleARN: roleA}, want: Decision{Allowed: true, ExternalID: "team-a-7f3e"}},
		{name: "locked down: another team's role",
			policy: lockedDown,
			req:    Request{Namespace: "team-a", RoleARN: roleOther},
			want:   Decision{Rule: RuleRoles}, wantIn: []string{"namespace team-a", roleOther}},
		{name: "locked down: a role granted to another namespace",
			policy: lockedDown,
			req:    Request{Namespace: "team-b", RoleARN: roleA}, want: Decision{Rule: RuleRoles}},
		{name: "locked down: a role granted by namespace label",
			policy: lockedDown,
			req: Request{Namespace: "lab", NamespaceLabels: map[string]string{"modelcert.io/tenant": "research"},
				RoleARN: "arn:aws:iam::444455556666:role/certifier"},
			want: Decision{Allowed: true}},
		{name: "locked down: own keys may assume their own role",
			policy: lockedDown,
			req:    Request{Namespace: "team-b", RoleARN: roleOther, OwnCredentials: true}, want: Decision{Allowed: true}},
		{name: "no roles section: the default chain's namespaces may assume any role",
			req: Request{Namespace: "any", RoleARN: roleOther}, want: Decision{Allowed: true}},
		{name: "no roles section: other namespaces may not",
			policy: "defaultCredentials: {namespaces: [ops]}",
			req:    Request{Namespace: "team-a", RoleARN: roleOther},
			want:   Decision{Rule: RuleRoles}, wantIn: []string{"grants no roles", "namespaces ops"}},
		{name: "an empty roles section grants nothing",
			policy: "roles: []",
			req:    Request{Namespace: "any", RoleARN: roleOther}, want: Decision{Rule: RuleRoles}},
		{name: "default chain by namespace glob",
			policy: "defaultCredentials: {namespaces: ['team-*']}",
			req:    Request{Namespace: "team-a"}, want: Decision{Allowed: true}},
		{name: "default chain by namespace label",
			policy: "defaultCredentials: {namespaceSelector: {matchExpressions: [{key: trusted, operator: Exists}]}}",
			req:    Request{Namespace: "x", NamespaceLabels: map[string]string{"trusted": ""}}, want: Decision{Allowed: true}},
		{name: "default chain: a namespace the selector does not match",
			policy: "defaultCredentials: {namespaceSelector: {matchExpressions: [{key: trusted, operator: Exists}]}}",
			req:    Request{Namespace: "x"}, want: Decision{Rule: RuleDefaultCredentials}, wantIn: []string{"namespaceSelector trusted"}},
		{name: "the flag's none",
			defaults: &Defaults{},
			req:      Request{Namespace: "x"}, want: Decision{Rule: RuleDefaultCredentials}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DefaultDefaults()
			if tc.defaults != nil {
				d = *tc.defaults
			}
			p, err := New(tc.policy, d)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.req.Region == "" {
				tc.req.Region = "us-east-1"
			}
			got := p.Decide(tc.req)
			for _, w := range append([]string{tc.want.Rule}, tc.wantIn...) {
				if !strings.Contains(got.Message, w) {
					t.Errorf("message %q does not say %q", got.Message, w)
				}
			}
			if tc.want.Rule != "" && !strings.HasPrefix(got.Message, "refused by tenancy policy rule "+tc.want.Rule+": ") {
				t.Errorf("message %q does not start by naming the rule", got.Message)
			}
			got.Message = ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		policy string
		want   string
	}{
		{"defaultCredential: {namespaces: []}", `unknown field "defaultCredential"`},
		{"endpoints: {allowHttp: true}", `unknown field "endpoints.allowHttp"`},
		{"endpoints: {allowHTTP: yes please}", "endpoints.allowHTTP"},
		{"roles: [{namespaces: [a], roleArns: [arn:aws:iam::1:user/u]}]", `roles[0].roleArns[0]: "arn:aws:iam::1:user/u" is not an IAM role ARN`},
		{"roles: [{roleArns: ['arn:aws:iam::1:role/r']}]", "roles[0]: namespaces or namespaceSelector is required"},
		{"roles: [{namespaces: [a]}]", "roles[0].roleArns: at least one role ARN is required"},
		{"roles: [{namespaces: [a], roleArns: ['arn:aws:iam::1:role/r'], externalId: 'has space'}]", "roles[0].externalId"},
		{"roles: [{namespaceSelector: {matchExpressions: [{key: a, operator: Sometimes}]}, roleArns: ['arn:aws:iam::1:role/r']}]", "roles[0].namespaceSelector"},
		{"defaultCredentials: {namespaces: ['[a']}", `defaultCredentials.namespaces[0]: "[a" is not a namespace name or glob`},
		{"endpoints: {hosts: ['https://sim:80']}", `endpoints.hosts[0]: "https://sim:80" is not a host pattern`},
		{"endpoints: {hosts: ['sim:']}", `endpoints.hosts[0]: "sim:" has an empty port`},
		{"- a list", "cannot unmarshal array"},
	}
	for _, tc := range tests {
		_, err := New(tc.policy, DefaultDefaults())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q) = %v, want an error saying %q", tc.policy, err, tc.want)
		}
	}
}
