package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// certifySimulated certifies a model of the simulator's default catalog through the real
// adapter and engine, for a report with real latencies, tokens and messages. The static keys
// reach nothing but the simulator.
func certifySimulated(t *testing.T, modelID string) (certify.Report, certify.Verdict) {
	t.Helper()
	sim := httptest.NewServer(bedrocksim.New(nil))
	t.Cleanup(sim.Close)
	model, err := bedrock.New(context.Background(), bedrock.Config{ModelID: modelID, Region: "us-east-1", Endpoint: sim.URL,
		Credentials: bedrock.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	report := certify.Run(context.Background(), model, certify.Options{ConsistencyInterval: 10 * time.Millisecond})
	return report, certify.Judge(report.Results, certify.DefaultPolicy)
}

// verdictStatus is the status the controller writes for a finished run (the fields the plugin
// reads), times in whole seconds as the API server keeps them.
func verdictStatus(runID string, report certify.Report, v certify.Verdict) *certv1.ModelCertificationStatus {
	started := metav1.NewTime(report.StartedAt.UTC().Truncate(time.Second))
	completed := metav1.NewTime(report.CompletedAt.UTC().Truncate(time.Second))
	validUntil := metav1.NewTime(completed.Add(168 * time.Hour))
	phase := map[certify.VerdictStatus]certv1.Phase{certify.VerdictCertified: certv1.PhaseCertified,
		certify.VerdictQualityWarning: certv1.PhaseQualityWarning, certify.VerdictFailed: certv1.PhaseFailed}[v.Status]
	s := &certv1.ModelCertificationStatus{
		Phase: phase, RunID: runID, Attempt: 1, Passed: v.Passed, Score: &v.Score, Rating: &v.Rating,
		Badge: string(v.Badge), ErrorCategory: string(v.Category), ErrorMessage: v.Message,
		Checks:    &certv1.CheckCounts{Total: int32(v.Total), Passed: int32(v.PassedCount), Failed: int32(v.Failed), Skipped: int32(v.Skipped)},
		Usage:     &certv1.Usage{InputTokens: report.Usage.InputTokens, OutputTokens: report.Usage.OutputTokens},
		StartedAt: &started, CompletedAt: &completed, ValidUntil: &validUntil,
		DurationMs: report.CompletedAt.Sub(report.StartedAt).Milliseconds(),
	}
	for _, f := range v.FailedChecks {
		s.FailedChecks = append(s.FailedChecks, certv1.FailedCheck{Name: f.Name, Category: string(f.Category), Message: f.Message})
	}
	return s
}

// mirrorRun writes a finished run to the database as the mirror does: the start, then the
// verdict with the run's full results.
func mirrorRun(t *testing.T, db *store.Store, obj *certv1.ModelCertification, report certify.Report) {
	t.Helper()
	s := obj.Status
	row := store.Certification{
		ModelID: obj.Spec.ModelID, Region: obj.Spec.Region, Status: store.StatusCertified, Passed: s.Passed,
		Score: *s.Score, Rating: *s.Rating, Badge: s.Badge, ErrorCategory: s.ErrorCategory, ErrorMessage: s.ErrorMessage,
		TestsPassed: int(s.Checks.Passed), TestsFailed: int(s.Checks.Failed), TestsSkipped: int(s.Checks.Skipped),
		InputTokens: s.Usage.InputTokens, OutputTokens: s.Usage.OutputTokens,
		RunID: s.RunID, Attempt: int(s.Attempt), StartedAt: s.StartedAt.Time, DurationMs: s.DurationMs,
		Source: store.Source{Namespace: obj.Namespace, Name: obj.Name, UID: string(obj.UID), Generation: obj.Generation},
	}
	start := row
	start.Status = store.StatusProcessing
	if _, err := db.RecordStart(t.Context(), start); err != nil {
		t.Fatal(err)
	}
	completed, validUntil := s.CompletedAt.Time, s.ValidUntil.Time
	row.CompletedAt, row.ExpiresAt, row.CertifiedAt = &completed, &validUntil, &completed
	results, err := json.Marshal(report.Results)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordResult(t.Context(), row, store.Run{CheckResults: results}); err != nil {
		t.Fatal(err)
	}
}

// A user whose model lost a check reads the full report of its last run: every check with
// its result, latency, retries, tokens and message, from the operator's database.
func TestReportPrintsTheFullTableFromTheDatabase(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	dsn := testenv.Database(t)
	db, err := store.Open(t.Context(), store.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ns := env.Namespace(t)
	const modelID = "sim.ignores-system-prompt-v1"
	finished, verdict := certifySimulated(t, modelID)
	if verdict.Status != certify.VerdictCertified || verdict.Failed != 1 {
		t.Fatalf("the persona's verdict is %s with %d failed checks, want CERTIFIED with one", verdict.Status, verdict.Failed)
	}
	obj := createCertification(t, env, ns, "ignores-system-prompt", modelID, verdictStatus("run-1", finished, verdict))
	mirrorRun(t, db, obj, finished)

	r := kubectlModelcert(t, env, "report", obj.Name, "-n", ns, "--database-url", dsn).mustSucceed(t)
	for _, line := range []string{
		fmt.Sprintf("ModelCertification %s/%s: %s in us-east-1", ns, obj.Name, modelID),
		"Run:         run-1 (attempt 1)",
		fmt.Sprintf("Verdict:     Certified, score %.1f, rating %.1f, badge %s", verdict.Score, verdict.Rating, verdict.Badge),
		fmt.Sprintf("Checks:      %d passed, 1 failed, %d skipped of %d; tokens %d in, %d out",
			verdict.PassedCount, verdict.Skipped, verdict.Total, finished.Usage.InputTokens, finished.Usage.OutputTokens),
	} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("report lacks the line %q:\n%s", line, r.stdout)
		}
	}
	table := tableRows(t, r.stdout, "CHECK")
	if len(table) != len(finished.Results) {
		t.Fatalf("the table has %d rows, want one per check (%d):\n%s", len(table), len(finished.Results), r.stdout)
	}
	for i, res := range finished.Results {
		want := []string{res.Name, string(res.Status), res.Latency.Truncate(time.Millisecond).String(), fmt.Sprint(res.Retries),
			fmt.Sprintf("%d/%d", res.Usage.InputTokens, res.Usage.OutputTokens)}
		want = append(want, strings.Fields(res.Message)...)
		if diff := cmp.Diff(want, table[i]); diff != "" {
			t.Errorf("row of %s (-want +got):\n%s", res.Name, diff)
		}
	}

	r = kubectlModelcert(t, env, "report", obj.Name, "-n", ns, "--database-url", dsn, "-o", "json").mustSucceed(t)
	var got report
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	if got.Source != "database" || got.RunID != "run-1" || got.Phase != certv1.PhaseCertified {
		t.Errorf("-o json: source %q, run %q, phase %q; want database, run-1, Certified", got.Source, got.RunID, got.Phase)
	}
	wantResults := make([]certify.Result, len(finished.Results))
	for i, res := range finished.Results {
		wantResults[i] = res
		wantResults[i].Latency = res.Latency.Truncate(time.Millisecond) // the history keeps milliseconds
	}
	if diff := cmp.Diff(wantResults, got.Results); diff != "" {
		t.Errorf("-o json results (-want +got):\n%s", diff)
	}
}

// tableRows returns the whitespace-separated cells of the rows under the header line that
// starts with header, up to the end of the output.
func tableRows(t *testing.T, out, header string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, header+" ") {
			var rows [][]string
			for _, row := range lines[i+1:] {
				rows = append(rows, strings.Fields(row))
			}
			return rows
		}
	}
	t.Fatalf("no table headed %s in:\n%s", header, out)
	return nil
}

