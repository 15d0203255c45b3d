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
	"github.com/modelcert/modelcert-operator/internal/certify"
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

func TestArgoCDHealth(t *testing.T) {
	now := time.Now()
	report := func(results ...certify.Result) certify.Report {
		return certify.Report{StartedAt: now, CompletedAt: now, Results: results}
	}
	passed := certify.Result{Name: "basic-prompt", Status: certify.CheckPassed}
	failed := certify.Result{Name: "basic-prompt", Status: certify.CheckFailed, Category: certify.CategoryQuality, Message: "empty answer"}
	available := certify.Result{Name: certify.CheckAvailability, Status: certify.CheckPassed}
	// judged builds the status the controller writes for a finished run, then optionally starts another.
	judged := func(suspend, rerun bool, results ...certify.Result) *certv1.ModelCertification {
		obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
		obj.Spec.Suspend = suspend
		startRun(&obj.Status, "run-1", "h", now, len(results))
		finishRun(&obj.Status, &obj.Spec, report(results...), certify.Judge(results, certify.DefaultPolicy))
		if rerun {
			startRun(&obj.Status, "run-2", "h", now, len(results))
		}
		setConditions(&obj.Status, readyCondition(&obj.Status, suspend, now))
		obj.Status.ObservedGeneration = 1
		return obj
	}
	pending := func(suspend bool) *certv1.ModelCertification {
		obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Generation: 1}}
		obj.Spec.Suspend = suspend
		obj.Status.Phase, obj.Status.ObservedGeneration = certv1.PhasePending, 1
		setConditions(&obj.Status, pendingConditions(suspend)...)
		setConditions(&obj.Status, readyCondition(&obj.Status, suspend, now))
		return obj
	}
	firstRun := func() *certv1.ModelCertification {
		obj := pending(false)
		startRun(&obj.Status, "run-1", "h", now, 14)
		setConditions(&obj.Status, readyCondition(&obj.Status, false, now))
		return obj
	}
	unobserved := judged(false, false, available, passed)
	unobserved.Generation = 2
	expired := judged(true, false, available, passed)
	setConditions(&expired.Status, readyCondition(&expired.Status, true, expired.Status.ValidUntil.Time))

	tests := []struct {
		name string
		obj  *certv1.ModelCertification
		want string
	}{
		{"new object", &certv1.ModelCertification{}, "Progressing"},
		{"spec not yet observed", unobserved, "Progressing"},
		{"first run", firstRun(), "Progressing"},
		{"certified", judged(false, false, available, passed), "Healthy"},
		{"re-certifying a certified model", judged(false, true, available, passed), "Healthy"},
		{"quality warning", judged(false, false, available, passed, passed, failed), "Degraded"},
		{"failed", judged(false, false, available, failed), "Degraded"},
		{"certified but expired", expired, "Degraded"},
		{"suspended before the first run", pending(true), "Suspended"},
		{"pending", pending(false), "Progressing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, message := argoHealth(t, tt.obj); got != tt.want {
				t.Errorf("health = %s (%q), want %s", got, message, tt.want)
			}
		})
	}
}

func TestArgoCDSetHealth(t *testing.T) {
	discovered := &metav1.Time{Time: time.Unix(1e9, 0)}
	certified := child("a", "us-east-1", certv1.PhaseCertified, "RECOMMENDED", "", true)
	failed := child("b", "us-east-1", certv1.PhaseFailed, "UNAVAILABLE", "PERMISSION_ERROR", false)
	running := child("c", "us-east-1", certv1.PhaseProcessing, "", "", false)
	// set builds the status the controller writes for these children.
	set := func(suspend bool, status certv1.ModelCertificationSetStatus, children ...certv1.ModelCertification) *certv1.ModelCertificationSet {
		s := &certv1.ModelCertificationSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Status: status}
		s.Spec.Suspend = suspend
		s.Spec.Regions = []string{"us-east-1"}
		aggregate(&s.Status, s.Spec.Regions, children)
		s.Status.Conditions = setStatusConditions(&s.Status, children, nil, suspend)
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
