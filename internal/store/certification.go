package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is a certification status in the database vocabulary.
type Status string

// The statuses a row can hold; the last three are terminal.
const (
	StatusPending        Status = "PENDING"
	StatusProcessing     Status = "PROCESSING"
	StatusCertified      Status = "CERTIFIED"
	StatusQualityWarning Status = "QUALITY_WARNING"
	StatusFailed         Status = "FAILED"
)

// Terminal reports whether s ends a run.
func (s Status) Terminal() bool {
	return s == StatusCertified || s == StatusQualityWarning || s == StatusFailed
}

// Source names the ModelCertification object a row mirrors.
type Source struct {
	Namespace  string
	Name       string
	UID        string
	Generation int64
}

// Certification is one run's verdict for a model in a region, as the store writes and reads it.
// Empty strings and zero numbers are stored as such; nil times are stored as NULL.
type Certification struct {
	ModelID string
	Region  string
	Status  Status

	Passed        bool
	Score         float64
	Rating        float64
	Badge         string
	ErrorCategory string
	ErrorSeverity string
	ErrorMessage  string
	TestsPassed   int
	TestsFailed   int
	TestsSkipped  int
	SuccessRate   float64
	AvgLatencyMs  float64
	// TestResults is the short per-check summary that status also shows; nil is stored as NULL.
	TestResults  json.RawMessage
	InputTokens  int64
	OutputTokens int64

	// RunID, Attempt and StartedAt identify the run and order it against other runs; see upserts.go.
	RunID       string
	Attempt     int
	StartedAt   time.Time
	CompletedAt *time.Time
	DurationMs  int64
	CertifiedAt *time.Time
	ExpiresAt   *time.Time

	Source Source

	// DeletedAt is set by MarkDeleted; reads return it, writes ignore it (a write revives the row).
	DeletedAt *time.Time
}

// Run is what the history keeps of a finished run beyond the verdict.
type Run struct {
	// CheckResults are the full per-check results; nil is stored as NULL.
	CheckResults json.RawMessage
}

// column is a column both tables share: its SQL type, which parameters are cast to so the
// server can type them without a prepare round trip, and the Certification field it holds.
type column struct {
	name    string
	sqlType string
	// field points into a Certification: the value to write, and the target to scan into.
	field func(*Certification) any
}

// certificationColumns are the columns the current row and the history share, the one list
// every statement and scan is built from.
var certificationColumns = []column{
	{"model_id", "text", func(c *Certification) any { return &c.ModelID }},
	{"region", "text", func(c *Certification) any { return &c.Region }},
	{"status", "text", func(c *Certification) any { return &c.Status }},
	{"passed", "boolean", func(c *Certification) any { return &c.Passed }},
	{"score", "double precision", func(c *Certification) any { return &c.Score }},
	{"rating", "double precision", func(c *Certification) any { return &c.Rating }},
	{"badge", "text", func(c *Certification) any { return &c.Badge }},
	{"error_category", "text", func(c *Certification) any { return &c.ErrorCategory }},
	{"error_severity", "text", func(c *Certification) any { return &c.ErrorSeverity }},
	{"error_message", "text", func(c *Certification) any { return &c.ErrorMessage }},
	{"tests_passed", "integer", func(c *Certification) any { return &c.TestsPassed }},
	{"tests_failed", "integer", func(c *Certification) any { return &c.TestsFailed }},
	{"tests_skipped", "integer", func(c *Certification) any { return &c.TestsSkipped }},
	{"success_rate", "double precision", func(c *Certification) any { return &c.SuccessRate }},
	{"avg_latency_ms", "double precision", func(c *Certification) any { return &c.AvgLatencyMs }},
	{"test_results", "jsonb", func(c *Certification) any { return &c.TestResults }},
	{"input_tokens", "bigint", func(c *Certification) any { return &c.InputTokens }},
	{"output_tokens", "bigint", func(c *Certification) any { return &c.OutputTokens }},
	{"run_id", "text", func(c *Certification) any { return &c.RunID }},
	{"attempt", "integer", func(c *Certification) any { return &c.Attempt }},
	{"started_at", "timestamptz", func(c *Certification) any { return &c.StartedAt }},
	{"completed_at", "timestamptz", func(c *Certification) any { return &c.CompletedAt }},
	{"duration_ms", "bigint", func(c *Certification) any { return &c.DurationMs }},
	{"certified_at", "timestamptz", func(c *Certification) any { return &c.CertifiedAt }},
	{"expires_at", "timestamptz", func(c *Certification) any { return &c.ExpiresAt }},
	{"source_namespace", "text", func(c *Certification) any { return &c.Source.Namespace }},
	{"source_name", "text", func(c *Certification) any { return &c.Source.Name }},
	{"source_uid", "text", func(c *Certification) any { return &c.Source.UID }},
	{"source_generation", "bigint", func(c *Certification) any { return &c.Source.Generation }},
}

// runColumns are the history's columns: the shared ones, then the run's check results, whose
// value comes from Run (RecordResult appends it).
var runColumns = append(certificationColumns[:len(certificationColumns):len(certificationColumns)],
	column{name: "check_results", sqlType: "jsonb"})

// certificationFields returns pointers to c's fields in the order of certificationColumns,
// as arguments (pgx writes what they point to) or as scan targets.
func certificationFields(c *Certification) []any {
	fields := make([]any, len(certificationColumns))
	for i, col := range certificationColumns {
		fields[i] = col.field(c)
	}
	return fields
}

// nilIfEmpty makes an empty JSON document nil (stored as NULL): pgx would reject it as invalid.
func nilIfEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return raw
}

// columnList joins the column names, each with prefix (for example "cur." or "EXCLUDED.").
func columnList(prefix string, columns []column) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = prefix + c.name
	}
	return strings.Join(names, ", ")
}

// placeholders returns a typed parameter per column, such as "$1::text, $2::boolean".
func placeholders(columns []column) string {
	params := make([]string, len(columns))
	for i, c := range columns {
		params[i] = fmt.Sprintf("$%d::%s", i+1, c.sqlType)
		if c.sqlType == "jsonb" {
			// pgx sends a nil document as JSON null; store it as SQL NULL.
			params[i] = "NULLIF(" + params[i] + ", 'null')"
		}
	}
	return strings.Join(params, ", ")
}

// validate rejects a write that could not be ordered against other runs.
func validate(c Certification) error {
	switch {
	case c.ModelID == "" || c.Region == "":
		return errors.New("model id and region are required")
	case c.RunID == "":
		return errors.New("run id is required")
	case c.StartedAt.IsZero():
		return fmt.Errorf("run %s: started at is required", c.RunID)
	}
	return nil
}
