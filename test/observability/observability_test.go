// Package observability_test checks config/prometheus and config/grafana: the alerts pass
// promtool's checks and unit tests, and every metric the alerts and the dashboard name is one
// the manager exports.
package observability_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// prometheusRule is the part of a PrometheusRule the checks read.
type prometheusRule struct {
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

func configFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{testenv.RepoRoot(), "config"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readRules(t *testing.T) prometheusRule {
	t.Helper()
	var r prometheusRule
	if err := yaml.Unmarshal(configFile(t, "prometheus", "rules.yaml"), &r); err != nil {
		t.Fatalf("rules.yaml: %v", err)
	}
	return r
}

// dashboardExprs returns every PromQL expression of the dashboard's panels.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(configFile(t, "grafana", "modelcert-operator.json"), &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	if len(exprs) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	return exprs
}

var (
	promqlStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlOperators = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "e"}
)

// metricNames returns the metric names an expression selects: the identifiers left once
// strings, label matchers, ranges and grouping clauses are removed, other than functions,
// aggregations and operators.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promqlIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.' || s[loc[0]-1] == '$') {
			continue // part of a number, such as 1e3, or a Grafana variable
		}
		if strings.HasPrefix(strings.TrimSpace(s[loc[1]:]), "(") || slices.Contains(promqlOperators, name) {
			continue
		}
		names = append(names, name)
	}
	return names
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum by (status) (rate(a_total{x="y{z}"}[5m])) / on() (b or vector(0)) > 1e3 and histogram_quantile(0.5, c_bucket[$__rate_interval])`)
	if want := []string{"a_total", "b", "c_bucket"}; !slices.Equal(got, want) {
		t.Errorf("metricNames = %q, want %q", got, want)
	}
}

// The manager's own metrics register with controller-runtime's registry on import, except the
// certification collector, which cmd/manager registers over the manager's cache: the probe below
// only needs its descriptors.
func init() {
	metrics.Registry.MustRegister(controllers.NewCertificationCollector(nil, nil))
}

// exported reports whether the manager's registry holds a metric of this name: registering
// another collector under a name already taken is refused.
func exported(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
	if err := metrics.Registry.Register(probe); err != nil {
		return true
	}
	metrics.Registry.Unregister(probe)
	return false
}

// prometheusSeries are made by Prometheus itself, not by the manager.
var prometheusSeries = []string{"up", "ALERTS", "ALERTS_FOR_STATE"}

func TestAlertsAndDashboardNameExportedMetrics(t *testing.T) {
	exprs := dashboardExprs(t)
	for _, g := range readRules(t).Spec.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	for _, expr := range exprs {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("no metric found in %q", expr)
		}
		for _, name := range names {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if trimmed, ok := strings.CutSuffix(name, suffix); ok && exported(trimmed) {
					base = trimmed
				}
			}
			if !slices.Contains(prometheusSeries, name) && !exported(base) {
				t.Errorf("%s (in %q) is not a metric the manager exports", name, expr)
			}
		}
	}
}

// promtool returns the promtool that `make test` builds (hack/promtool.sh); without it the test
// is skipped on a developer's machine and fails in CI.
func promtool(t *testing.T) string {
	t.Helper()
	path := os.Getenv("MODELCERT_PROMTOOL")
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("MODELCERT_PROMTOOL is not set: run the tests with `make test`, which builds promtool")
		}
		t.Skip("MODELCERT_PROMTOOL is not set: `make test` builds promtool (hack/promtool.sh) and sets it")
	}
	return path
}

// Every alert passes `promtool check rules` and the unit tests of rules_test.yaml.
func TestAlertsWithPromtool(t *testing.T) {
	bin := promtool(t)
	var rule struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := yaml.Unmarshal(configFile(t, "prometheus", "rules.yaml"), &rule); err != nil {
		t.Fatal(err)
	}
	groups, err := yaml.JSONToYAML(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"rules.groups.yaml": groups,
		"rules_test.yaml":   configFile(t, "prometheus", "rules_test.yaml"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"check", "rules", "rules.groups.yaml"},
		{"test", "rules", "rules_test.yaml"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	// Each alert has at least one unit test.
	tests := string(configFile(t, "prometheus", "rules_test.yaml"))
	for _, g := range readRules(t).Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !strings.Contains(tests, "alertname: "+r.Alert+",") && !strings.Contains(tests, "alertname: "+r.Alert+"\n") {
				t.Errorf("alert %s has no test in rules_test.yaml", r.Alert)
			}
		}
	}
}
