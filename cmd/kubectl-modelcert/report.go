package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// databaseURLEnv is the default of --database-url, the variable the manager reads too.
const databaseURLEnv = "MODELCERT_DATABASE_URL"

func newReportCommand(o *options) *cobra.Command {
	var output, databaseURL string
	cmd := &cobra.Command{
		Use:   "report NAME",
		Short: "Print the per-check report of a ModelCertification's last run",
		Long: `Print the verdict of a ModelCertification's last finished run and its per-check table:
check, result, latency, retries, tokens (input/output) and message.

The full table comes from the operator's PostgreSQL history (certification_runs), read with
--database-url. Without it the report shows what the object's status holds: the verdict, the
counts and at most 10 failed checks.`,
		Example: `  kubectl modelcert report nova-lite-us-east-1 -n models --database-url "$MODELCERT_DATABASE_URL"
  kubectl modelcert report nova-lite-us-east-1 -n models -o yaml
  kubectl modelcert report nova-lite-us-east-1   # the status only`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("report: want one ModelCertification name, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateOutput(output); err != nil {
				return err
			}
			r, err := buildReport(cmd.Context(), o, args[0], databaseURL)
			if err != nil {
				return err
			}
			if structured(output) {
				return printStructured(o.Out, output, r)
			}
			return printReport(o.Out, r, output == outputWide)
		},
	}
	addOutputFlag(cmd, &output, "adds each check's error category")
	cmd.Flags().StringVar(&databaseURL, "database-url", os.Getenv(databaseURLEnv),
		"PostgreSQL URL of the operator's database, for the full per-check table (default $"+databaseURLEnv+")")
	return cmd
}

// report is a finished run's verdict and, from the database, its per-check results.
type report struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	ModelID   string `json:"modelId"`
	Region    string `json:"region"`
	// Source is where the report comes from: database or status.
	Source        string             `json:"source"`
	RunID         string             `json:"runID"`
	Attempt       int                `json:"attempt"`
	Phase         certv1.Phase       `json:"phase"`
	Passed        bool               `json:"passed"`
	Score         float64            `json:"score"`
	Rating        float64            `json:"rating"`
	Badge         string             `json:"badge"`
	ErrorCategory string             `json:"errorCategory,omitempty"`
	ErrorMessage  string             `json:"errorMessage,omitempty"`
	StartedAt     *time.Time         `json:"startedAt,omitempty"`
	CompletedAt   *time.Time         `json:"completedAt,omitempty"`
	DurationMs    int64              `json:"durationMs"`
	ValidUntil    *time.Time         `json:"validUntil,omitempty"`
	Checks        certv1.CheckCounts `json:"checks"`
	Usage         certv1.Usage       `json:"usage"`
	// Results are every check's result; only the database has them.
	Results []certify.Result `json:"results,omitempty"`
	// FailedChecks are the failed checks the status keeps, when the report comes from status.
	FailedChecks []certv1.FailedCheck `json:"failedChecks,omitempty"`
}

// buildReport reads the object and the report of its last finished run, from the database when
// databaseURL is set and from the status otherwise. Notes for the reader go to o.ErrOut.
func buildReport(ctx context.Context, o *options, name, databaseURL string) (report, error) {
	c, err := o.client()
	if err != nil {
		return report{}, err
	}
	ns, err := o.namespace()
	if err != nil {
		return report{}, err
	}
	obj := &certv1.ModelCertification{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return report{}, err
	}
	s := &obj.Status
	if s.Phase == certv1.PhaseProcessing && s.Progress != nil {
		fmt.Fprintf(o.ErrOut, "Run %s is in progress (%d of %d checks done); this is the last finished run.\n",
			s.RunID, s.Progress.Done, s.Progress.Total)
	}
	if databaseURL == "" {
		r, err := statusReport(obj)
		if err != nil {
			return report{}, err
		}
		fmt.Fprintln(o.ErrOut, "The status keeps counts and at most 10 failed checks; the full per-check table needs --database-url.")
		return r, nil
	}

	db, err := store.Open(ctx, store.Config{URL: databaseURL, MaxConns: 1})
	if err != nil {
		return report{}, fmt.Errorf("--database-url: %w", err)
	}
	defer db.Close()
	run, err := db.LastRun(ctx, obj.Spec.ModelID, obj.Spec.Region, string(obj.UID))
	if errors.Is(err, store.ErrNotFound) {
		return report{}, fmt.Errorf("%s/%s has no finished run in the database's certification_runs "+
			"(the operator writes a run there after its verdict, when it runs with this database)", resource, name)
	}
	if err != nil {
		return report{}, err
	}
	if s.CompletedAt != nil && s.Phase != certv1.PhaseProcessing && s.RunID != run.RunID {
		warn(o.ErrOut, "the database does not hold run %s of the status yet; this is run %s", s.RunID, run.RunID)
	}
	return databaseReport(obj, run)
}

