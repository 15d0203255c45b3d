package controllers

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

func TestFinishRun(t *testing.T) {
	started := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	completed := started.Add(1500 * time.Millisecond)
	report := func(results ...certify.Result) certify.Report {
		return certify.Report{StartedAt: started, CompletedAt: completed, Results: results,
			Usage: certify.Usage{InputTokens: 10, OutputTokens: 20}}
	}
	passed := func(name string) certify.Result {
		return certify.Result{Name: name, Status: certify.CheckPassed, Latency: time.Second}
	}
	denied := certify.Result{Name: certify.CheckAvailability, Status: certify.CheckFailed,
		Category: certify.CategoryPermission, Message: "not authorized", Errored: true}
	tests := []struct {
		name          string
		report        certify.Report
		suspend       bool
		wantPhase     certv1.Phase
		wantCertified metav1.ConditionStatus
		wantAvailable string // ModelAvailable's reason
		wantReady     metav1.ConditionStatus
		wantNextRun   bool
	}{
		{"certified", report(passed("availability"), passed("basic-prompt")), false,
			certv1.PhaseCertified, metav1.ConditionTrue, ReasonAvailable, metav1.ConditionTrue, true},
		{"permission denied", report(denied, certify.Result{Name: "basic-prompt", Status: certify.CheckSkipped}), false,
			certv1.PhaseFailed, metav1.ConditionFalse, "PermissionError", metav1.ConditionFalse, true},
		{"certified while suspended has no next run", report(passed("availability"), passed("basic-prompt")), true,
			certv1.PhaseCertified, metav1.ConditionTrue, ReasonAvailable, metav1.ConditionTrue, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &certv1.ModelCertificationSpec{CertificationTemplate: certv1.CertificationTemplate{Suspend: tt.suspend, ValidFor: &metav1.Duration{Duration: 24 * time.Hour}}}
			status := &certv1.ModelCertificationStatus{Phase: certv1.PhaseProcessing, RunID: "run-1",
				Progress: &certv1.Progress{Done: 1, Total: 2}}
			verdict := certify.Judge(tt.report.Results, certify.DefaultPolicy)
			finishRun(status, spec, tt.report, verdict)
			setConditions(status, readyCondition(status, tt.suspend, completed))

			if status.Phase != tt.wantPhase || status.Progress != nil || status.DurationMs != 1500 {
				t.Errorf("phase %s progress %v duration %d; want %s, no progress, 1500ms", status.Phase, status.Progress, status.DurationMs, tt.wantPhase)
			}
			if want := metav1.NewTime(started.Add(time.Second).Add(24 * time.Hour)); !status.ValidUntil.Equal(&want) {
				t.Errorf("validUntil = %v, want %v (completedAt in whole seconds + validFor)", status.ValidUntil, want)
			}
			if (status.NextRunAt != nil) != tt.wantNextRun {
				t.Errorf("nextRunAt = %v, want set: %v", status.NextRunAt, tt.wantNextRun)
			}
			if diff := cmp.Diff(&certv1.Usage{InputTokens: 10, OutputTokens: 20}, status.Usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
			for typ, want := range map[string]metav1.ConditionStatus{
				certv1.ConditionCertified: tt.wantCertified, certv1.ConditionReady: tt.wantReady,
				certv1.ConditionProgressing: metav1.ConditionFalse,
			} {
				if c := meta.FindStatusCondition(status.Conditions, typ); c == nil || c.Status != want {
					t.Errorf("%s = %+v, want %s", typ, c, want)
				}
			}
			if c := meta.FindStatusCondition(status.Conditions, certv1.ConditionModelAvailable); c == nil || c.Reason != tt.wantAvailable {
				t.Errorf("ModelAvailable = %+v, want reason %s", c, tt.wantAvailable)
			}
		})
	}
}

// While a certified model is re-certified, Ready stays True and says so.
func TestReadyDuringRecertification(t *testing.T) {
	status := &certv1.ModelCertificationStatus{}
	setConditions(status, metav1.Condition{Type: certv1.ConditionCertified, Status: metav1.ConditionTrue,
		Reason: "Certified", Message: "Certified: score 100.0"})
	startRun(status, "run-2", "h", time.Now(), 14)
	ready := readyCondition(status, false, time.Now())
	if ready.Status != metav1.ConditionTrue || ready.Message != "Certified: score 100.0; a re-certification is in progress" {
		t.Errorf("Ready = %s %q", ready.Status, ready.Message)
	}
	if status.Attempt != 1 || status.Progress.Total != 14 || status.NextRunAt != nil {
		t.Errorf("startRun: attempt %d progress %v nextRunAt %v", status.Attempt, status.Progress, status.NextRunAt)
	}
}

