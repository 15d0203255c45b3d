package controllers

import (
	"container/list"
	"context"
	"encoding/json"
	"runtime/debug"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// job runs one certification and returns its report; progress reports checks done.
type job func(ctx context.Context, progress func(done, total int)) certify.Report

// poolRun is one run the pool holds, from submission until the reconciler forgets it.
type poolRun struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	target *runTarget
	// job is the work, until the run is launched; queued is its place in its target's queue
	// while it waits for a slot.
	job    job
	queued *list.Element
	// began is when the run got its slots; zero while it waits for them.
	began    time.Time
	finished bool
	report   certify.Report
	// progress is what status may show: published at most every progressInterval from began.
	progress  certv1.Progress
	published time.Time
}

// heldVerdict is a judged run whose history row the mirror has not written yet: the row as
// status recorded it, and the full per-check results that only this process holds.
type heldVerdict struct {
	row     store.Certification
	results json.RawMessage
}

// idleMemoryRelease is how long the process stays quiet (no run in the pool, no reconcile)
// before it hands the memory of a burst back to the operating system. Work comes in bursts: a
// fleet re-certified weekly, or the first sync of every object at start-up. Without this the
// heap a burst grew stays resident until the next one, since the runtime keeps what is below
// its heap goal.
const idleMemoryRelease = 10 * time.Second

// runTarget is one model in one region: its runs in progress and the runs waiting for one of
// its slots, oldest first. It lives while it has either.
type runTarget struct {
	name    string
	running int
	queue   *list.List // of queuedRun
	// ready says the target is in the pool's ready list: it has a queued run and a free slot.
	ready bool
}

type queuedRun struct {
	key types.NamespacedName
	run *poolRun
}

// runPool runs certifications in the background so that a long run never holds a reconcile
// worker. Concurrency is bounded globally and per model and region (runs of one model in one
// region share its quota). A finished run, and progress at most every progressInterval, wake
// the object through Events, which the controller watches as a channel source. The pool also
// keeps each judged run's results until the mirror has written its history.
type runPool struct {
	Events chan event.GenericEvent

	maxRuns          int
	perTarget        int
	progressInterval time.Duration
	ctx              context.Context
	stop             context.CancelFunc
	wg               sync.WaitGroup

	// releaseMemory runs once the pool has been idle for idleRelease after runs.
	releaseMemory func()
	idleRelease   time.Duration

	mu sync.Mutex
	// Waiting runs are queued, not parked in goroutines: at 10,000 objects a goroutine per
	// waiting run cost its stack each. Targets with a waiting run and a free slot take turns
	// in ready, so that one model's backlog never holds back the others.
	targets  map[string]*runTarget
	ready    *list.List // of *runTarget
	running  int
	runs     map[types.NamespacedName]*poolRun
	verdicts map[types.NamespacedName][]heldVerdict
	// active counts the runs submitted and not yet ended; idle waits to release memory.
	active int
	idle   *time.Timer
}

func newRunPool(maxRuns, maxRunsPerTarget int, progressInterval time.Duration) *runPool {
	ctx, stop := context.WithCancel(context.Background())
	return &runPool{
		Events:           make(chan event.GenericEvent, 1024),
		maxRuns:          maxRuns,
		perTarget:        maxRunsPerTarget,
		progressInterval: progressInterval,
		ctx:              ctx,
		stop:             stop,
		releaseMemory:    debug.FreeOSMemory,
		idleRelease:      idleMemoryRelease,
		targets:          map[string]*runTarget{},
		ready:            list.New(),
		runs:             map[types.NamespacedName]*poolRun{},
		verdicts:         map[types.NamespacedName][]heldVerdict{},
	}
}

// Start blocks until ctx ends, then cancels every run and waits for them: the pool is a
// manager Runnable, so the manager's shutdown stops the runs.
func (p *runPool) Start(ctx context.Context) error {
	<-ctx.Done()
	p.stop()
	p.wg.Wait()
	return nil
}