// statusReport is the report the object's status alone gives.
func statusReport(obj *certv1.ModelCertification) (report, error) {
	s := &obj.Status
	if s.CompletedAt == nil {
		return report{}, fmt.Errorf("%s/%s has no finished run yet (phase %s)", resource, obj.Name, phaseOrPending(s.Phase))
	}
	phase := s.Phase
	if phase == certv1.PhaseProcessing {
		phase = lastVerdictPhase(obj)
	}
	r := report{
		Namespace: obj.Namespace, Name: obj.Name, ModelID: obj.Spec.ModelID, Region: obj.Spec.Region,
		Source: "status", RunID: s.RunID, Attempt: int(s.Attempt), Phase: phase, Passed: s.Passed,
		Badge: s.Badge, ErrorCategory: s.ErrorCategory, ErrorMessage: s.ErrorMessage,
		CompletedAt: timeOf(s.CompletedAt), DurationMs: s.DurationMs, ValidUntil: timeOf(s.ValidUntil),
		FailedChecks: s.FailedChecks,
	}
	if s.Phase == certv1.PhaseProcessing {
		// The run and its start are the new run's; the verdict fields are the last run's.
		r.RunID, r.Attempt = "", 0
	} else {
		r.StartedAt = timeOf(s.StartedAt)
	}
	if s.Score != nil {
		r.Score = *s.Score
	}
	if s.Rating != nil {
		r.Rating = *s.Rating
	}
	if s.Checks != nil {
		r.Checks = *s.Checks
	}
	if s.Usage != nil {
		r.Usage = *s.Usage
	}
	return r, nil
}

// lastVerdictPhase is the phase of the last verdict while a new run is in progress, from the
// Certified condition the controller keeps during a re-run.
func lastVerdictPhase(obj *certv1.ModelCertification) certv1.Phase {
	for _, c := range obj.Status.Conditions {
		if c.Type != certv1.ConditionCertified {
			continue
		}
		switch certv1.Phase(c.Reason) {
		case certv1.PhaseCertified, certv1.PhaseQualityWarning, certv1.PhaseFailed:
			return certv1.Phase(c.Reason)
		}
	}
	if obj.Status.Passed {
		return certv1.PhaseCertified
	}
	return certv1.PhaseProcessing
}

// databaseReport is the report of a run the history holds.
func databaseReport(obj *certv1.ModelCertification, run store.RecordedRun) (report, error) {
	var results []certify.Result
	if len(run.CheckResults) > 0 {
		if err := json.Unmarshal(run.CheckResults, &results); err != nil {
			return report{}, fmt.Errorf("read check results of run %s: %w", run.RunID, err)
		}
	}
	started := run.StartedAt
	return report{
		Namespace: obj.Namespace, Name: obj.Name, ModelID: run.ModelID, Region: run.Region,
		Source: "database", RunID: run.RunID, Attempt: run.Attempt, Phase: phaseOf(run.Status),
		Passed: run.Passed, Score: run.Score, Rating: run.Rating, Badge: run.Badge,
		ErrorCategory: run.ErrorCategory, ErrorMessage: run.ErrorMessage,
		StartedAt: &started, CompletedAt: run.CompletedAt, DurationMs: run.DurationMs, ValidUntil: run.ExpiresAt,
		Checks: certv1.CheckCounts{
			Total:  int32(run.TestsPassed + run.TestsFailed + run.TestsSkipped),
			Passed: int32(run.TestsPassed), Failed: int32(run.TestsFailed), Skipped: int32(run.TestsSkipped),
		},
		Usage:   certv1.Usage{InputTokens: run.InputTokens, OutputTokens: run.OutputTokens},
		Results: results,
	}, nil
}

