package controllers_test

import (
	"context"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/tenancy"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

func TestMain(m *testing.M) {
	// The operator's default credential chain reads these; the simulator accepts any keys.
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDSIMULATOR")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "simulator-secret")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	os.Exit(testenv.Run(m))
}

// simulatorTenancy is the tenancy policy of the tests that use none of their own: the
// simulator, which serves plain http on 127.0.0.1, is an allowed endpoint.
var simulatorTenancy = tenancy.Defaults{DefaultCredentialsNamespaces: []string{"*"},
	EndpointHosts: []string{"127.0.0.1:*"}, AllowHTTP: true}

// startOperator runs the reconciler in its own manager against the test control plane until
// the test ends, or until the returned stop is called, as a crash or a rollout would. Each
// test's manager only sees its own namespace.
func startOperator(t testing.TB, env *testenv.Env, ns string, r *controllers.ModelCertificationReconciler, wrap ...func(client.Client) client.Client) (stop func()) {
	t.Helper()
	return startOperatorIn(t, env, []string{ns}, r, wrap...)
}

// startOperatorIn is startOperator for a manager that sees the given namespaces.
func startOperatorIn(t testing.TB, env *testenv.Env, namespaces []string, r *controllers.ModelCertificationReconciler, wrap ...func(client.Client) client.Client) (stop func()) {
	t.Helper()
	return startManager(t, env, namespaces, r, nil, wrap...)
}

// startManager is startOperatorIn with more controllers: setup registers them after r.
func startManager(t testing.TB, env *testenv.Env, namespaces []string, r *controllers.ModelCertificationReconciler, setup func(ctrl.Manager) error, wrap ...func(client.Client) client.Client) (stop func()) {
	t.Helper()
	if r.Tenancy == nil {
		r.Tenancy = &controllers.TenancyOptions{Defaults: simulatorTenancy}
	}
	cached := map[string]cache.Config{}
	for _, ns := range namespaces {
		cached[ns] = cache.Config{}
	}
	logs := &testenv.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("operator log:\n%s", logs.String())
		}
	})
	skipNameValidation := true
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Logger:     zap.New(zap.UseDevMode(true), zap.WriteTo(logs)),
		Scheme:     env.Client.Scheme(),
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
		Cache: cache.Options{DefaultNamespaces: cached,
			DefaultTransform: cache.TransformStripManagedFields()},
	})
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	r.Client = mgr.GetClient()
	for _, w := range wrap {
		r.Client = w(r.Client)
	}
	if r.Options.ConsistencyInterval == 0 {
		r.Options.ConsistencyInterval = 10 * time.Millisecond
	}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatalf("set up reconciler: %v", err)
	}
	if setup != nil {
		if err := setup(mgr); err != nil {
			t.Fatalf("set up controllers: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("manager: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("manager did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// startSimulator serves the default persona catalog, edited by the given functions, until the
// test ends.
func startSimulator(t testing.TB, edits ...func(*bedrocksim.Catalog)) (*bedrocksim.Server, string) {
	t.Helper()
	catalog := bedrocksim.DefaultCatalog()
	for _, edit := range edits {
		edit(catalog)
	}
	sim := bedrocksim.New(catalog)
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	return sim, url
}

// openStore migrates a fresh database and returns the store over it.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	return migratedStore(t, testenv.Database(t))
}

// migratedStore opens a store on dsn and migrates it.
func migratedStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{URL: dsn})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// outage is a fresh, migrated database the operator reaches through a proxy the test can take
// down, as an outage would; direct reaches it without the proxy, to inspect it.
type outage struct {
	db     *store.Store
	proxy  *testenv.Proxy
	direct *store.Store
	dsn    string
}

func newOutage(t testing.TB) outage {
	t.Helper()
	o := outage{dsn: testenv.Database(t)}
	o.direct = migratedStore(t, o.dsn)
	var proxied string
	o.proxy, proxied = testenv.NewProxy(t, o.dsn)
	var err error
	if o.db, err = store.Connect(store.Config{URL: proxied, QueryTimeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.db.Close)
	return o
}

// eventually polls cond every 50ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue reads a counter or gauge from controller-runtime's registry, 0 when absent.
func metricValue(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metric
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
