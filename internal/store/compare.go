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
	Namespace     string
	Name          string
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
	// StaleRun: the row holds another run than the object's status.
	StaleRun DifferenceKind = "StaleRun"
	// FieldMismatch: same run, but a field differs.
	FieldMismatch DifferenceKind = "FieldMismatch"
	// OrphanRow: a live row that no object mirrors.
	OrphanRow DifferenceKind = "OrphanRow"
)

// Difference is one disagreement between an object's status and the mirror. Namespace and
// Name are empty for an orphan row; Want and Got are the status and row values as text.
type Difference struct {
	Kind      DifferenceKind
	Namespace string
	Name      string
	ModelID   string
	Region    string
	Field     string
	Want      string
	Got       string
}

func (d Difference) String() string {
	object := d.Namespace + "/" + d.Name
	if d.Kind == OrphanRow {
		object = "(no object)"
	}
	return fmt.Sprintf("%s %s %s/%s %s: status %q, row %q", d.Kind, object, d.ModelID, d.Region, d.Field, d.Want, d.Got)
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
				Kind: OrphanRow, ModelID: row.ModelID, Region: row.Region,
				Field: "row", Got: row.RunID,
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