func TestRunSpecHash(t *testing.T) {
	base := certv1.ModelCertificationSpec{ModelID: "amazon.nova-lite-v1:0", Region: "us-east-1"}
	same := map[string]func(*certv1.ModelCertificationSpec){
		"suspend":        func(s *certv1.ModelCertificationSpec) { s.Suspend = true },
		"validFor":       func(s *certv1.ModelCertificationSpec) { s.ValidFor = &metav1.Duration{Duration: time.Hour} },
		"recertifyAfter": func(s *certv1.ModelCertificationSpec) { s.RecertifyAfter = &metav1.Duration{Duration: time.Hour} },
		"deletionPolicy": func(s *certv1.ModelCertificationSpec) { s.DeletionPolicy = certv1.DeletionPolicyDelete },
		"explicit default policy": func(s *certv1.ModelCertificationSpec) {
			c, w := int32(80), int32(60)
			s.Policy = certv1.CertificationPolicy{CertifyScore: &c, WarnScore: &w}
		},
	}
	different := map[string]func(*certv1.ModelCertificationSpec){
		"model":    func(s *certv1.ModelCertificationSpec) { s.ModelID = "amazon.nova-pro-v1:0" },
		"region":   func(s *certv1.ModelCertificationSpec) { s.Region = "eu-west-1" },
		"endpoint": func(s *certv1.ModelCertificationSpec) { s.Endpoint = "https://vpce.example" },
		"role":     func(s *certv1.ModelCertificationSpec) { s.RoleARN = "arn:aws:iam::123456789012:role/r" },
		"checks": func(s *certv1.ModelCertificationSpec) {
			s.Checks = &certv1.CheckSelection{Exclude: []certv1.CheckName{"vision"}}
		},
		"policy": func(s *certv1.ModelCertificationSpec) { c := int32(90); s.Policy.CertifyScore = &c },
		"required checks": func(s *certv1.ModelCertificationSpec) {
			s.Policy.RequiredChecks = []certv1.CheckName{"tool-use"}
		},
		"timeouts": func(s *certv1.ModelCertificationSpec) { s.Timeouts.PerCheck = &metav1.Duration{Duration: time.Second} },
		"credentials": func(s *certv1.ModelCertificationSpec) {
			s.Credentials = &certv1.Credentials{SecretRef: certv1.SecretReference{Name: "aws"}}
		},
		"budget": func(s *certv1.ModelCertificationSpec) { s.Budget = &certv1.Budget{MaxTokensPerRun: 500} },
	}
	want := runSpecHash(&base)
	for name, edit := range same {
		spec := base
		edit(&spec)
		if got := runSpecHash(&spec); got != want {
			t.Errorf("editing %s changed the run hash: a schedule edit would re-run the battery", name)
		}
	}
	for name, edit := range different {
		spec := base
		edit(&spec)
		if got := runSpecHash(&spec); got == want {
			t.Errorf("editing %s left the run hash alone: the verdict would not follow the spec", name)
		}
	}
}

