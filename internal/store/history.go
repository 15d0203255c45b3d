package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecordedRun is a finished run as the history holds it: the verdict, the full per-check
// results and when the mirror recorded it.
type RecordedRun struct {
	Certification
	Run
	RecordedAt time.Time
}

// lastRunSQL reads the newest history row of one object for a model and region, by the runs'
// ordering key; the history's (model_id, region, started_at) index serves it newest first.
var lastRunSQL = `SELECT ` + columnList("", certificationColumns) + `, check_results, recorded_at
FROM certification_runs
WHERE model_id = $1::text AND region = $2::text AND source_uid = $3::text
ORDER BY started_at DESC, attempt DESC, run_id DESC
LIMIT 1`

// LastRun returns the newest finished run that the object with uid recorded for a model in a
// region, or ErrNotFound. The uid keeps out other objects naming the same model and region, and
// an earlier object of the same name.
func (s *Store) LastRun(ctx context.Context, modelID, region, uid string) (RecordedRun, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, lastRunSQL, modelID, region, uid)
	if err != nil {
		return RecordedRun{}, fmt.Errorf("read last run of %s/%s: %w", modelID, region, err)
	}
	run, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (RecordedRun, error) {
		var r RecordedRun
		err := row.Scan(append(certificationFields(&r.Certification), &r.CheckResults, &r.RecordedAt)...)
		return r, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return RecordedRun{}, fmt.Errorf("read last run of %s/%s: %w", modelID, region, ErrNotFound)
	}
	if err != nil {
		return RecordedRun{}, fmt.Errorf("read last run of %s/%s: %w", modelID, region, err)
	}
	return run, nil
}