// phaseOf maps a history row's status, always terminal, to the API's vocabulary.
func phaseOf(s store.Status) certv1.Phase {
	switch s {
	case store.StatusCertified:
		return certv1.PhaseCertified
	case store.StatusQualityWarning:
		return certv1.PhaseQualityWarning
	default:
		return certv1.PhaseFailed
	}
}

// printReport writes the verdict, then the per-check table (or, from status, the failed checks).
func printReport(w io.Writer, r report, wide bool) error {
	fmt.Fprintf(w, "ModelCertification %s/%s: %s in %s\n", r.Namespace, r.Name, r.ModelID, r.Region)
	if r.RunID != "" {
		field(w, "Run", "%s (attempt %d)", r.RunID, r.Attempt)
	}
	if r.CompletedAt != nil {
		field(w, "Completed", "%s, in %s", r.CompletedAt.UTC().Format(time.RFC3339),
			(time.Duration(r.DurationMs) * time.Millisecond).String())
	}
	field(w, "Verdict", "%s, score %.1f, rating %.1f, badge %s", r.Phase, r.Score, r.Rating, r.Badge)
	if r.ErrorCategory != "" {
		field(w, "Error", "%s: %s", r.ErrorCategory, r.ErrorMessage)
	}
	if r.ValidUntil != nil {
		field(w, "Valid until", "%s", r.ValidUntil.UTC().Format(time.RFC3339))
	}
	field(w, "Checks", "%d passed, %d failed, %d skipped of %d; tokens %d in, %d out",
		r.Checks.Passed, r.Checks.Failed, r.Checks.Skipped, r.Checks.Total, r.Usage.InputTokens, r.Usage.OutputTokens)
	if r.Usage.MaxTokens > 0 {
		budget := fmt.Sprintf("%d of %d tokens spent", r.Usage.InputTokens+r.Usage.OutputTokens, r.Usage.MaxTokens)
		if len(r.Usage.BudgetSkippedChecks) > 0 {
			budget += "; reached, skipped " + strings.Join(r.Usage.BudgetSkippedChecks, ", ")
		}
		field(w, "Budget", "%s", budget)
	}
	fmt.Fprintln(w)

	tw := printers.GetNewTabWriter(w)
	if r.Source == "status" {
		if len(r.FailedChecks) == 0 {
			fmt.Fprintln(w, "No failed checks.")
			return nil
		}
		fmt.Fprintln(tw, "FAILED CHECK\tCATEGORY\tMESSAGE")
		for _, f := range r.FailedChecks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Category, oneLine(f.Message))
		}
		return tw.Flush()
	}
	header := "CHECK\tRESULT\tLATENCY\tRETRIES\tTOKENS\tMESSAGE"
	if wide {
		header = "CHECK\tRESULT\tLATENCY\tRETRIES\tTOKENS\tCATEGORY\tMESSAGE"
	}
	fmt.Fprintln(tw, header)
	for _, res := range r.Results {
		cells := []string{res.Name, string(res.Status), res.Latency.Round(time.Millisecond).String(),
			fmt.Sprint(res.Retries), fmt.Sprintf("%d/%d", res.Usage.InputTokens, res.Usage.OutputTokens)}
		if wide {
			cells = append(cells, string(res.Category))
		}
		cells = append(cells, oneLine(res.Message))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// field writes one labelled line of the report's head, the values aligned.
func field(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "%-13s"+format+"\n", append([]any{label + ":"}, args...)...)
}

// oneLine keeps a message on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func phaseOrPending(p certv1.Phase) certv1.Phase {
	if p == "" {
		return certv1.PhasePending
	}
	return p
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
