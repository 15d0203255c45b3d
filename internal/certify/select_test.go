package certify

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		want             []string
		wantErr          string
	}{
		{name: "everything by default", want: CheckNames()},
		{name: "include keeps battery order", include: []string{"vision", "basic-prompt"}, want: []string{"availability", "basic-prompt", "vision"}},
		{name: "availability always runs", include: []string{"json-output"}, want: []string{"availability", "json-output"}},
		{name: "exclude wins over include", include: []string{"vision", "basic-prompt"}, exclude: []string{"vision"}, want: []string{"availability", "basic-prompt"}},
		{name: "exclude from everything", exclude: []string{"streaming", "consistency", "vision", "tool-use", "json-output", "max-tokens", "stop-sequence", "multi-turn", "system-prompt", "text-generation", "error-handling"},
			want: []string{"availability", "basic-prompt", "parameters"}},
		{name: "unknown include", include: []string{"basic-prompt", "telepathy"},
			wantErr: `unknown check "telepathy" (valid checks: availability, basic-prompt, streaming, parameters, error-handling, consistency, system-prompt, multi-turn, max-tokens, stop-sequence, json-output, tool-use, text-generation, vision)`},
		{name: "unknown names listed once each", include: []string{"Vision", "x"}, exclude: []string{"x"},
			wantErr: `unknown checks "Vision", "x" (valid checks: availability, basic-prompt, streaming, parameters, error-handling, consistency, system-prompt, multi-turn, max-tokens, stop-sequence, json-output, tool-use, text-generation, vision)`},
		{name: "availability runs even when excluded", include: []string{"vision"}, exclude: []string{"availability"}, want: []string{"availability", "vision"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.include, tt.exclude)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Select() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Select() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Select() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckNames(t *testing.T) {
	want := []string{"availability", "basic-prompt", "streaming", "parameters", "error-handling", "consistency",
		"system-prompt", "multi-turn", "max-tokens", "stop-sequence", "json-output", "tool-use", "text-generation", "vision"}
	if diff := cmp.Diff(want, CheckNames()); diff != "" {
		t.Errorf("CheckNames() (-want +got):\n%s", diff)
	}
}
