package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	deleted := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	row := func(modelID, runID string, status Status, edit func(*Certification)) Certification {
		c := Certification{ModelID: modelID, Region: "us-east-1", RunID: runID, Status: status,
			Score: 0.92, Rating: 4.6, Badge: "RECOMMENDED"}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	object := func(name, modelID, runID string, status Status, edit func(*Expected)) Expected {
		e := Expected{Namespace: "models", Name: name, ModelID: modelID, Region: "us-east-1", RunID: runID,
			Status: status, Score: 0.92, Rating: 4.6, Badge: "RECOMMENDED"}
		if edit != nil {
			edit(&e)
		}
		return e
	}
	owned := func(uid string, attempt int) func(*Expected) {
		return func(e *Expected) { e.UID, e.Attempt = uid, attempt }
	}
	ownedRow := func(uid string, attempt int) func(*Certification) {
		return func(c *Certification) { c.Source.UID, c.Attempt = uid, attempt }
	}
	for _, tc := range []struct {
		name string
		want []Expected
		rows []Certification
		diff []Difference
	}{
		{
			name: "all agree",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, nil), object("b", "model-b", "run-2", StatusProcessing, nil)},
			rows: []Certification{row("model-a", "run-1", StatusCertified, nil), row("model-b", "run-2", StatusProcessing, nil)},
		},
		{
			name: "nothing at all",
		},
		{
			name: "object without a run expects no row",
			want: []Expected{object("new", "model-n", "", StatusPending, nil)},
		},
		{
			name: "missing row",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, nil)},
			diff: []Difference{{Kind: MissingRow, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "row", Want: "run-1"}},
		},
		{
			name: "stale run",
			want: []Expected{object("a", "model-a", "run-2", StatusProcessing, nil)},
			rows: []Certification{row("model-a", "run-1", StatusCertified, nil)},
			diff: []Difference{{Kind: StaleRun, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "run_id", Want: "run-2", Got: "run-1"}},
		},
		{
			name: "field mismatches",
			want: []Expected{object("a", "model-a", "run-1", StatusFailed, func(e *Expected) { e.ErrorCategory = "UNAVAILABLE"; e.Badge = "UNAVAILABLE" })},
			rows: []Certification{row("model-a", "run-1", StatusCertified, func(c *Certification) { c.Score = 0.5 })},
			diff: []Difference{
				{Kind: FieldMismatch, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "status", Want: "FAILED", Got: "CERTIFIED"},
				{Kind: FieldMismatch, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "score", Want: "0.92", Got: "0.5"},
				{Kind: FieldMismatch, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "badge", Want: "UNAVAILABLE", Got: "RECOMMENDED"},
				{Kind: FieldMismatch, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "error_category", Want: "UNAVAILABLE", Got: ""},
			},
		},
		{
			name: "float noise is not a difference",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, nil)},
			rows: []Certification{row("model-a", "run-1", StatusCertified, func(c *Certification) { c.Rating += 1e-12 })},
		},
		{
			name: "row of a living object marked deleted",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, nil)},
			rows: []Certification{row("model-a", "run-1", StatusCertified, func(c *Certification) { c.DeletedAt = &deleted })},
			diff: []Difference{{Kind: DeletedRow, Namespace: "models", Name: "a", ModelID: "model-a", Region: "us-east-1", Field: "deleted_at", Got: "2026-11-01T00:00:00Z"}},
		},
		{
			name: "orphan row; a row marked deleted is not one",
			rows: []Certification{
				row("model-o", "run-9", StatusCertified, func(c *Certification) { c.Source = Source{Namespace: "gone", Name: "o"} }),
				row("model-d", "run-8", StatusFailed, func(c *Certification) { c.DeletedAt = &deleted }),
			},
			diff: []Difference{{Kind: OrphanRow, Namespace: "gone", Name: "o", ModelID: "model-o", Region: "us-east-1", Field: "row", Got: "run-9"}},
		},
		{
			name: "two objects for one model and region: the one whose run the row holds agrees",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, owned("uid-a", 2)), object("dup", "model-a", "run-0", StatusFailed, owned("uid-dup", 1))},
			rows: []Certification{row("model-a", "run-1", StatusCertified, ownedRow("uid-a", 2))},
			diff: []Difference{{Kind: StaleRun, Namespace: "models", Name: "dup", ModelID: "model-a", Region: "us-east-1", Field: "run_id", Want: "run-0", Got: "run-1", Owner: "models/a"}},
		},
		{
			name: "two objects for one model and region: a newer run the row lacks is a fault",
			want: []Expected{object("a", "model-a", "run-1", StatusCertified, owned("uid-a", 1)), object("late", "model-a", "run-2", StatusProcessing, owned("uid-late", 2))},
			rows: []Certification{row("model-a", "run-1", StatusCertified, ownedRow("uid-a", 1))},
			diff: []Difference{{Kind: StaleRun, Namespace: "models", Name: "late", ModelID: "model-a", Region: "us-east-1", Field: "run_id", Want: "run-2", Got: "run-1"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.diff, Compare(tc.want, tc.rows)); diff != "" {
				t.Errorf("Compare (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckReadsRowsAndCompares(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	run := testRun{modelID: "m", runID: "run-1", attempt: 1}
	result := run.result(StatusCertified)
	if _, err := s.RecordResult(ctx, result, testCheckResults); err != nil {
		t.Fatal(err)
	}
	want := []Expected{{
		Namespace: "models", Name: "m", ModelID: "m", Region: "us-east-1", RunID: "run-1",
		Status: StatusCertified, Score: result.Score, Rating: result.Rating, Badge: result.Badge,
	}}
	diffs, err := s.Check(ctx, want)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("Check of an agreeing mirror = %v, %v; want no differences", diffs, err)
	}
	want[0].Badge = "PREMIUM"
	diffs, err = s.Check(ctx, want)
	if err != nil || len(diffs) != 1 || diffs[0].Field != "badge" {
		t.Fatalf("Check with a changed badge = %v, %v; want the badge difference", diffs, err)
	}
	t.Log(diffs[0])
}
