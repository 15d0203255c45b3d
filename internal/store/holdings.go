package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"
)

// RowKey names a current row: the table holds one per model and region.
type RowKey struct {
	ModelID string
	Region  string
}

// Key is the row c is written to.
func (c Certification) Key() RowKey { return RowKey{ModelID: c.ModelID, Region: c.Region} }

// Held is what the mirror remembers of a current row: its run and owner, enough to order a
// write against it, and a digest of everything else, enough to tell whether an object's status
// still matches it without keeping the row.
type Held struct {
	RunID     string
	Attempt   int
	StartedAt time.Time
	Status    Status
	OwnerUID  string
	Deleted   bool
	Digest    uint64
}

// Hold is what a mirror remembers after writing c.
func Hold(c Certification) Held {
	return Held{RunID: c.RunID, Attempt: c.Attempt, StartedAt: c.StartedAt, Status: c.Status,
		OwnerUID: c.Source.UID, Deleted: c.DeletedAt != nil, Digest: c.Digest()}
}

// NewerThan reports whether c's run orders after the held row's run, by the same key the
// guarded upserts use: (started_at, attempt, run_id).
func (c Certification) NewerThan(h Held) bool {
	started, heldStarted := c.StartedAt.UnixMicro(), h.StartedAt.UnixMicro()
	switch {
	case started != heldStarted:
		return started > heldStarted
	case c.Attempt != h.Attempt:
		return c.Attempt > h.Attempt
	default:
		return c.RunID > h.RunID
	}
}

// Digest hashes every column a write sets, so that a row read back from the database and the
// row derived from an object's status have the same digest exactly when a write would change
// nothing. Times count in microseconds (the database's precision) and JSON documents in a
// canonical form (jsonb reorders keys and respaces).
func (c Certification) Digest() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	for _, col := range certificationColumns {
		switch v := col.field(&c).(type) {
		case *string:
			h.Write([]byte(*v))
		case *Status:
			h.Write([]byte(*v))
		case *bool:
			if *v {
				h.Write([]byte{1})
			} else {
				h.Write([]byte{0})
			}
		case *float64:
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(*v))
			h.Write(buf[:])
		case *int:
			binary.LittleEndian.PutUint64(buf[:], uint64(*v))
			h.Write(buf[:])
		case *int64:
			binary.LittleEndian.PutUint64(buf[:], uint64(*v))
			h.Write(buf[:])
		case *time.Time:
			binary.LittleEndian.PutUint64(buf[:], uint64(v.UnixMicro()))
			h.Write(buf[:])
		case **time.Time:
			if *v != nil {
				binary.LittleEndian.PutUint64(buf[:], uint64((*v).UnixMicro()))
				h.Write(buf[:])
			}
		case *json.RawMessage:
			h.Write(canonicalJSON(*v))
		default:
			panic(fmt.Sprintf("digest: column %s has unhandled type %T", col.name, v))
		}
		h.Write([]byte{0}) // separates columns, so that ("ab", "") and ("a", "b") differ
	}
	return h.Sum64()
}

// canonicalJSON re-encodes a document with sorted keys and no spaces; empty and null are nil.
func canonicalJSON(raw json.RawMessage) []byte {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// Holdings reads what every current row holds, in one query, for the mirror to compare with
// the objects' statuses.
func (s *Store) Holdings(ctx context.Context) (map[RowKey]Held, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, selectCertificationSQL)
	if err != nil {
		return nil, fmt.Errorf("read holdings: %w", err)
	}
	defer rows.Close()
	held := map[RowKey]Held{}
	for rows.Next() {
		c, err := scanCertification(rows)
		if err != nil {
			return nil, fmt.Errorf("read holdings: %w", err)
		}
		held[c.Key()] = Hold(c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read holdings: %w", err)
	}
	return held, nil
}