func TestRowForMirrorsStatus(t *testing.T) {
	completed := metav1.NewTime(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	score, rating := 92.9, 4.7
	obj := &certv1.ModelCertification{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ml", Name: "nova", UID: "u1", Generation: 4},
		Spec:       certv1.ModelCertificationSpec{ModelID: "m", Region: "us-east-1"},
		Status: certv1.ModelCertificationStatus{ObservedGeneration: 3, Phase: certv1.PhaseCertified, RunID: "r", Attempt: 2, Passed: true,
			Score: &score, Rating: &rating, Badge: "RECOMMENDED", ErrorCategory: "QUALITY_ISSUE", ErrorMessage: "x",
			Checks: &certv1.CheckCounts{Total: 14, Passed: 13, Failed: 1}, StartedAt: &completed, CompletedAt: &completed,
			ValidUntil: &completed, Usage: &certv1.Usage{InputTokens: 1, OutputTokens: 2}},
	}
	row := rowFor(obj)
	if row.Status != "CERTIFIED" || row.ErrorSeverity != "WARNING" || row.CertifiedAt == nil || row.TestsPassed != 13 ||
		row.Source.Generation != 3 || row.OutputTokens != 2 {
		t.Errorf("row = %+v", row)
	}
	if want, ok := ExpectedRow(obj); !ok || want.Status != "CERTIFIED" || want.Score != 92.9 {
		t.Errorf("ExpectedRow = %+v, %v", want, ok)
	}
	obj.Status.RunID = ""
	if _, ok := ExpectedRow(obj); ok {
		t.Error("an object with no run expects a row")
	}
}

// A certified verdict past validUntil no longer makes the object Ready.
func TestReadyExpires(t *testing.T) {
	completed := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	status := &certv1.ModelCertificationStatus{}
	spec := &certv1.ModelCertificationSpec{CertificationTemplate: certv1.CertificationTemplate{ValidFor: &metav1.Duration{Duration: time.Hour}}}
	results := []certify.Result{{Name: certify.CheckAvailability, Status: certify.CheckPassed}, {Name: "basic-prompt", Status: certify.CheckPassed}}
	report := certify.Report{StartedAt: completed, CompletedAt: completed, Results: results}
	finishRun(status, spec, report, certify.Judge(results, certify.DefaultPolicy))
	for _, tt := range []struct {
		at         time.Time
		want       metav1.ConditionStatus
		wantReason string
	}{
		{completed.Add(59 * time.Minute), metav1.ConditionTrue, "Certified"},
		{completed.Add(time.Hour), metav1.ConditionFalse, ReasonExpired},
	} {
		if got := readyCondition(status, false, tt.at); got.Status != tt.want || got.Reason != tt.wantReason {
			t.Errorf("at %s: Ready = %s/%s, want %s/%s", tt.at.Sub(completed), got.Status, got.Reason, tt.want, tt.wantReason)
		}
	}
}

// summaryCase builds the status the controller writes for one state of an object, so that the
// tests of its summary (conditions, Argo CD health, kstatus) read what the controller writes.
type summaryCase struct {
	name    string
	obj     *certv1.ModelCertification
	summary map[string]string // condition type → "Status/Reason"; absent means no such condition
	argo    string            // Argo CD health
}

func summaryCases() []summaryCase {
	completed := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	report := func(results ...certify.Result) certify.Report {
		return certify.Report{StartedAt: completed, CompletedAt: completed, Results: results}
	}
	available := certify.Result{Name: certify.CheckAvailability, Status: certify.CheckPassed}
	passed := certify.Result{Name: "basic-prompt", Status: certify.CheckPassed}
	wrong := certify.Result{Name: "multi-turn", Status: certify.CheckFailed, Category: certify.CategoryQuality, Message: "answered 3, want 5"}
	denied := certify.Result{Name: certify.CheckAvailability, Status: certify.CheckFailed, Category: certify.CategoryPermission,
		Message: "not authorized to invoke the model", Errored: true}
	// object is a generation-1 object, judged on the given runs in turn (none: never run), and
	// then given a new run when rerun is set; its conditions are summed up at now.
	object := func(suspend, rerun bool, now time.Time, runs ...[]certify.Result) *certv1.ModelCertification {
		obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Name: "m", Generation: 1}}
		obj.Spec.Suspend = suspend
		obj.Spec.ValidFor = &metav1.Duration{Duration: time.Hour}
		if len(runs) == 0 && !rerun {
			obj.Status.Phase = certv1.PhasePending
			setConditions(&obj.Status, pendingConditions(suspend)...)
		}
		for i, results := range runs {
			startRun(&obj.Status, fmt.Sprintf("run-%d", i+1), "h", completed, len(results))
			finishRun(&obj.Status, &obj.Spec, report(results...), certify.Judge(results, certify.DefaultPolicy))
		}
		if rerun {
			startRun(&obj.Status, fmt.Sprintf("run-%d", len(runs)+1), "h", now, 14)
		}
		setSummary(&obj.Status, suspend, now)
		observe(obj)
		return obj
	}
	valid, expired := completed.Add(time.Minute), completed.Add(time.Hour)
	certified := []certify.Result{available, passed}
	warning := []certify.Result{available, passed, passed, wrong}
	failed := []certify.Result{denied}
	unobserved := object(false, false, valid, certified)
	unobserved.Generation = 2
	return []summaryCase{
		{"new object", &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Name: "m", Generation: 1}},
			map[string]string{}, "Progressing"},
		{"waiting for the first run", object(false, false, valid),
			map[string]string{"Ready": "False/Pending", "Reconciling": "True/Pending"}, "Progressing"},
		{"suspended before the first run", object(true, false, valid),
			map[string]string{"Ready": "False/Suspended", "Stalled": "True/Suspended"}, "Suspended"},
		{"first run", object(false, true, valid),
			map[string]string{"Ready": "False/Running", "Reconciling": "True/Running"}, "Progressing"},
		{"certified", object(false, false, valid, certified),
			map[string]string{"Ready": "True/Certified"}, "Healthy"},
		{"spec not yet observed", unobserved,
			map[string]string{"Ready": "True/Certified"}, "Progressing"},
		{"certified and suspended", object(true, false, valid, certified),
			map[string]string{"Ready": "True/Certified"}, "Healthy"},
		{"re-certifying a valid verdict", object(false, true, valid, certified),
			map[string]string{"Ready": "True/Certified", "Reconciling": "True/Running"}, "Healthy"},
		{"re-certification outlasting the verdict", object(false, true, expired, certified),
			map[string]string{"Ready": "False/Expired", "Reconciling": "True/Running"}, "Progressing"},
		{"expired while suspended", object(true, false, expired, certified),
			map[string]string{"Ready": "False/Expired", "Stalled": "True/Expired"}, "Degraded"},
		{"quality warning", object(false, false, valid, warning),
			map[string]string{"Ready": "False/QualityWarning", "Stalled": "True/QualityWarning"}, "Degraded"},
		{"failed", object(false, false, valid, failed),
			map[string]string{"Ready": "False/Failed", "Stalled": "True/Failed"}, "Degraded"},
		{"re-running a failed verdict", object(false, true, valid, failed),
			map[string]string{"Ready": "False/Failed", "Reconciling": "True/Running"}, "Progressing"},
		{"regressed: certified, then failed", object(false, false, valid, certified, failed),
			map[string]string{"Ready": "False/Failed", "Stalled": "True/Failed"}, "Degraded"},
		{"recovered: failed, then certified", object(false, false, valid, failed, certified),
			map[string]string{"Ready": "True/Certified"}, "Healthy"},
	}
}

