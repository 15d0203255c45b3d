package controllers

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// gate is a job that records how many of its kind run at once and waits to be released.
type gate struct {
	release       chan struct{}
	running, peak atomic.Int32
	perTarget     sync.Map // target → *atomic.Int32 running
	perTargetPeak atomic.Int32
}

func (g *gate) job(target string) job {
	return func(ctx context.Context, progress func(done, total int)) certify.Report {
		v, _ := g.perTarget.LoadOrStore(target, &atomic.Int32{})
		mine := v.(*atomic.Int32)
		peak(&g.peak, g.running.Add(1))
		peak(&g.perTargetPeak, mine.Add(1))
		defer g.running.Add(-1)
		defer mine.Add(-1)
		progress(1, 2)
		select {
		case <-g.release:
		case <-ctx.Done():
		}
		return certify.Report{ModelID: target}
	}
}

func peak(p *atomic.Int32, v int32) {
	for {
		old := p.Load()
		if v <= old || p.CompareAndSwap(old, v) {
			return
		}
	}
}

func poolKey(name string) types.NamespacedName {
	return types.NamespacedName{Namespace: "ns", Name: name}
}

func TestRunPoolBoundsConcurrency(t *testing.T) {
	pool := newRunPool(3, 2, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pool.Start(ctx) }()

	g := &gate{release: make(chan struct{})}
	// Six runs of one model and three of another: at most 3 at once, at most 2 per model.
	for i := range 9 {
		target := "a@us-east-1"
		if i >= 6 {
			target = "b@us-east-1"
		}
		name := fmt.Sprintf("obj-%d", i)
		pool.submit(poolKey(name), "run-"+name, target, g.job(target))
	}
	for deadline := time.Now().Add(10 * time.Second); g.running.Load() < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs in progress, want 3 (the global bound)", g.running.Load())
		}
	}
	close(g.release)

	for i := range 9 {
		key := types.NamespacedName{Namespace: "ns", Name: fmt.Sprintf("obj-%d", i)}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if state, _, _ := pool.state(key, "run-"+key.Name); state == runFinished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not finish", key.Name)
			}
		}
	}
	if g.peak.Load() != 3 || g.perTargetPeak.Load() != 2 {
		t.Errorf("peak concurrency %d (per model %d), want 3 (2)", g.peak.Load(), g.perTargetPeak.Load())
	}
	// Each object was woken once, by its end: a run shorter than the progress interval reports
	// no progress.
	woken := map[string]int{}
	for len(pool.Events) > 0 {
		woken[(<-pool.Events).Object.GetName()]++
	}
	for i := range 9 {
		if name := fmt.Sprintf("obj-%d", i); woken[name] != 1 {
			t.Errorf("%s was woken %d times, want 1", name, woken[name])
		}
	}
}

// A run replaced by a newer one of the same object is cancelled and never reports; the pool
// knows only the newer run.
func TestRunPoolReplacesRuns(t *testing.T) {
	pool := newRunPool(4, 4, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pool.Start(ctx) }()

	g := &gate{release: make(chan struct{})}
	obj := poolKey("nova")
	pool.submit(obj, "run-1", "m@r", g.job("m@r"))
	pool.submit(obj, "run-2", "m@r", func(context.Context, func(int, int)) certify.Report {
		return certify.Report{ModelID: "second"}
	})
	key := types.NamespacedName{Namespace: "ns", Name: "nova"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if state, _, _ := pool.state(key, "run-2"); state == runFinished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second run did not finish")
		}
	}
	if state, _, _ := pool.state(key, "run-1"); state != runUnknown {
		t.Errorf("replaced run-1: state %d, want unknown", state)
	}
	if state, report, _ := pool.state(key, "run-2"); state != runFinished || report.ModelID != "second" {
		t.Errorf("run-2: state %d report %q, want finished", state, report.ModelID)
	}
	// The second run's end wakes the object once; the cancelled run adds nothing.
	time.Sleep(200 * time.Millisecond)
	if n := len(pool.Events); n != 1 {
		t.Errorf("%d wake-ups, want 1", n)
	}
}

// The pool holds each judged run's verdict until the mirror lets it go, one per run, in order.
func TestRunPoolHoldsVerdictsForTheMirror(t *testing.T) {
	pool := newRunPool(1, 1, time.Hour)
	key := poolKey("nova")
	verdict := func(runID string, score float64) heldVerdict {
		return heldVerdict{row: store.Certification{RunID: runID, Score: score}}
	}
	pool.keepVerdict(key, verdict("run-1", 1))
	pool.keepVerdict(key, verdict("run-2", 2))
	pool.keepVerdict(key, verdict("run-1", 3)) // a retried finish replaces its own
	runs := func() (got []string) {
		for _, v := range pool.heldVerdicts(key) {
			got = append(got, fmt.Sprintf("%s:%v", v.row.RunID, v.row.Score))
		}
		return got
	}
	if got := fmt.Sprint(runs()); got != "[run-1:3 run-2:2]" {
		t.Errorf("held = %s, want [run-1:3 run-2:2]", got)
	}
	pool.dropVerdict(key, "run-1")
	if got := fmt.Sprint(runs()); got != "[run-2:2]" {
		t.Errorf("after dropping run-1: %s", got)
	}
	pool.keepVerdict(key, verdict("run-3", 3))
	pool.dropVerdict(key, "")
	if got := runs(); len(got) != 0 || len(pool.verdicts) != 0 {
		t.Errorf("after dropping all: %v, %d objects held", got, len(pool.verdicts))
	}
}

