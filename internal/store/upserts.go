package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Run ordering. A run's ordering key is (started_at, attempt, run_id), compared as a tuple:
//   - started_at comes first because it survives what attempt does not: an object deleted and
//     created again starts counting attempts from 1, yet its runs are newer. It is set once by
//     the controller when the run starts and kept in status, so every write of a run carries it.
//   - attempt breaks ties between runs started in the same second (status times have second
//     precision), such as a retry that follows a fast failure.
//   - run_id makes the order total, so two replicas that both write converge on the same row
//     whatever order their writes land in.
//
// The key depends on the clock of the replica that started the run; a skew larger than the gap
// between two runs' starts could keep the older one, until the next run (Check reports it).
// Attempt first would avoid that but would lock out a re-created object, which is worse.
//
// Within one run (same run_id) the status only moves forward by certification_status_rank
// (PENDING < PROCESSING < terminal). A terminal verdict is final: the history row for a run is
// written once (ON CONFLICT DO NOTHING), and another terminal status for the same run is
// refused. The fields of the same status still follow the object's status (an edited validFor
// moves expires_at; a row edited by hand is repaired), and a row marked deleted is revived by
// its own run's write of the same rank.
//
// Every update also requires the row to differ, so a replay changes nothing, updated_at included.
const (
	newerRunGuard = `(EXCLUDED.run_id <> cur.run_id
        AND (EXCLUDED.started_at, EXCLUDED.attempt, EXCLUDED.run_id) > (cur.started_at, cur.attempt, cur.run_id))`
	sameRunGuard = `(EXCLUDED.run_id = cur.run_id
        AND (certification_status_rank(EXCLUDED.status) > certification_status_rank(cur.status)
          OR EXCLUDED.status = cur.status
          OR (certification_status_rank(EXCLUDED.status) = certification_status_rank(cur.status)
              AND cur.deleted_at IS NOT NULL)))`
)

var (
	// upsertCertificationSQL writes the current row; its parameters are certificationFields.
	upsertCertificationSQL = buildUpsertCertification()
	// recordResultSQL inserts the history row and upserts the current row in one statement,
	// so a run's end costs one round trip. Parameters: certificationFields, then check results.
	recordResultSQL = `WITH run AS (
    INSERT INTO certification_runs (` + columnList("", runColumns) + `)
    VALUES (` + placeholders(runColumns) + `)
    ON CONFLICT (run_id) DO NOTHING
)
` + upsertCertificationSQL
)

// writeStatements are prepared on every connection, each named by its own text, which pgx
// looks up before anything else: a prepared write skips the server's parse and plan.
var writeStatements = []string{upsertCertificationSQL, recordResultSQL}

// undefinedTable is the SQLSTATE of a schema that is not migrated yet.
const undefinedTable = "42P01"

// prepareWrites prepares writeStatements on a new connection. Before the first migration the
// tables do not exist yet; the connection then runs writes unprepared, and Migrate replaces it.
func prepareWrites(ctx context.Context, conn *pgx.Conn) error {
	for _, statement := range writeStatements {
		_, err := conn.Prepare(ctx, statement, statement)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
			return nil
		}
		if err != nil {
			return fmt.Errorf("prepare writes: %w", err)
		}
	}
	return nil
}

func buildUpsertCertification() string {
	// The key columns never change on conflict; the rest are replaced, deleted_at is cleared.
	updated := certificationColumns[2:]
	return `INSERT INTO model_certifications AS cur (` + columnList("", certificationColumns) + `)
VALUES (` + placeholders(certificationColumns) + `)
ON CONFLICT (model_id, region) DO UPDATE
SET (` + columnList("", updated) + `, deleted_at, updated_at)
  = (` + columnList("EXCLUDED.", updated) + `, NULL, now())
WHERE (` + newerRunGuard + `
    OR ` + sameRunGuard + `)
  AND (` + columnList("cur.", updated) + `, cur.deleted_at)
      IS DISTINCT FROM (` + columnList("EXCLUDED.", updated) + `, NULL)`
}