// state reports what the pool knows of run runID of an object, its report when finished, and
// the progress status may show (zero until the run has lasted a progress interval).
func (p *runPool) state(key types.NamespacedName, runID string) (runState, certify.Report, certv1.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.runs[key]
	switch {
	case !ok || r.id != runID:
		return runUnknown, certify.Report{}, certv1.Progress{}
	case r.finished:
		return runFinished, r.report, r.progress
	default:
		return runRunning, certify.Report{}, r.progress
	}
}

// submit queues run runID of the object named key, replacing (and cancelling) any other run
// of it, and starts it as soon as its model and the pool have a free slot. It never blocks.
func (p *runPool) submit(key types.NamespacedName, runID, target string, run job) {
	ctx, cancel := context.WithCancel(p.ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.runs[key]; ok {
		p.drop(old)
	}
	t := p.targets[target]
	if t == nil {
		t = &runTarget{name: target, queue: list.New()}
		p.targets[target] = t
	}
	r := &poolRun{id: runID, ctx: ctx, cancel: cancel, target: t, job: run}
	r.queued = t.queue.PushBack(queuedRun{key: key, run: r})
	p.runs[key] = r
	runsInProgress.Inc()
	if p.active++; p.idle != nil {
		p.idle.Stop()
	}
	p.markReady(t)
	p.dispatch()
}

// markReady puts a target in line for a slot when it has a queued run and a free slot of its
// own. Callers hold mu.
func (p *runPool) markReady(t *runTarget) {
	if !t.ready && t.queue.Len() > 0 && t.running < p.perTarget {
		t.ready = true
		p.ready.PushBack(t)
	}
}

// dispatch launches queued runs while the pool has free slots, one per ready target in turn.
// Callers hold mu.
func (p *runPool) dispatch() {
	for p.running < p.maxRuns && p.ready.Len() > 0 && p.ctx.Err() == nil {
		t := p.ready.Remove(p.ready.Front()).(*runTarget)
		t.ready = false
		q := t.queue.Remove(t.queue.Front()).(queuedRun)
		q.run.queued = nil
		t.running++
		p.running++
		p.markReady(t)
		p.launch(q.key, q.run)
	}
}

// launch runs a dequeued run in its own goroutine. Callers hold mu.
func (p *runPool) launch(key types.NamespacedName, r *poolRun) {
	r.began, r.published = time.Now(), time.Now()
	run := r.job
	r.job = nil
	p.wg.Go(func() {
		report := run(r.ctx, func(done, total int) { p.setProgress(key, r, done, total) })
		p.mu.Lock()
		r.target.running--
		p.running--
		// Replaced, forgotten, deleted or shutting down: nobody waits for this report. A run
		// lost to a shutdown is started again by whichever replica leads next.
		finished := r.ctx.Err() == nil
		if finished {
			r.finished, r.report = true, report
		}
		r.cancel()
		p.ended(r.target)
		p.dispatch()
		p.mu.Unlock()
		if finished {
			p.notify(key)
		}
	})
}

// drop cancels a run and, when it is still queued, takes it out of the queue. Callers hold mu.
func (p *runPool) drop(r *poolRun) {
	r.cancel()
	if r.queued != nil {
		r.target.queue.Remove(r.queued)
		r.queued = nil
		p.ended(r.target)
	}
}

// ended accounts for a run that left the pool, launched or not: it lets go of its target once
// nothing of it is left (a fleet of models must not grow the pool), and arms the memory
// release when it was the last run. Callers hold mu.
func (p *runPool) ended(t *runTarget) {
	runsInProgress.Dec()
	if t.running == 0 && t.queue.Len() == 0 {
		deleteKey(&p.targets, t.name)
	}
	p.markReady(t)
	if p.active--; p.active == 0 {
		p.armRelease()
	}
}

// touch tells the pool that the process is busy (a reconcile), so that the memory release
// waits until it has been quiet for idleRelease.
func (p *runPool) touch() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == 0 {
		p.armRelease()
	}
}

