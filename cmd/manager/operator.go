package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/store"
	"github.com/modelcert/modelcert-operator/internal/tenancy"
)

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(certv1.AddToScheme(scheme))
	return scheme
}

// operatorOptions are the operator's flags.
type operatorOptions struct {
	metricsAddr  string
	probeAddr    string
	pprofAddr    string
	leaderElect  bool
	kubeconfig   string
	kubeAPIQPS   float64
	kubeAPIBurst int
	database     databaseFlags
	deployment   deploymentFlags
	tenancy      tenancyFlags
	reconciler   controllers.Options
	zap          zap.Options
}

// The API client's default rate. A certification costs three object writes, and 2 cores
// certify about 27 a second (make bench): 50 requests/s capped the operator at 17 a second
// (operator/engine 1.63 at N = 1,000; 1.00 with the cap lifted). 200 leaves room for faster
// machines; the API server's priority and fairness protects it from a runaway client.
const (
	defaultKubeAPIQPS   = 200
	defaultKubeAPIBurst = 400
)

// databaseRetryMax caps the backoff between attempts to reach and migrate the database.
const databaseRetryMax = 30 * time.Second

// kubeConfig loads the API server's address and credentials from path, or, when path is
// empty, from $KUBECONFIG, the in-cluster service account or ~/.kube/config. Either way the
// client's rate is the caller's to set: clientcmd would keep client-go's 5 requests/s.
func kubeConfig(path string) (*rest.Config, error) {
	cfg, err := ctrl.GetConfig()
	if path != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes config: %w", err)
	}
	cfg.QPS, cfg.Burst = defaultKubeAPIQPS, defaultKubeAPIBurst
	return cfg, nil
}

func parseOperatorFlags(args []string, stderr io.Writer) (operatorOptions, error) {
	var o operatorOptions
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "address the Prometheus metrics endpoint binds to; 0 disables it")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address the /healthz and /readyz probes bind to")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "", "address Go's pprof profiles are served on (e.g. 127.0.0.1:6060); empty turns them off")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster, or ~/.kube/config)")
	fs.Float64Var(&o.kubeAPIQPS, "kube-api-qps", defaultKubeAPIQPS, "requests per second the operator may send to the API server, whichever way it is configured")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", defaultKubeAPIBurst, "requests the operator may send to the API server in a burst above --kube-api-qps")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader through a Lease so that only one replica reconciles")
	fs.IntVar(&o.reconciler.MaxConcurrentReconciles, "max-concurrent-reconciles", 4, "how many objects are reconciled at once")
	fs.IntVar(&o.reconciler.MaxRuns, "max-concurrent-runs", 8, "how many certification runs are in progress at once")
	fs.IntVar(&o.reconciler.MaxRunsPerModel, "max-runs-per-model", 2, "how many runs of one model in one region are in progress at once")
	fs.DurationVar(&o.reconciler.MirrorResync, "mirror-resync", 10*time.Minute, "how often the mirror reads every row again (one query) and rewrites those that differ from their objects' statuses, so a wiped or edited table converges")
	fs.DurationVar(&o.reconciler.FinalizeTimeout, "finalize-timeout", 5*time.Minute, "how long a deleted object waits for the database before it is released anyway (an Event records what was left undone)")
	o.database.bind(fs)
	o.deployment.bind(fs)
	o.tenancy.bind(fs)
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, f := range []struct {
		name  string
		value int
	}{
		{"--max-concurrent-reconciles", o.reconciler.MaxConcurrentReconciles},
		{"--max-concurrent-runs", o.reconciler.MaxRuns},
		{"--max-runs-per-model", o.reconciler.MaxRunsPerModel},
		{"--kube-api-burst", o.kubeAPIBurst},
	} {
		if f.value < 1 {
			return o, fmt.Errorf("%s must be at least 1, got %d", f.name, f.value)
		}
	}
	if o.kubeAPIQPS <= 0 {
		return o, fmt.Errorf("--kube-api-qps must be positive, got %v", o.kubeAPIQPS)
	}
	if o.reconciler.MirrorResync <= 0 {
		return o, fmt.Errorf("--mirror-resync must be positive, got %s", o.reconciler.MirrorResync)
	}
	if o.reconciler.FinalizeTimeout <= 0 {
		return o, fmt.Errorf("--finalize-timeout must be positive, got %s", o.reconciler.FinalizeTimeout)
	}
	if err := o.deployment.resolve(o.leaderElect); err != nil {
		return o, err
	}
	if err := o.tenancy.resolve(); err != nil {
		return o, err
	}
	return o, o.database.validate()
}

