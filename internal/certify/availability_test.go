package certify

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAvailability(t *testing.T) {
	describing := func(edit func(*ModelInfo), err error) Model {
		return &fakeModel{describe: func(context.Context) (ModelInfo, error) {
			info := novaLiteInfo
			edit(&info)
			return info, err
		}}
	}
	noEdit := func(*ModelInfo) {}
	denied := &ModelError{Category: CategoryPermission, Message: "access to the model is not granted"}
	tests := []struct {
		name        string
		model       Model
		want        outcome
		wantUsable  bool
		wantMessage string
	}{
		{"active", describing(noEdit, nil), pass, true, "lifecycle ACTIVE"},
		{"legacy", describing(func(i *ModelInfo) { i.Lifecycle = "legacy" }, nil), pass, true, "lifecycle LEGACY"},
		{"end of life", describing(func(i *ModelInfo) { i.Lifecycle = "EOL" }, nil), outcome{CheckFailed, CategoryUnavailable, false}, false, `lifecycle "EOL" is not usable (want ACTIVE or LEGACY)`},
		{"not accessible with reason", describing(func(i *ModelInfo) { i.Accessible, i.AccessError = false, denied }, nil),
			outcome{CheckFailed, CategoryPermission, true}, false, "model is not accessible: access to the model is not granted"},
		{"not accessible without reason", describing(func(i *ModelInfo) { i.Accessible = false }, nil),
			outcome{CheckFailed, CategoryUnavailable, true}, false, "model is not accessible"},
		{"describe fails critically", describing(noEdit, &ModelError{Category: CategoryConfiguration, Message: "model not found"}),
			outcome{CheckFailed, CategoryConfiguration, true}, false, "model not found"},
		{"describe throttled", describing(noEdit, &ModelError{Category: CategoryRateLimit, Message: "slow down"}),
			outcome{CheckFailed, CategoryRateLimit, true}, true, "slow down"},
		{"describe fails unclassified", describing(noEdit, errors.New("connection reset")),
			outcome{CheckFailed, CategoryUnknown, true}, true, "describe: connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, usable := checkAvailability(t.Context(), tt.model)
			if diff := cmp.Diff(tt.want, outcome{got.Status, got.Category, got.Errored}); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nmessage: %q", diff, got.Message)
			}
			if usable != tt.wantUsable {
				t.Errorf("usable = %v, want %v", usable, tt.wantUsable)
			}
			if got.Name != CheckAvailability || got.Message != tt.wantMessage {
				t.Errorf("name %q, message %q; want %q, %q", got.Name, got.Message, CheckAvailability, tt.wantMessage)
			}
		})
	}
}