// armRelease (re)starts the wait for the memory release. Callers hold mu.
func (p *runPool) armRelease() {
	switch {
	case p.ctx.Err() != nil:
	case p.idle == nil:
		p.idle = time.AfterFunc(p.idleRelease, p.releaseIfIdle)
	default:
		p.idle.Reset(p.idleRelease)
	}
}

// releaseIfIdle returns the burst's memory to the operating system unless runs came meanwhile.
func (p *runPool) releaseIfIdle() {
	p.mu.Lock()
	idle := p.active == 0
	p.mu.Unlock()
	if idle {
		p.releaseMemory()
	}
}

// forget drops a run once its verdict is in status.
func (p *runPool) forget(key types.NamespacedName, runID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.runs[key]; ok && r.id == runID {
		p.drop(r)
		deleteKey(&p.runs, key)
	}
}

// deleteKey deletes key from *m and, once *m is empty, replaces it with a new map: a map keeps
// the buckets of its largest size, megabytes after a burst of 10,000 runs.
func deleteKey[K comparable, V any](m *map[K]V, key K) {
	delete(*m, key)
	if len(*m) == 0 {
		*m = map[K]V{}
	}
}

// cancel stops and drops whatever run an object has, for deleted objects. Judged verdicts stay
// for the mirror, which writes them before it lets the object go.
func (p *runPool) cancel(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.runs[key]; ok {
		p.drop(r)
		deleteKey(&p.runs, key)
	}
}

// keepVerdict holds a judged run's row and results for the mirror, replacing an earlier hold of
// the same run.
func (p *runPool) keepVerdict(key types.NamespacedName, v heldVerdict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	held := p.verdicts[key]
	for i := range held {
		if held[i].row.RunID == v.row.RunID {
			held[i] = v
			return
		}
	}
	p.verdicts[key] = append(held, v)
}

// heldVerdicts returns the verdicts held for an object, oldest first.
func (p *runPool) heldVerdicts(key types.NamespacedName) []heldVerdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]heldVerdict(nil), p.verdicts[key]...)
}

// dropVerdict lets a verdict go: the mirror wrote it, or status refused it. Without a runID
// it drops every verdict of the object.
func (p *runPool) dropVerdict(key types.NamespacedName, runID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	held := p.verdicts[key][:0]
	for _, v := range p.verdicts[key] {
		if runID != "" && v.row.RunID != runID {
			held = append(held, v)
		}
	}
	if len(held) == 0 {
		deleteKey(&p.verdicts, key)
		return
	}
	p.verdicts[key] = held
}

// setProgress records checks done; it publishes them, and wakes the object to write them, at
// most once per progress interval counted from when the run began, never for the last check
// (the verdict follows at once).
func (p *runPool) setProgress(key types.NamespacedName, r *poolRun, done, total int) {
	p.mu.Lock()
	due := time.Since(r.published) >= p.progressInterval && done < total
	if due {
		r.progress = certv1.Progress{Done: int32(done), Total: int32(total)}
		r.published = time.Now()
	}
	current := p.runs[key] == r
	p.mu.Unlock()
	if due && current {
		p.notify(key)
	}
}

// notify wakes the object's reconcile without blocking the run.
func (p *runPool) notify(key types.NamespacedName) {
	wake(p.ctx, p.Events, key.Namespace, key.Name)
}

// wake sends a channel source the name of an object to reconcile; the event carries only the
// name, and the reconciler reads the object itself. It reports false when ctx ended first.
func wake(ctx context.Context, events chan<- event.GenericEvent, namespace, name string) bool {
	obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	select {
	case events <- event.GenericEvent{Object: obj}:
		return true
	case <-ctx.Done():
		return false
	}
}
