package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// verdict is a settled status: phase, badge and validity.
func verdict(phase certv1.Phase, badge string, validUntil time.Time) *certv1.ModelCertificationStatus {
	until := metav1.NewTime(validUntil.UTC().Truncate(time.Second))
	return &certv1.ModelCertificationStatus{Phase: phase, RunID: "run-1", Attempt: 1,
		Passed: phase == certv1.PhaseCertified, Badge: badge, ValidUntil: &until}
}

// An operator on call looks at a namespace: how many certifications stand where, which
// certified verdicts run out within a day (or have), and which models regressed.
func TestStatusSummarisesPhasesExpiringAndRegressions(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ns, other := env.Namespace(t), env.Namespace(t)
	now := time.Now()
	regressedStatus := verdict(certv1.PhaseFailed, "UNAVAILABLE", now.Add(168*time.Hour))
	regressedStatus.Regression = &certv1.Regression{At: metav1.NewTime(now.Add(-time.Hour).UTC().Truncate(time.Second)),
		FromPhase: certv1.PhaseCertified, FromBadge: "PREMIUM", Checks: []string{"availability"}}
	for name, status := range map[string]*certv1.ModelCertificationStatus{
		"new":       nil,
		"running":   {Phase: certv1.PhaseProcessing, RunID: "run-1", Attempt: 1},
		"fresh":     verdict(certv1.PhaseCertified, "PREMIUM", now.Add(168*time.Hour)),
		"expiring":  verdict(certv1.PhaseCertified, "RECOMMENDED", now.Add(2*time.Hour)),
		"expired":   verdict(certv1.PhaseCertified, "RECOMMENDED", now.Add(-time.Hour)),
		"warned":    verdict(certv1.PhaseQualityWarning, "FUNCTIONAL", now.Add(3*time.Hour)),
		"regressed": regressedStatus,
	} {
		createCertification(t, env, ns, name, "amazon.nova-lite-v1:0", status)
	}
	createCertification(t, env, other, "elsewhere", "amazon.nova-lite-v1:0", verdict(certv1.PhaseCertified, "PREMIUM", now.Add(time.Hour)))

	r := kubectlModelcert(t, env, "status", "-n", ns).mustSucceed(t)
	rows := tableRows(t, r.stdout, "NAMESPACE")
	want := []string{ns, "7", "1", "1", "3", "1", "1", "1", "1", "1"}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Errorf("summary row (-want +got):\n%s\n%s", diff, r.stdout)
	}
	for _, line := range []string{"Expiring within 24h:", "Regressions:"} {
		if !strings.Contains(r.stdout, "\n"+line+"\n") {
			t.Errorf("status lacks %q:\n%s", line, r.stdout)
		}
	}
	if !hasRow(r.stdout, ns, "expiring", "RECOMMENDED") ||
		!hasRow(r.stdout, ns, "regressed", "Certified/PREMIUM", "Failed/UNAVAILABLE", "availability") {
		t.Errorf("status does not list the expiring verdict and the regression:\n%s", r.stdout)
	}

	// Across namespaces with a wider window, as JSON: the quality warning that ends within it
	// is not counted, only certified verdicts are.
	r = kubectlModelcert(t, env, "status", "-A", "--expiring-within", "72h", "-o", "json").mustSucceed(t)
	var summaries []namespaceSummary
	if err := json.Unmarshal([]byte(r.stdout), &summaries); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	got := map[string]namespaceSummary{}
	for _, s := range summaries {
		got[s.Namespace] = s
	}
	if _, ok := got[other]; !ok {
		t.Errorf("-A does not summarise namespace %s: %s", other, r.stdout)
	}
	mine := got[ns]
	wantPhases := map[certv1.Phase]int{certv1.PhasePending: 1, certv1.PhaseProcessing: 1, certv1.PhaseCertified: 3,
		certv1.PhaseQualityWarning: 1, certv1.PhaseFailed: 1}
	if diff := cmp.Diff(wantPhases, mine.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if len(mine.Expiring) != 1 || mine.Expiring[0].Name != "expiring" || mine.Expired != 1 ||
		len(mine.Regressions) != 1 || mine.Regressions[0].Name != "regressed" {
		t.Errorf("expiring %+v, expired %d, regressions %+v; want expiring, 1 expired, regressed",
			mine.Expiring, mine.Expired, mine.Regressions)
	}

	empty := env.Namespace(t)
	r = kubectlModelcert(t, env, "status", "-n", empty).mustSucceed(t)
	if r.stdout != "" || !strings.Contains(r.stderr, "No resources found in "+empty+" namespace.") {
		t.Errorf("status of an empty namespace: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if r := kubectlModelcert(t, env, "status", "--expiring-within", "-1h"); r.code == 0 || !strings.Contains(r.stderr, "--expiring-within") {
		t.Errorf("a negative --expiring-within: exit %d, stderr %q; want an error naming the flag", r.code, r.stderr)
	}
}

// hasRow reports whether a line of out starts with the cells given.
func hasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= len(cells) && slices.Equal(fields[:len(cells)], cells) {
			return true
		}
	}
	return false
}
