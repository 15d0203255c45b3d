package controllers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// argoHealth runs config/argocd/health.lua on obj with gopher-lua, the interpreter Argo CD
// runs health checks with, and returns the status and message it gives.
func argoHealth(t *testing.T, obj *certv1.ModelCertification) (status, message string) {
	t.Helper()
	return argoHealthOf(t, "health.lua", obj)
}

// argoHealthOf runs the health check config/argocd/<script> on obj.
func argoHealthOf(t *testing.T, script string, obj any) (status, message string) {
	t.Helper()
	code, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "argocd", script))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("obj", toLua(L, generic))
	if err := L.DoString(string(code)); err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health.lua returned %v, want a table", L.Get(-1))
	}
	return hs.RawGetString("status").String(), hs.RawGetString("message").String()
}

// toLua converts decoded JSON to Lua values as Argo CD does: objects and arrays to tables.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	default:
		return lua.LNil
	}
}

// Argo CD's health of every state, on the statuses the controller's own code writes.
func TestArgoCDHealth(t *testing.T) {
	for _, tt := range summaryCases() {
		t.Run(tt.name, func(t *testing.T) {
			if got, message := argoHealth(t, tt.obj); got != tt.argo {
				t.Errorf("health = %s (%q), want %s", got, message, tt.argo)
			}
		})
	}
}

func TestArgoCDSetHealth(t *testing.T) {
	discovered := &metav1.Time{Time: time.Unix(1e9, 0)}
	certified := child("a", "us-east-1", certv1.PhaseCertified, "RECOMMENDED", "", true)
	failed := child("b", "us-east-1", certv1.PhaseFailed, "UNAVAILABLE", "PERMISSION_ERROR", false)
	running := child("c", "us-east-1", certv1.PhaseProcessing, "", "", false)
	recertifying := certified
	recertifying.Status.Phase = certv1.PhaseProcessing
	// set builds the status the controller writes for these children.
	set := func(suspend bool, status certv1.ModelCertificationSetStatus, children ...certv1.ModelCertification) *certv1.ModelCertificationSet {
		s := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Status: status}
		s.Spec.Suspend = suspend
		s.Spec.Regions = []string{"us-east-1"}
		aggregate(&s.Status, s.Spec.Regions, children)
		setConditionsOf(&s.Status, setStatusConditions(&s.Status, children, nil, suspend), 1)
		s.Status.ObservedGeneration = 1
		return s
	}
	unobserved := set(false, certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, certified)
	unobserved.Generation = 2
	regionFailed := certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered,
		DiscoveryFailures: []certv1.DiscoveryFailure{{Region: "us-east-1", Category: "PERMISSION_ERROR", Message: "denied"}}}

	tests := []struct {
		name string
		obj  *certv1.ModelCertificationSet
		want string
	}{
		{"new set", &certv1.ModelCertificationSet{}, "Progressing"},
		{"spec not yet observed", unobserved, "Progressing"},
		{"before the first discovery", set(false, certv1.ModelCertificationSetStatus{}), "Progressing"},
		{"every certification certified", set(false, certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, certified), "Healthy"},
		{"a certified certification re-certifying", set(false, certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, certified, recertifying), "Healthy"},
		{"a certification running", set(false, certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, certified, running), "Progressing"},
		{"a certification failed", set(false, certv1.ModelCertificationSetStatus{LastDiscoveredAt: discovered}, certified, failed), "Degraded"},
		{"a region failed discovery", set(false, regionFailed, certified), "Degraded"},
		{"suspended before the first discovery", set(true, certv1.ModelCertificationSetStatus{}), "Suspended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, message := argoHealthOf(t, "set_health.lua", tt.obj); got != tt.want {
				t.Errorf("health = %s (%q), want %s", got, message, tt.want)
			}
		})
	}
}
