package bedrock

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLRUDropsTheLeastRecentlyUsed(t *testing.T) {
	l := newLRU[string, int](2)
	builds := 0
	get := func(key string) int {
		t.Helper()
		v, err := l.get(key, func() (int, error) { builds++; return builds, nil })
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		return v
	}
	got := []int{
		get("a"), // built: 1
		get("b"), // built: 2
		get("a"), // kept: 1, and now the most recent
		get("c"), // built: 3; drops b
		get("a"), // kept: 1
		get("b"), // built again: 4; drops c
	}
	if diff := cmp.Diff([]int{1, 2, 1, 3, 1, 4}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if l.len() != 2 {
		t.Errorf("len = %d, want 2", l.len())
	}
}

func TestLRUKeepsNothingWhenTheBuildFails(t *testing.T) {
	l := newLRU[string, int](2)
	boom := errors.New("boom")
	if _, err := l.get("a", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if l.len() != 0 {
		t.Errorf("len = %d after a failed build, want 0", l.len())
	}
	if v, _ := l.get("a", func() (int, error) { return 7, nil }); v != 7 {
		t.Errorf("value after a failed build = %d, want 7 (built again)", v)
	}
}
