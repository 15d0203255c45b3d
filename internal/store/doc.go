// Package store mirrors certification verdicts into PostgreSQL with guarded, replay-safe upserts.
package store
