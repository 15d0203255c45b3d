package certify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func jsonRoundTrip[T any](v T) (T, error) {
	var out T
	data, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(data, &out)
	return out, err
}

func TestResultJSON(t *testing.T) {
	r := Result{
		Name: "tool-use", Status: CheckFailed, Latency: 1234 * time.Millisecond, Message: "no call to get_weather",
		Category: CategoryRateLimit, Usage: Usage{InputTokens: 12, OutputTokens: 3}, Retries: 2, Errored: true, Temporary: true,
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"tool-use","status":"Failed","latencyMs":1234,"message":"no call to get_weather","category":"RATE_LIMIT","inputTokens":12,"outputTokens":3,"retries":2,"errored":true,"temporary":true}`
	if string(data) != want {
		t.Errorf("JSON\n got %s\nwant %s", data, want)
	}
	back, err := jsonRoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	refused := Result{Name: "tool-use", Status: CheckSkipped, Unsupported: CapabilityToolUse, Message: "not supported: This model doesn't support tool use."}
	if back, err := jsonRoundTrip(refused); err != nil || !cmp.Equal(refused, back) {
		t.Errorf("round trip of %+v gave %+v, %v", refused, back, err)
	}
}

func TestShorten(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("é", maxMessageLen), strings.Repeat("é", maxMessageLen)},
		{strings.Repeat("é", maxMessageLen+1), strings.Repeat("é", maxMessageLen) + "…"},
	}
	for _, tt := range tests {
		if got := shorten(tt.in); got != tt.want {
			t.Errorf("shorten(%d runes) = %d runes %q…", len([]rune(tt.in)), len([]rune(got)), got[:10])
		}
	}
}
