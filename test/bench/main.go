// Command bench certifies N ModelCertifications through the real manager binary against the
// simulator at a fixed latency, then the same N through the engine directly at the same
// concurrency, and reports throughput, the manager's API writes and Events (from the API server's
// audit log), database transactions (from pg_stat_database), model calls (from the simulator's
// access log), open files and memory (from /proc), and the cost of a restart over the settled
// objects. `make bench` runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/test/harness"
)

const namespace = "bench"

// awsEnvironment is the environment the manager and the direct driver take their AWS settings
// from: fake credentials and, over TLS, the simulator's certificate as AWS_CA_BUNDLE.
var awsEnvironment = map[string]string{"AWS_ACCESS_KEY_ID": "AKIABENCH", "AWS_SECRET_ACCESS_KEY": "bench-secret",
	"AWS_EC2_METADATA_DISABLED": "true"}

type config struct {
	root, managerBin, simBin, assets string
	n, concurrency, reconciles       int
	latency, rest, restartWindow     time.Duration
	managerArgs                      []string
	out                              string
	keep, direct, tls                bool
}

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := parseFlags()
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "modelcert-bench-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	res, err := measure(ctx, cfg, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\nlogs kept in %s\n", err, dir)
		return 1
	}
	res.print()
	if cfg.out != "" {
		data, _ := json.Marshal(res)
		f, err := os.OpenFile(cfg.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.Write(append(data, '\n'))
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: write %s: %v\n", cfg.out, err)
			return 1
		}
	}
	if cfg.keep {
		fmt.Printf("logs kept in %s\n", dir)
	} else {
		os.RemoveAll(dir)
	}
	return 0
}

func parseFlags() (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.root, "root", ".", "the repository checkout (for hack/postgres.sh and the CRDs)")
	fs.StringVar(&c.managerBin, "manager", "bin/manager", "the manager binary")
	fs.StringVar(&c.simBin, "simulator", "bin/bedrock-sim", "the bedrock-sim binary")
	fs.StringVar(&c.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "folder of kube-apiserver, etcd and kubectl (default $KUBEBUILDER_ASSETS)")
	fs.IntVar(&c.n, "n", 1000, "certifications")
	fs.IntVar(&c.concurrency, "concurrency", 64, "runs at once (the manager's --max-concurrent-runs, the direct driver's workers)")
	fs.IntVar(&c.reconciles, "reconciles", 16, "the manager's --max-concurrent-reconciles")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "the simulator's fixed latency per model call")
	fs.DurationVar(&c.rest, "rest", 30*time.Second, "how long the manager idles before its at-rest memory and files are read")
	fs.DurationVar(&c.restartWindow, "restart-window", 30*time.Second, "how long a restarted manager is watched for work once its workers start")
	fs.BoolVar(&c.direct, "direct", true, "also run the engine directly, for the operator/direct ratio")
	fs.BoolVar(&c.keep, "keep", false, "keep the logs and audit log")
	fs.BoolVar(&c.tls, "tls", true, "the simulator serves HTTPS, HTTP/2 by ALPN, as Bedrock does; false serves plain HTTP/1.1, one connection per call in flight")
	fs.StringVar(&c.out, "out", "", "append the results as one JSON line to this file")
	managerArgs := fs.String("manager-args", os.Getenv("BENCH_MANAGER_ARGS"), "extra manager flags, space-separated (default $BENCH_MANAGER_ARGS)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return c, err
	}
	c.managerArgs = strings.Fields(*managerArgs)
	switch {
	case c.assets == "":
		return c, errors.New("--assets (or $KUBEBUILDER_ASSETS) is required: hack/control-plane.sh prints it")
	case c.n < 1 || c.concurrency < 1 || c.reconciles < 1:
		return c, errors.New("--n, --concurrency and --reconciles must be at least 1")
	}
	var err error
	for _, p := range []*string{&c.root, &c.managerBin, &c.simBin} {
		if *p, err = filepath.Abs(*p); err != nil {
			return c, err
		}
	}
	return c, nil
}