// Without a database the report says what the status holds and where the full table is.
func TestReportWithoutDatabasePrintsTheStatus(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	completed := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	score, rating := 71.4, 3.2
	status := &certv1.ModelCertificationStatus{
		Phase: certv1.PhaseQualityWarning, RunID: "run-7", Attempt: 3, Score: &score, Rating: &rating,
		Badge: "FUNCTIONAL", ErrorCategory: "QUALITY_ISSUE", ErrorMessage: "4 of 14 checks failed",
		Checks:       &certv1.CheckCounts{Total: 14, Passed: 8, Failed: 4, Skipped: 2},
		FailedChecks: []certv1.FailedCheck{{Name: "json-output", Category: "QUALITY_ISSUE", Message: "no JSON object in the answer"}},
		Usage: &certv1.Usage{InputTokens: 900, OutputTokens: 450, MaxTokens: 1200,
			BudgetSkippedChecks: []string{"text-generation", "vision"}},
		StartedAt: &completed, CompletedAt: &completed, DurationMs: 4200,
	}
	createCertification(t, env, ns, "warned", "amazon.nova-micro-v1:0", status)

	r := kubectlModelcert(t, env, "report", "warned", "-n", ns).mustSucceed(t)
	for _, line := range []string{
		"Verdict:     QualityWarning, score 71.4, rating 3.2, badge FUNCTIONAL",
		"Error:       QUALITY_ISSUE: 4 of 14 checks failed",
		"Checks:      8 passed, 4 failed, 2 skipped of 14; tokens 900 in, 450 out",
		"Budget:      1350 of 1200 tokens spent; reached, skipped text-generation, vision",
	} {
		if !strings.Contains(r.stdout, line+"\n") {
			t.Errorf("report lacks the line %q:\n%s", line, r.stdout)
		}
	}
	if diff := cmp.Diff([][]string{{"json-output", "QUALITY_ISSUE", "no", "JSON", "object", "in", "the", "answer"}},
		tableRows(t, r.stdout, "FAILED CHECK")); diff != "" {
		t.Errorf("failed checks (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stderr, "needs --database-url") {
		t.Errorf("stderr does not say where the full table is:\n%s", r.stderr)
	}

	r = kubectlModelcert(t, env, "report", "warned", "-n", ns, "-o", "yaml").mustSucceed(t)
	if !strings.Contains(r.stdout, "source: status\n") || !strings.Contains(r.stdout, "- category: QUALITY_ISSUE\n") {
		t.Errorf("-o yaml lacks the source or the failed checks:\n%s", r.stdout)
	}
}

// A report of something that has none fails, naming the object or the flag.
func TestReportErrorsNameTheObjectOrFlag(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	createCertification(t, env, ns, "new", "amazon.nova-lite-v1:0", nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "missing"}, `"missing" not found`},
		{[]string{"report", "new"}, "modelcertification.certification.modelcert.io/new has no finished run yet (phase Pending)"},
		{[]string{"report", "new", "-o", "xml"}, `-o/--output "xml" is not a format`},
		{[]string{"report", "new", "--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "--database-url: open database"},
	} {
		r := kubectlModelcert(t, env, append(tc.args, "-n", ns)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure saying %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// During a re-certification the report is the last verdict's, and says a run is in progress.
func TestReportDuringARerunIsTheLastVerdicts(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns := env.Namespace(t)
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	score, rating := 100.0, 5.0
	status := &certv1.ModelCertificationStatus{
		Phase: certv1.PhaseProcessing, RunID: "run-2", Attempt: 2, Passed: true, Score: &score, Rating: &rating,
		Badge: "PREMIUM", Checks: &certv1.CheckCounts{Total: 14, Passed: 14}, StartedAt: &now, CompletedAt: &now,
		Progress: &certv1.Progress{Done: 3, Total: 14},
		Conditions: []metav1.Condition{{Type: certv1.ConditionCertified, Status: metav1.ConditionTrue,
			Reason: string(certv1.PhaseCertified), Message: "Certified: score 100.0, rating 5.0 (PREMIUM)", LastTransitionTime: now}},
	}
	createCertification(t, env, ns, "rerunning", "amazon.nova-lite-v1:0", status)

	r := kubectlModelcert(t, env, "report", "rerunning", "-n", ns).mustSucceed(t)
	if !strings.Contains(r.stdout, "Verdict:     Certified, score 100.0, rating 5.0, badge PREMIUM\n") ||
		strings.Contains(r.stdout, "run-2") || !strings.Contains(r.stdout, "No failed checks.") {
		t.Errorf("report during a re-run is not the last verdict's:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "Run run-2 is in progress (3 of 14 checks done); this is the last finished run.") {
		t.Errorf("stderr does not say a run is in progress:\n%s", r.stderr)
	}
}
