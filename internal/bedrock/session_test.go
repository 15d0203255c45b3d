package bedrock

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
)

func TestObjectSession(t *testing.T) {
	long := strings.Repeat("n", 253)
	// want is the whole name, or for a cut one what precedes its 8-digit hash.
	tests := []struct {
		namespace, name string
		want            string
		cut             bool
	}{
		{"team-a", "nova-lite", "modelcert-team-a-nova-lite", false},
		{"team-a", "v1.2", "modelcert-team-a-v1.2", false},
		{"ns", strings.Repeat("x", 51), "modelcert-ns-" + strings.Repeat("x", 51), false}, // 64: kept whole
		{"ns", strings.Repeat("x", 52), "modelcert-ns-" + strings.Repeat("x", 42) + "-", true},
		{"team-a", long, "modelcert-team-a-" + strings.Repeat("n", 38) + "-", true},
		{"team-a", long[:252] + "m", "modelcert-team-a-" + strings.Repeat("n", 38) + "-", true},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		got, tags := ObjectSession(tc.namespace, tc.name)
		if !sessionNameChars.MatchString(got) {
			t.Errorf("ObjectSession(%q, %q) = %q: not a valid RoleSessionName", tc.namespace, tc.name, got)
		}
		if tc.cut && (len(got) != 64 || got[:56] != tc.want) || !tc.cut && got != tc.want {
			t.Errorf("ObjectSession(%q, %q) = %q, want %q (cut: %t)", tc.namespace, tc.name, got, tc.want, tc.cut)
		}
		if seen[got] {
			t.Errorf("ObjectSession(%q, %q) = %q: the same as another object's", tc.namespace, tc.name, got)
		}
		seen[got] = true
		if diff := cmp.Diff(map[string]string{SessionTagNamespace: tc.namespace, SessionTagName: tc.name}, tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
	}
}

// TestAssumeRoleAsTheObject assumes a role through the simulator's STS with the real SDK: the
// session is named and tagged after the object and carries the external id, and the Bedrock
// endpoints, verifying signatures, accept the credentials STS handed out.
func TestAssumeRoleAsTheObject(t *testing.T) {
	sim := bedrocksim.New(nil, bedrocksim.WithAccessKeys(map[string]string{"AKIDBASE": "base-secret"}))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)

	const role = "arn:aws:iam::123456789012:role/team-a-certifier"
	session, tags := ObjectSession("team-a", "nova-lite")
	c := newSimClient(t, srv.URL, "amazon.nova-lite-v1:0", func(c *Config) {
		c.Credentials = Credentials{AccessKeyID: "AKIDBASE", SecretAccessKey: "base-secret", RoleARN: role,
			ExternalID: "team-a-7f3e", SessionName: session, SessionTags: tags}
	})
	if _, err := c.Describe(context.Background()); err != nil {
		t.Fatalf("Describe with the role's credentials: %v", err)
	}
	want := []bedrocksim.AssumeRoleCall{{SignedBy: "AKIDBASE", RoleARN: role, RoleSessionName: "modelcert-team-a-nova-lite",
		ExternalID: "team-a-7f3e", Tags: map[string]string{"modelcert.io/namespace": "team-a", "modelcert.io/name": "nova-lite"}}}
	if diff := cmp.Diff(want, sim.AssumeRoleCalls()); diff != "" {
		t.Fatalf("AssumeRole calls (-want +got):\n%s", diff)
	}
}