// RecordStart mirrors the start of a run: the row becomes PROCESSING for c's run. The verdict
// fields are written as c carries them: during a re-certification the object's status keeps the
// last verdict, and the row mirrors the status. It reports whether the row changed; false means
// a replay or a write the row's newer state outranks.
func (s *Store) RecordStart(ctx context.Context, c Certification) (bool, error) {
	c.Status = StatusProcessing
	if err := validate(c); err != nil {
		return false, fmt.Errorf("record start %s/%s: %w", c.ModelID, c.Region, err)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	c.TestResults = nilIfEmpty(c.TestResults)
	tag, err := s.pool.Exec(ctx, upsertCertificationSQL, certificationFields(&c)...)
	if err != nil {
		return false, fmt.Errorf("record start %s/%s run %s: %w", c.ModelID, c.Region, c.RunID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordResult mirrors a finished run: it appends the run to the history (once per run id)
// and upserts the current row, in one round trip. c.Status must be terminal. It reports
// whether the current row changed.
func (s *Store) RecordResult(ctx context.Context, c Certification, run Run) (bool, error) {
	if err := validate(c); err != nil {
		return false, fmt.Errorf("record result %s/%s: %w", c.ModelID, c.Region, err)
	}
	if !c.Status.Terminal() {
		return false, fmt.Errorf("record result %s/%s run %s: status %q is not terminal", c.ModelID, c.Region, c.RunID, c.Status)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	c.TestResults = nilIfEmpty(c.TestResults)
	args := append(certificationFields(&c), nilIfEmpty(run.CheckResults))
	tag, err := s.pool.Exec(ctx, recordResultSQL, args...)
	if err != nil {
		return false, fmt.Errorf("record result %s/%s run %s: %w", c.ModelID, c.Region, c.RunID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkDeleted is the Retain deletion policy: the rows the object with uid owns stay, with
// deleted_at (and updated_at) set, so consumers syncing by updated_at see them go. A row
// belongs to the object whose uid it carries, whichever of its runs the row holds, so an
// object's older runs cannot outlive it; a row another object's newer run took over is not
// touched. A later write of a current run revives the row. It reports how many rows it marked.
//
// A row whose run never ended (the object was deleted while it ran, and deletion cancels the
// run) keeps no run in progress: it is first set back to the object's newest verdict in the
// history, so that the retained row is a verdict, not a run that will never finish.
func (s *Store) MarkDeleted(ctx context.Context, uid string) (int64, error) {
	if uid == "" {
		return 0, errors.New("mark deleted: the object's uid is required")
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	var marked int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, restoreUnfinished, uid); err != nil {
			return fmt.Errorf("restore the last verdict: %w", err)
		}
		tag, err := tx.Exec(ctx, `UPDATE model_certifications SET deleted_at = now(), updated_at = now()
WHERE source_uid = $1::text AND deleted_at IS NULL`, uid)
		marked = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark deleted rows of object %s: %w", uid, err)
	}
	return marked, nil
}

// restoreUnfinished sets an object's rows whose run never ended back to the newest verdict the
// history holds of them.
var restoreUnfinished = func() string {
	verdict := certificationColumns[2:] // every column but the key (model_id, region)
	return `UPDATE model_certifications cur SET (` + columnList("", verdict) + `) = (
    SELECT ` + columnList("h.", verdict) + ` FROM certification_runs h
    WHERE h.source_uid = cur.source_uid AND h.model_id = cur.model_id AND h.region = cur.region
    ORDER BY h.started_at DESC, h.attempt DESC LIMIT 1)
WHERE cur.source_uid = $1::text AND cur.deleted_at IS NULL
  AND certification_status_rank(cur.status) < 2
  AND EXISTS (SELECT 1 FROM certification_runs h
      WHERE h.source_uid = cur.source_uid AND h.model_id = cur.model_id AND h.region = cur.region)`
}()

// Delete is the Delete deletion policy: the rows the object with uid owns go, the history
// stays. Like MarkDeleted it matches by owner, not by run. It reports how many rows it deleted.
func (s *Store) Delete(ctx context.Context, uid string) (int64, error) {
	return s.releaseRows(ctx, "delete", `DELETE FROM model_certifications WHERE source_uid = $1::text`, uid)
}

func (s *Store) releaseRows(ctx context.Context, what, statement, uid string) (int64, error) {
	if uid == "" {
		return 0, fmt.Errorf("%s: the object's uid is required", what)
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, statement, uid)
	if err != nil {
		return 0, fmt.Errorf("%s rows of object %s: %w", what, uid, err)
	}
	return tag.RowsAffected(), nil
}