// After a burst the pool lets go of every target it bounded and, once idle, hands the memory back
// to the operating system exactly once; never while runs are in progress.
func TestRunPoolReleasesMemoryWhenIdle(t *testing.T) {
	pool := newRunPool(4, 2, time.Hour)
	releases := countReleases(pool)
	pool.idleRelease = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pool.Start(ctx) }()

	g := &gate{release: make(chan struct{})}
	for i := range 6 {
		target := fmt.Sprintf("model-%d@us-east-1", i)
		name := fmt.Sprintf("obj-%d", i)
		pool.submit(poolKey(name), "run-"+name, target, g.job(target))
	}
	time.Sleep(4 * pool.idleRelease)
	if n := releases.Load(); n != 0 {
		t.Fatalf("memory released %d times while runs were in progress", n)
	}
	close(g.release)
	waitForRelease(t, releases, "after the pool went idle")
	time.Sleep(4 * pool.idleRelease)
	if n := releases.Load(); n != 1 {
		t.Errorf("memory released %d times after one burst, want 1", n)
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if len(pool.targets) != 0 {
		t.Errorf("the pool still bounds %d targets after their runs ended", len(pool.targets))
	}
}

// A burst of reconciles without runs (the first sync of every object at start-up) also ends in
// one release, once the reconciles have stopped for the idle time; not while they go on.
func TestRunPoolReleasesMemoryAfterReconciles(t *testing.T) {
	pool := newRunPool(4, 2, time.Hour)
	releases := countReleases(pool)
	// Long enough that no stall of a loaded machine between two touches reaches it.
	pool.idleRelease = time.Second
	for busy := time.Now().Add(2 * pool.idleRelease); time.Now().Before(busy); time.Sleep(10 * time.Millisecond) {
		pool.touch()
	}
	if n := releases.Load(); n != 0 {
		t.Fatalf("memory released %d times while reconciles went on", n)
	}
	waitForRelease(t, releases, "after the reconciles stopped")
	time.Sleep(2 * pool.idleRelease)
	if n := releases.Load(); n != 1 {
		t.Errorf("memory released %d times after one burst, want 1", n)
	}
}

// Runs wait in a queue, not in goroutines: one model's backlog does not hold back another
// model, and a waiting run replaced before it starts never runs.
func TestRunPoolServesModelsInTurn(t *testing.T) {
	pool := newRunPool(1, 1, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = pool.Start(ctx) }()

	var mu sync.Mutex
	var started []string
	release := make(chan struct{})
	job := func(name string) job {
		return func(ctx context.Context, _ func(done, total int)) certify.Report {
			mu.Lock()
			started = append(started, name)
			mu.Unlock()
			select {
			case <-release:
			case <-ctx.Done():
			}
			return certify.Report{}
		}
	}
	pool.submit(poolKey("a1"), "run-a1", "a@us-east-1", job("a1"))
	pool.submit(poolKey("a2"), "run-a2", "a@us-east-1", job("a2"))
	pool.submit(poolKey("a3"), "run-a3", "a@us-east-1", job("a3"))
	pool.submit(poolKey("b1"), "run-b1", "b@us-east-1", job("b1"))
	// a3 is replaced while it waits: only its newer run may start.
	pool.submit(poolKey("a3"), "run-a3-again", "a@us-east-1", job("a3-again"))

	for i := range 4 {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := len(started)
			mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d runs started, want %d", n, i+1)
			}
		}
		release <- struct{}{}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"a1", "b1", "a2", "a3-again"}, started); diff != "" {
		t.Errorf("order of runs (-want +got):\n%s", diff)
	}
}

// countReleases replaces pool's memory release with a count of its calls.
func countReleases(pool *runPool) *atomic.Int32 {
	var releases atomic.Int32
	pool.releaseMemory = func() { releases.Add(1) }
	return &releases
}

// waitForRelease waits up to 10 s for pool's memory release, which should follow what the
// test did: after names it.
func waitForRelease(t *testing.T, releases *atomic.Int32, after string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); releases.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("memory was not released " + after)
		}
	}
}

// holdingsOnly is a database with no rows, for the mirror's resync alone.
type holdingsOnly struct{ Mirror }

func (holdingsOnly) Holdings(context.Context) (map[store.RowKey]store.Held, error) {
	return map[store.RowKey]store.Held{}, nil
}

// A resync reads every row and lists every object while nothing else happens: what it
// allocated is released as a burst's is.
func TestMirrorResyncReleasesMemory(t *testing.T) {
	pool := newRunPool(1, 1, time.Hour)
	releases := countReleases(pool)
	pool.idleRelease = 100 * time.Millisecond
	scheme := runtime.NewScheme()
	if err := certv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mirror := &mirrorReconciler{Client: fake.NewClientBuilder().WithScheme(scheme).Build(), db: holdingsOnly{}, pool: pool,
		options: Options{MirrorResync: 200 * time.Millisecond, MirrorTimeout: time.Second}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = mirror.Start(ctx) }()
	waitForRelease(t, releases, "after a resync")
}
