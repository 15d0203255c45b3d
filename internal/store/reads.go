package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrNotFound means no row exists for the model and region.
var ErrNotFound = errors.New("certification not found")

// Filter narrows List; an empty field matches everything.
type Filter struct {
	Status    Status
	Region    string
	ModelID   string
	Namespace string
}

// selectCertificationSQL reads rows in the shape scanCertification expects.
var selectCertificationSQL = `SELECT ` + columnList("", certificationColumns) + `, deleted_at FROM model_certifications`

// Get returns the current row for a model in a region, deleted or not, or ErrNotFound.
func (s *Store) Get(ctx context.Context, modelID, region string) (Certification, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, selectCertificationSQL+` WHERE model_id = $1::text AND region = $2::text`, modelID, region)
	if err != nil {
		return Certification{}, fmt.Errorf("get certification %s/%s: %w", modelID, region, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCertification)
	if errors.Is(err, pgx.ErrNoRows) {
		return Certification{}, fmt.Errorf("get certification %s/%s: %w", modelID, region, ErrNotFound)
	}
	if err != nil {
		return Certification{}, fmt.Errorf("get certification %s/%s: %w", modelID, region, err)
	}
	return c, nil
}

// List returns the rows matching f, deleted ones included, ordered by model and region.
func (s *Store) List(ctx context.Context, f Filter) ([]Certification, error) {
	var conditions []string
	var args []any
	for _, match := range []struct{ column, value string }{
		{"status", string(f.Status)},
		{"region", f.Region},
		{"model_id", f.ModelID},
		{"source_namespace", f.Namespace},
	} {
		if match.value != "" {
			args = append(args, match.value)
			conditions = append(conditions, fmt.Sprintf("%s = $%d::text", match.column, len(args)))
		}
	}
	query := selectCertificationSQL
	if len(conditions) > 0 {
		query += " WHERE " + strings.Join(conditions, " AND ")
	}
	query += " ORDER BY model_id, region"

	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list certifications %+v: %w", f, err)
	}
	list, err := pgx.CollectRows(rows, scanCertification)
	if err != nil {
		return nil, fmt.Errorf("list certifications %+v: %w", f, err)
	}
	return list, nil
}

// scanCertification reads one row of selectCertificationSQL.
func scanCertification(row pgx.CollectableRow) (Certification, error) {
	var c Certification
	err := row.Scan(append(certificationFields(&c), &c.DeletedAt)...)
	return c, err
}
