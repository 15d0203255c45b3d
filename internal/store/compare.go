package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Expected is what one object's status says its row should hold. Status is in the database
// vocabulary (CERTIFIED, not Certified). An object with no RunID has not started a run and
// expects no row.
type Expected struct {
	Namespace string
	Name      string
	// UID, Attempt and StartedAt identify the object and order its run against the row's.
	UID           string
	Attempt       int
	StartedAt     time.Time
	ModelID       string
	Region        string
	RunID         string
	Status        Status
	Score         float64
	Rating        float64
	Badge         string
	ErrorCategory string
}

// DifferenceKind says how a row disagrees with the objects.
type DifferenceKind string

// The ways a row can disagree with the objects.
const (
	// MissingRow: the object has a run, the table has no row for its model and region.
	MissingRow DifferenceKind = "MissingRow"
	// DeletedRow: the object exists, its row is marked deleted.
	DeletedRow DifferenceKind = "DeletedRow"
	// StaleRun: the row holds another run than the object's status. When the row holds a
	// newer run of another object naming the same model and region (Difference.Owner), that is
	// how the table works, one row per model and region with the newest run winning, not a fault.
	StaleRun DifferenceKind = "StaleRun"
	// FieldMismatch: same run, but a field differs.
	FieldMismatch DifferenceKind = "FieldMismatch"
	// OrphanRow: a live row that no object mirrors; Namespace and Name are the object the row
	// names, which does not exist.
	OrphanRow DifferenceKind = "OrphanRow"
)

// Difference is one disagreement between an object's status and the mirror. Want and Got are
// the status and row values as text.
type Difference struct {
	Kind      DifferenceKind
	Namespace string
	Name      string
	ModelID   string
	Region    string
	Field     string
	Want      string
	Got       string
	// Owner is the namespace/name of the other object whose newer run the row holds, for a
	// StaleRun that is no fault (see Fault).
	Owner string
}

// Fault reports whether the difference is one the mirror should not have left: everything but
// a row shared with another object whose run is newer.
func (d Difference) Fault() bool { return d.Owner == "" }

func (d Difference) String() string {
	object := d.Namespace + "/" + d.Name
	if d.Kind == OrphanRow {
		object = "(no object " + object + ")"
	}
	s := fmt.Sprintf("%s %s %s/%s %s: status %q, row %q", d.Kind, object, d.ModelID, d.Region, d.Field, d.Want, d.Got)
	if d.Owner != "" {
		s += " (the row holds the newer run of " + d.Owner + ")"
	}
	return s
}

// scoreTolerance absorbs float formatting on the way through the object's JSON status.
const scoreTolerance = 1e-9

// Compare lists where rows disagree with the objects' statuses, object by object in the
// order of want, then orphan rows in the order of rows. It reads nothing.
func Compare(want []Expected, rows []Certification) []Difference {
	type key struct{ modelID, region string }
	byKey := make(map[key]Certification, len(rows))
	for _, row := range rows {
		byKey[key{row.ModelID, row.Region}] = row
	}
	wanted := make(map[key]bool, len(want))
	objects := make(map[string]string, len(want)) // uid → namespace/name
	for _, w := range want {
		objects[w.UID] = w.Namespace + "/" + w.Name
	}
	var diffs []Difference
	for _, w := range want {
		k := key{w.ModelID, w.Region}
		wanted[k] = true
		differ := func(kind DifferenceKind, field, wantValue, gotValue string) {
			diffs = append(diffs, Difference{
				Kind: kind, Namespace: w.Namespace, Name: w.Name, ModelID: w.ModelID, Region: w.Region,
				Field: field, Want: wantValue, Got: gotValue,
			})
		}
		row, found := byKey[k]
		switch {
		case !found:
			if w.RunID != "" {
				differ(MissingRow, "row", w.RunID, "")
			}
			continue
		case row.RunID != w.RunID:
			differ(StaleRun, "run_id", w.RunID, row.RunID)
			run := Certification{RunID: w.RunID, Attempt: w.Attempt, StartedAt: w.StartedAt}
			if owner, live := objects[row.Source.UID]; live && row.Source.UID != w.UID && !run.NewerThan(Hold(row)) {
				diffs[len(diffs)-1].Owner = owner
			}
			continue
		case row.DeletedAt != nil:
			differ(DeletedRow, "deleted_at", "", row.DeletedAt.UTC().Format(time.RFC3339))
		}
		if row.Status != w.Status {
			differ(FieldMismatch, "status", string(w.Status), string(row.Status))
		}
		if math.Abs(row.Score-w.Score) > scoreTolerance {
			differ(FieldMismatch, "score", formatFloat(w.Score), formatFloat(row.Score))
		}
		if math.Abs(row.Rating-w.Rating) > scoreTolerance {
			differ(FieldMismatch, "rating", formatFloat(w.Rating), formatFloat(row.Rating))
		}
		if row.Badge != w.Badge {
			differ(FieldMismatch, "badge", w.Badge, row.Badge)
		}
		if row.ErrorCategory != w.ErrorCategory {
			differ(FieldMismatch, "error_category", w.ErrorCategory, row.ErrorCategory)
		}
	}
	for _, row := range rows {
		if !wanted[key{row.ModelID, row.Region}] && row.DeletedAt == nil {
			diffs = append(diffs, Difference{
				Kind: OrphanRow, Namespace: row.Source.Namespace, Name: row.Source.Name,
				ModelID: row.ModelID, Region: row.Region, Field: "row", Got: row.RunID,
			})
		}
	}
	return diffs
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Check reads every row and compares it with want, which must hold every object in the
// cluster: a row no object in want mirrors is reported as an orphan.
func (s *Store) Check(ctx context.Context, want []Expected) ([]Difference, error) {
	rows, err := s.List(ctx, Filter{})
	if err != nil {
		return nil, fmt.Errorf("check mirror: %w", err)
	}
	return Compare(want, rows), nil
}
