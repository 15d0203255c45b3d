package main

import (
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/modelcert/modelcert-operator/internal/tenancy"
)

// managerOptions parses args as the operator does and returns the manager options they give.
func managerOptions(args ...string) (ctrl.Options, error) {
	o, err := parseOperatorFlags(args, io.Discard)
	if err != nil {
		return ctrl.Options{}, err
	}
	opts := ctrl.Options{LeaderElection: o.leaderElect}
	o.deployment.apply(&opts)
	return opts, nil
}

func TestDeploymentFlags(t *testing.T) {
	type want struct {
		LeaseNamespace  string
		ReleaseOnCancel bool
		Namespaces      []string
		SecureMetrics   bool
		MetricsFiltered bool
	}
	tests := []struct {
		name         string
		podNamespace string
		args         []string
		want         want
	}{
		{"defaults: every namespace, metrics over HTTPS with authorization", "", nil,
			want{SecureMetrics: true, MetricsFiltered: true}},
		{"lease namespace from the flag", "", []string{"--leader-elect", "--leader-election-namespace=ops"},
			want{LeaseNamespace: "ops", ReleaseOnCancel: true, SecureMetrics: true, MetricsFiltered: true}},
		{"lease namespace from the downward API", "modelcert-system", []string{"--leader-elect"},
			want{LeaseNamespace: "modelcert-system", ReleaseOnCancel: true, SecureMetrics: true, MetricsFiltered: true}},
		{"watched namespaces", "", []string{"--watch-namespaces= team-a,team-b ,", "--metrics-secure=false"},
			want{Namespaces: []string{"team-a", "team-b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tt.podNamespace)
			opts, err := managerOptions(tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			got := want{
				LeaseNamespace:  opts.LeaderElectionNamespace,
				ReleaseOnCancel: opts.LeaderElectionReleaseOnCancel,
				SecureMetrics:   opts.Metrics.SecureServing,
				MetricsFiltered: opts.Metrics.FilterProvider != nil,
			}
			for ns := range opts.Cache.DefaultNamespaces {
				got.Namespaces = append(got.Namespaces, ns)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeploymentFlagErrorsNameTheFlag(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "")
	tests := []struct {
		args     []string
		wantFlag string
	}{
		// Outside a cluster there is no pod namespace to put the Lease in.
		{[]string{"--leader-elect"}, "--leader-election-namespace"},
		{[]string{"--leader-elect", "--leader-election-namespace=Not_A_Namespace"}, "--leader-election-namespace"},
		{[]string{"--watch-namespaces=team-a,Team B"}, "--watch-namespaces"},
	}
	for _, tt := range tests {
		_, err := managerOptions(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.wantFlag) {
			t.Errorf("%v: got error %v, want one naming %s", tt.args, err, tt.wantFlag)
		}
	}
}

func TestTenancyFlags(t *testing.T) {
	type want struct {
		ConfigMap string
		Cached    bool
		Defaults  tenancy.Defaults
	}
	everyNamespace := tenancy.Defaults{DefaultCredentialsNamespaces: []string{"*"}}
	tests := []struct {
		name         string
		podNamespace string
		args         []string
		want         want
	}{
		{"defaults: the ConfigMap in the operator's namespace, every namespace on the default chain", "modelcert-system", nil,
			want{ConfigMap: "modelcert-system/modelcert-tenancy", Cached: true, Defaults: everyNamespace}},
		{"outside a cluster the ConfigMap needs its namespace", "", nil, want{ConfigMap: "/", Defaults: everyNamespace}},
		{"a ConfigMap named with its namespace", "", []string{"--tenancy-policy=ops/tenants"},
			want{ConfigMap: "ops/tenants", Cached: true, Defaults: everyNamespace}},
		{"no ConfigMap", "modelcert-system", []string{"--tenancy-policy="}, want{ConfigMap: "/", Defaults: everyNamespace}},
		{"locked down, the simulator listed", "modelcert-system",
			[]string{"--default-credentials-namespaces=", "--allowed-endpoints=127.0.0.1:*, sim.test:8080", "--allow-http-endpoints"},
			want{ConfigMap: "modelcert-system/modelcert-tenancy", Cached: true,
				Defaults: tenancy.Defaults{EndpointHosts: []string{"127.0.0.1:*", "sim.test:8080"}, AllowHTTP: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tt.podNamespace)
			o, err := parseOperatorFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			opts := ctrl.Options{}
			o.tenancy.apply(&opts)
			got := want{ConfigMap: o.tenancy.options.ConfigMap.String(), Cached: len(opts.Cache.ByObject) == 1,
				Defaults: o.tenancy.options.Defaults}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTenancyFlagErrorsNameTheFlag(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "modelcert-system")
	tests := []struct {
		args     []string
		wantFlag string
	}{
		{[]string{"--tenancy-policy=Ops/tenants"}, "--tenancy-policy"},
		{[]string{"--tenancy-policy=ops/Tenants_"}, "--tenancy-policy"},
		{[]string{"--default-credentials-namespaces=team-[a"}, "--default-credentials-namespaces"},
		{[]string{"--allowed-endpoints=http://sim:80"}, "--allowed-endpoints"},
	}
	for _, tt := range tests {
		_, err := parseOperatorFlags(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.wantFlag) {
			t.Errorf("%v: got error %v, want one naming %s", tt.args, err, tt.wantFlag)
		}
	}
}

// The operator collects garbage at GOGC 50 unless GOGC says otherwise.
func TestGCPercentDefaultsUnlessGOGCIsSet(t *testing.T) {
	restore := debug.SetGCPercent(100)
	defer debug.SetGCPercent(restore)
	for _, tc := range []struct {
		gogc string // "" for unset
		want int
	}{
		{"", defaultGCPercent},
		{"200", 100}, // the runtime read GOGC at start; the operator leaves it alone
		{"off", 100},
	} {
		t.Setenv("GOGC", tc.gogc)
		if tc.gogc == "" {
			os.Unsetenv("GOGC")
		}
		debug.SetGCPercent(100)
		setGCPercent()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", tc.gogc, got, tc.want)
		}
	}
}

// The heap profile samples only when pprof is served.
func TestMemProfileRateFollowsPprof(t *testing.T) {
	restore := runtime.MemProfileRate
	defer func() { runtime.MemProfileRate = restore }()
	for _, tc := range []struct {
		pprofAddr string
		want      int
	}{
		{"127.0.0.1:6060", restore},
		{"", 0},
	} {
		runtime.MemProfileRate = restore
		setMemProfileRate(tc.pprofAddr)
		if runtime.MemProfileRate != tc.want {
			t.Errorf("--pprof-bind-address %q: MemProfileRate %d, want %d", tc.pprofAddr, runtime.MemProfileRate, tc.want)
		}
	}
}
