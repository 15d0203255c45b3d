package controllers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// argoHealth runs config/argocd/health.lua on obj with gopher-lua, the interpreter Argo CD
// runs health checks with, and returns the status and message it gives.
func argoHealth(t *testing.T, obj *certv1.ModelCertification) (status, message string) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "argocd", "health.lua"))
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
	if err := L.DoString(string(script)); err != nil {
		t.Fatalf("health.lua: %v", err)
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