// results is what one bench run measured.
type results struct {
	N           int      `json:"n"`
	Concurrency int      `json:"concurrency"`
	LatencyMs   int64    `json:"latencyMs"`
	ManagerArgs []string `json:"managerArgs"`

	OperatorSeconds   float64        `json:"operatorSeconds"`
	OperatorPerSecond float64        `json:"operatorPerSecond"`
	DirectSeconds     float64        `json:"directSeconds,omitempty"`
	DirectPerSecond   float64        `json:"directPerSecond,omitempty"`
	Ratio             float64        `json:"operatorOverDirect,omitempty"`
	Verdicts          map[string]int `json:"verdicts"`
	DirectVerdicts    map[string]int `json:"directVerdicts,omitempty"`

	Certify cost `json:"certify"`
	Restart cost `json:"restart"`

	MaxOpenFiles int   `json:"maxOpenFiles"`
	PeakRSS      int64 `json:"peakRssBytes"`
	RestRSS      int64 `json:"restRssBytes"`
	RestRSSAnon  int64 `json:"restRssAnonBytes"`
	RestRSSFile  int64 `json:"restRssFileBytes"`
	// CPUSeconds is the manager's user and system time from the first create to the last verdict.
	CPUSeconds     float64 `json:"managerCpuSeconds"`
	RestOpenFiles  int     `json:"restOpenFiles"`
	FreshRSS       int64   `json:"freshRssBytes"`
	FreshOpenFiles int     `json:"freshOpenFiles"`
	ManagerCrashes int     `json:"managerCrashes"`
}

// cost is the work of one phase: the manager's API writes, database work and model calls.
type cost struct {
	Writes       harness.Writes  `json:"-"`
	ObjectWrites int             `json:"objectWrites"`
	StatusWrites int             `json:"statusWrites"`
	Events       int             `json:"events"`
	Conflicts    int             `json:"conflicts"`
	DB           harness.DBStats `json:"db"`
	ModelCalls   int             `json:"modelCalls"`
	Seconds      float64         `json:"seconds"`
}

type bench struct {
	cfg config
	dir string
	cp  *harness.ControlPlane
	pg  *harness.Postgres
	sim *harness.Simulator
	mgr *harness.Manager

	mu       sync.Mutex
	settled  map[string]bool
	verdicts map[string]int
	lastDone time.Time
	maxFiles int
}

func measure(ctx context.Context, cfg config, dir string) (*results, error) {
	b := &bench{cfg: cfg, dir: dir, settled: map[string]bool{}, verdicts: map[string]int{}}
	res := &results{N: cfg.n, Concurrency: cfg.concurrency, LatencyMs: cfg.latency.Milliseconds()}
	var err error
	if b.pg, err = harness.StartPostgres(ctx, cfg.root, filepath.Join(dir, "pg"), "modelcert"); err != nil {
		return nil, err
	}
	defer b.pg.Stop()
	if b.cp, err = harness.StartControlPlane(cfg.root, cfg.assets, dir); err != nil {
		return nil, err
	}
	defer b.cp.Stop()
	pairs := harness.Pairs(cfg.n)
	catalog := filepath.Join(dir, "catalog.yaml")
	if err := harness.WriteCatalog(catalog, cfg.n, cfg.latency); err != nil {
		return nil, err
	}
	caBundle := ""
	if cfg.tls {
		caBundle = filepath.Join(dir, "simulator-ca.pem")
		awsEnvironment["AWS_CA_BUNDLE"] = caBundle
	}
	if b.sim, err = harness.StartSimulator(cfg.simBin, catalog, filepath.Join(dir, "simulator.log"), caBundle); err != nil {
		return nil, err
	}
	defer b.sim.Stop()
	if err := b.cp.Client.Create(ctx, harness.Namespace(namespace)); err != nil {
		return nil, err
	}
	if _, err := harness.Observe(ctx, b.cp.Config, namespace, b.observe); err != nil {
		return nil, err
	}
	args := append([]string{"--database-url", b.pg.URL, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--max-concurrent-runs", fmt.Sprint(cfg.concurrency), "--max-runs-per-model", fmt.Sprint(cfg.concurrency),
		"--max-concurrent-reconciles", fmt.Sprint(cfg.reconciles),
		// The simulator serves on 127.0.0.1: the tenancy policy must list it.
		"--allowed-endpoints", "127.0.0.1:*"}, cfg.managerArgs...)
	if !cfg.tls {
		args = append(args, "--allow-http-endpoints")
	}
	res.ManagerArgs = args[2:]
	env := []string{"KUBECONFIG=" + b.cp.ManagerKubeconfig}
	for key, value := range awsEnvironment {
		env = append(env, key+"="+value)
	}
	if b.mgr, err = harness.StartManager(cfg.managerBin, args, env, filepath.Join(dir, "manager.log")); err != nil {
		return nil, err
	}
	defer func() {
		if b.mgr != nil {
			b.mgr.Stop()
		}
	}()
	if err := b.mgr.WaitWorkers(ctx, 0); err != nil {
		return nil, err
	}
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go b.sample(sampleCtx)

	// Certify N.
	fmt.Printf("bench: certifying %d through the manager, %d at once, model latency %s\n", cfg.n, cfg.concurrency, cfg.latency)
	before, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	idle, err := harness.ReadProc(b.mgr.PID())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := b.createAll(ctx, pairs); err != nil {
		return nil, err
	}
	if err := b.waitSettled(ctx, start); err != nil {
		return nil, err
	}
	b.mu.Lock()
	elapsed := b.lastDone.Sub(start)
	res.Verdicts = b.verdicts
	b.mu.Unlock()
	res.OperatorSeconds = elapsed.Seconds()
	res.OperatorPerSecond = float64(cfg.n) / elapsed.Seconds()
	fmt.Printf("bench: %d certified in %.1fs (%.1f/s)\n", cfg.n, elapsed.Seconds(), res.OperatorPerSecond)
	if res.Certify, err = b.costSince(ctx, before); err != nil {
		return nil, err
	}
	proc, err := harness.ReadProc(b.mgr.PID())
	if err != nil {
		return nil, err
	}
	res.PeakRSS = proc.PeakRSS
	res.CPUSeconds = (proc.CPU - idle.CPU).Seconds()

	// At rest.
	fmt.Printf("bench: resting %s\n", cfg.rest)
	if err := sleep(ctx, cfg.rest); err != nil {
		return nil, err
	}
	stopSampling()
	if proc, err = harness.ReadProc(b.mgr.PID()); err != nil {
		return nil, err
	}
	res.RestRSS, res.RestRSSAnon, res.RestRSSFile, res.RestOpenFiles = proc.RSS, proc.RSSAnon, proc.RSSFile, proc.OpenFiles
	b.mu.Lock()
	res.MaxOpenFiles = b.maxFiles
	b.mu.Unlock()

	// Restart over the settled objects.
	fmt.Printf("bench: SIGKILL and restart over %d settled objects, watched %s\n", cfg.n, cfg.restartWindow)
	if before, err = b.snapshot(ctx); err != nil {
		return nil, err
	}
	logSize := b.mgr.LogSize()
	if err := b.mgr.Kill(); err != nil {
		return nil, err
	}
	if err := b.mgr.WaitWorkers(ctx, logSize); err != nil {
		return nil, err
	}
	if err := sleep(ctx, cfg.restartWindow); err != nil {
		return nil, err
	}
	if res.Restart, err = b.costSince(ctx, before); err != nil {
		return nil, err
	}
	if proc, err = harness.ReadProc(b.mgr.PID()); err != nil {
		return nil, err
	}
	res.FreshRSS, res.FreshOpenFiles = proc.RSS, proc.OpenFiles
	res.ManagerCrashes = b.mgr.Crashes
	b.mgr.Stop()
	b.mgr = nil

	if cfg.direct {
		fmt.Printf("bench: certifying %d through the engine directly, %d at once\n", cfg.n, cfg.concurrency)
		took, verdicts := direct(ctx, pairs, b.sim.URL, cfg.concurrency)
		res.DirectSeconds, res.DirectPerSecond = took.Seconds(), float64(cfg.n)/took.Seconds()
		res.DirectVerdicts = verdicts
		res.Ratio = res.OperatorSeconds / res.DirectSeconds
	}
	return res, nil
}

