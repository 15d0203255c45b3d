package store

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetMissingRowIsErrNotFound(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	_, err := s.Get(context.Background(), "nope", "us-east-1")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing row: %v, want ErrNotFound", err)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	a := testRun{modelID: "a", runID: "run-a", attempt: 1}
	b := testRun{modelID: "b", runID: "run-b", attempt: 1}
	c := testRun{modelID: "c", runID: "run-c", attempt: 1}
	other := c.start()
	other.Source.Namespace = "team-x"
	for _, w := range []write{resultWrite(a, StatusCertified), resultWrite(b, StatusFailed)} {
		if _, err := w.do(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordStart(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter Filter
		want   []string
	}{
		{Filter{}, []string{"a", "b", "c"}},
		{Filter{Status: StatusFailed}, []string{"b"}},
		{Filter{Namespace: "models"}, []string{"a", "b"}},
		{Filter{Namespace: "team-x", Status: StatusProcessing}, []string{"c"}},
		{Filter{ModelID: "a", Region: "us-east-1"}, []string{"a"}},
		{Filter{Region: "eu-west-1"}, nil},
	} {
		rows, err := s.List(ctx, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.ModelID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("List(%+v) (-want +got):\n%s", tc.filter, diff)
		}
	}
}