func runOperator(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseOperatorFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "manager: %v\n", err)
		return 2
	}
	setGCPercent()
	setMemProfileRate(o.pprofAddr)
	cfg, err := kubeConfig(o.kubeconfig)
	if err != nil {
		fmt.Fprintf(stderr, "manager: %v\n", err)
		return 1
	}
	cfg.QPS, cfg.Burst = float32(o.kubeAPIQPS), o.kubeAPIBurst
	// The manager and its runnables log through this logger, not the global one alone, which
	// controller-runtime lets a process set only once.
	logger := zap.New(zap.UseFlagOptions(&o.zap), zap.WriteTo(stderr))
	ctrl.SetLogger(logger)
	setupLog := logger.WithName("setup")

	opts := ctrl.Options{
		Logger:                 logger,
		Scheme:                 newScheme(),
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		PprofBindAddress:       o.pprofAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       "modelcert-operator.certification.modelcert.io",
		Cache:                  cache.Options{DefaultTransform: trimCachedObject},
	}
	o.deployment.apply(&opts)
	o.tenancy.apply(&opts)
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		setupLog.Error(err, "Unable to create manager")
		return 1
	}
	reconciler := &controllers.ModelCertificationReconciler{Client: mgr.GetClient(), Options: o.reconciler, Tenancy: &o.tenancy.options}
	if o.tenancy.note != "" {
		setupLog.Info("Tenancy policy ConfigMap is off: the flags' defaults alone apply", "why", o.tenancy.note)
	} else {
		setupLog.Info("Tenancy policy from a ConfigMap", "configMap", o.tenancy.options.ConfigMap.String(), "key", tenancy.PolicyKey)
	}
	if o.database.url == "" {
		setupLog.Info("PostgreSQL mirror is off: --database-url and $" + databaseURLEnv + " are empty")
	} else {
		// The database may be down now: the operator certifies without it, migrates when it
		// comes, and the mirror catches up.
		db, err := o.database.connect()
		if err != nil {
			fmt.Fprintf(stderr, "manager: database: %s\n", oneLine(err))
			return 1
		}
		defer db.Close()
		if err := mgr.Add(migrator{db: db, log: logger.WithName("database")}); err != nil {
			setupLog.Error(err, "Unable to set up the database migration")
			return 1
		}
		reconciler.Mirror = db
		setupLog.Info("PostgreSQL mirror is on", "database", store.MaskDSN(o.database.url))
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		setupLog.Error(err, "Unable to set up controller")
		return 1
	}
	sets := &controllers.ModelCertificationSetReconciler{Client: mgr.GetClient(), Certifications: reconciler}
	if err := sets.SetupWithManager(mgr); err != nil {
		setupLog.Error(err, "Unable to set up the set controller")
		return 1
	}
	// Each scrape reads the certifications from the cache the controller already keeps.
	collector := controllers.NewCertificationCollector(mgr.GetCache(), mgr.Elected())
	collector.AfterCollect = reconciler.ReleaseWhenQuiet
	if err := metrics.Registry.Register(collector); err != nil {
		setupLog.Error(err, "Unable to register the certification metrics")
		return 1
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "Unable to set up health check")
		return 1
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		setupLog.Error(err, "Unable to set up ready check")
		return 1
	}
	setupLog.Info("Starting manager")
	if err := mgr.Start(ctx); err != nil {
		setupLog.Error(err, "Manager stopped with an error")
		return 1
	}
	return 0
}

// migrator migrates the database in the background, retrying with backoff while it is
// unreachable; every replica runs it (the migration serialises on a lock).
type migrator struct {
	db  *store.Store
	log logr.Logger
}

func (m migrator) Start(ctx context.Context) error {
	err := m.db.MigrateWhenReachable(ctx, databaseRetryMax, func(err error) {
		m.log.Info("Database not ready; the mirror waits and certification goes on", "error", oneLine(err))
	})
	if err == nil {
		m.log.Info("Database schema is up to date")
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// NeedLeaderElection is false: a standby may migrate too, the lock makes it safe.
func (migrator) NeedLeaderElection() bool { return false }

// defaultGCPercent is the operator's GOGC unless the environment sets one. Most of its heap is
// the cache of every object, which lives as long as the process: at Go's default of 100 the
// heap may grow to twice it before a collection, and what a burst of certifications spreads
// over that headroom stays resident after it. At 50 the bench at 10,000 objects peaks 55 MiB
// lower, at the same throughput (docs/benchmarks.md).
const defaultGCPercent = 50

// setMemProfileRate turns the heap profile's sampling off unless pprof is served: nobody else
// can read that profile, and its table of sampled call stacks holds about 3 MB after a burst of
// certifications.
func setMemProfileRate(pprofAddr string) {
	if pprofAddr == "" {
		goruntime.MemProfileRate = 0
	}
}

// setGCPercent applies defaultGCPercent unless GOGC is set.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