func (b *bench) observe(obj *certv1.ModelCertification, deleted bool) {
	if deleted || !harness.Terminal(obj.Status.Phase) || obj.Status.CompletedAt == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.settled[obj.Name] {
		b.settled[obj.Name] = true
		b.verdicts[string(obj.Status.Phase)]++
		b.lastDone = time.Now()
	}
}

// sample records the manager's largest number of open files, once a second.
func (b *bench) sample(ctx context.Context) {
	for {
		if p, err := harness.ReadProc(b.mgr.PID()); err == nil {
			b.mu.Lock()
			b.maxFiles = max(b.maxFiles, p.OpenFiles)
			b.mu.Unlock()
		}
		if sleep(ctx, time.Second) != nil {
			return
		}
	}
}

func (b *bench) createAll(ctx context.Context, pairs []harness.Pair) error {
	work := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("bench-%05d", i)},
					Spec: certv1.ModelCertificationSpec{ModelID: pairs[i].Model, Region: pairs[i].Region,
						CertificationTemplate: certv1.CertificationTemplate{Endpoint: b.sim.URL}}}
				if err := b.cp.Client.Create(ctx, obj); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range pairs {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("create: %w", err)
	default:
		return nil
	}
}

// waitSettled waits until every object has a verdict: as long as verdicts keep coming, and at
// most two minutes without a new one.
func (b *bench) waitSettled(ctx context.Context, start time.Time) error {
	for {
		b.mu.Lock()
		done, last := len(b.settled), b.lastDone
		b.mu.Unlock()
		if done >= b.cfg.n {
			return nil
		}
		if last.Before(start) {
			last = start
		}
		if time.Since(last) > 2*time.Minute {
			return fmt.Errorf("%d of %d certified; no verdict for two minutes", done, b.cfg.n)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// snapshot is the counters at the start of a phase.
type snapshot struct {
	at       time.Time
	db       harness.DBStats
	requests int
}

func (b *bench) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{at: time.Now()}
	var err error
	if s.db, err = b.pg.Stats(ctx); err != nil {
		return s, err
	}
	s.requests, err = b.sim.Requests()
	return s, err
}

// costSince waits until the database has been quiet for three seconds (the mirror trails the
// verdicts), then counts the work since the snapshot.
func (b *bench) costSince(ctx context.Context, since snapshot) (cost, error) {
	var c cost
	var last harness.DBStats
	quietSince := time.Now()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		now, err := b.pg.Stats(ctx)
		if err != nil {
			return c, err
		}
		if now != last {
			last, quietSince = now, time.Now()
		} else if time.Since(quietSince) >= 3*time.Second {
			break
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return c, err
		}
	}
	end := time.Now()
	var err error
	if c.Writes, err = harness.CountWrites(b.cp.AuditLog, namespace, since.at, end); err != nil {
		return c, err
	}
	c.ObjectWrites, c.StatusWrites, c.Events, c.Conflicts = c.Writes.Object, c.Writes.Status, c.Writes.Events, c.Writes.Conflicts
	c.DB = last.Sub(since.db)
	requests, err := b.sim.Requests()
	c.ModelCalls = requests - since.requests
	c.Seconds = end.Sub(since.at).Seconds()
	return c, err
}

// direct runs the engine itself on every pair, concurrency at once, as the operator's run pool
// would but with no Kubernetes and no database, and returns how long it took and the verdicts.
func direct(ctx context.Context, pairs []harness.Pair, endpoint string, concurrency int) (time.Duration, map[string]int) {
	// The same credentials and CA bundle as the manager's, from the same place: the environment.
	for key, value := range awsEnvironment {
		os.Setenv(key, value)
	}
	verdicts := map[string]int{}
	var mu sync.Mutex
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for _, p := range pairs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			status := "ConfigurationError"
			model, err := bedrock.New(ctx, bedrock.Config{ModelID: p.Model, Region: p.Region, Endpoint: endpoint})
			if err == nil {
				report := certify.Run(ctx, model, certify.Options{})
				status = string(certify.Judge(report.Results, certify.DefaultPolicy).Status)
			}
			mu.Lock()
			verdicts[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return time.Since(start), verdicts
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (r *results) print() {
	n := float64(r.N)
	per := func(v int) string { return fmt.Sprintf("%d (%.2f per certification)", v, float64(v)/n) }
	fmt.Printf("\n== bench: N=%d, %d at once, model latency %d ms\n", r.N, r.Concurrency, r.LatencyMs)
	fmt.Printf("manager flags: %s\n", strings.Join(r.ManagerArgs, " "))
	fmt.Printf("operator: %.1fs, %.1f certifications/s, verdicts %v\n", r.OperatorSeconds, r.OperatorPerSecond, r.Verdicts)
	if r.DirectSeconds > 0 {
		fmt.Printf("direct engine: %.1fs, %.1f certifications/s, verdicts %v\n", r.DirectSeconds, r.DirectPerSecond, r.DirectVerdicts)
		fmt.Printf("operator/direct (time): %.2f\n", r.Ratio)
	}
	c := r.Certify
	fmt.Printf("certifying: status writes %s, object writes %s, Events %s, conflicts (409) %s\n",
		per(c.StatusWrites), per(c.ObjectWrites), per(c.Events), per(c.Conflicts))
	fmt.Printf("certifying: database transactions %s, row writes %s, model calls %s\n",
		per(int(c.DB.Transactions)), per(int(c.DB.RowWrites)), per(c.ModelCalls))
	fmt.Printf("manager: CPU %.1fs while certifying (%.1f ms per certification)\n", r.CPUSeconds, 1000*r.CPUSeconds/n)
	fmt.Printf("manager: peak RSS (VmHWM) %s, at rest RSS %s (heap and runtime %s, executable %s), open files max %d, at rest %d\n",
		harness.MiB(r.PeakRSS), harness.MiB(r.RestRSS), harness.MiB(r.RestRSSAnon), harness.MiB(r.RestRSSFile), r.MaxOpenFiles, r.RestOpenFiles)
	rc := r.Restart
	fmt.Printf("restart over %d settled objects (%.0fs watched): model calls %d, API writes %d (status %d, object %d, Events %d, conflicts %d), database transactions %d, row writes %d\n",
		r.N, rc.Seconds, rc.ModelCalls, rc.Writes.Total(), rc.StatusWrites, rc.ObjectWrites, rc.Events, rc.Conflicts, rc.DB.Transactions, rc.DB.RowWrites)
	fmt.Printf("fresh manager after the restart: RSS %s, open files %d; unasked manager exits: %d\n",
		harness.MiB(r.FreshRSS), r.FreshOpenFiles, r.ManagerCrashes)
}