// Ready, Reconciling and Stalled in every state: Ready stays True through a re-certification of
// a valid verdict and turns at a verdict that is not certified; Reconciling marks a run, Stalled
// a settled negative answer, never both.
func TestSummaryConditions(t *testing.T) {
	for _, tt := range summaryCases() {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, typ := range []string{certv1.ConditionReady, certv1.ConditionReconciling, certv1.ConditionStalled} {
				if c := meta.FindStatusCondition(tt.obj.Status.Conditions, typ); c != nil {
					got[typ] = string(c.Status) + "/" + c.Reason
				}
			}
			if diff := cmp.Diff(tt.summary, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

// Stalled names the worst check of a negative verdict; an expired one says whether a run comes.
func TestStalledMessage(t *testing.T) {
	status := &certv1.ModelCertificationStatus{Phase: certv1.PhaseFailed, Checks: &certv1.CheckCounts{Total: 14, Failed: 3},
		FailedChecks: []certv1.FailedCheck{{Name: "availability", Category: "PERMISSION_ERROR", Message: "not authorized"}, {Name: "vision"}}}
	ready := metav1.Condition{Type: certv1.ConditionReady, Status: metav1.ConditionFalse, Reason: "Failed"}
	if got, want := stalledCondition(status, ready, false).Message, "availability failed (PERMISSION_ERROR): not authorized; 2 more failed"; got != want {
		t.Errorf("Stalled message = %q, want %q", got, want)
	}
	ready.Reason, ready.Message = ReasonExpired, "The last certification expired at 2026-11-26T11:00:00Z"
	if got, want := stalledCondition(status, ready, true).Message, ready.Message+"; suspended, so no run renews it"; got != want {
		t.Errorf("Stalled message = %q, want %q", got, want)
	}
}
