package controllers

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// job runs one certification and returns its report; progress reports checks done.
type job func(ctx context.Context, progress func(done, total int)) certify.Report

// poolRun is one run the pool holds, from submission until the reconciler forgets it.
type poolRun struct {
	id         string
	cancel     context.CancelFunc
	finished   bool
	report     certify.Report
	progress   certv1.Progress
	lastNotify time.Time
}

// runPool runs certifications in the background so that a long run never holds a reconcile
// worker. Concurrency is bounded globally and per model and region (runs of one model in one
// region share its quota). A finished run, and progress at most every progressInterval, wake
// the object through Events, which the controller watches as a channel source.
type runPool struct {
	Events chan event.GenericEvent

	global           chan struct{}
	perTarget        int
	progressInterval time.Duration
	ctx              context.Context
	stop             context.CancelFunc
	wg               sync.WaitGroup

	mu      sync.Mutex
	targets map[string]chan struct{}
	runs    map[types.NamespacedName]*poolRun
}

func newRunPool(maxRuns, maxRunsPerTarget int, progressInterval time.Duration) *runPool {
	ctx, stop := context.WithCancel(context.Background())
	return &runPool{
		Events:           make(chan event.GenericEvent, 1024),
		global:           make(chan struct{}, maxRuns),
		perTarget:        maxRunsPerTarget,
		progressInterval: progressInterval,
		ctx:              ctx,
		stop:             stop,
		targets:          map[string]chan struct{}{},
		runs:             map[types.NamespacedName]*poolRun{},
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

// state reports what the pool knows of run runID of an object, and its report when finished.
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

// submit starts run runID of obj in the background, replacing (and cancelling) any other run of
// the same object. The run waits for a free slot without holding the caller.
func (p *runPool) submit(obj client.Object, runID, target string, run job) {
	key := client.ObjectKeyFromObject(obj)
	ctx, cancel := context.WithCancel(p.ctx)
	// The first progress report comes one interval in: a short run writes none.
	r := &poolRun{id: runID, cancel: cancel, lastNotify: time.Now()}

	p.mu.Lock()
	if old, ok := p.runs[key]; ok {
		old.cancel()
	}
	p.runs[key] = r
	slot := p.targets[target]
	if slot == nil {
		slot = make(chan struct{}, p.perTarget)
		p.targets[target] = slot
	}
	p.mu.Unlock()

	wake := obj.DeepCopyObject().(client.Object)
	runsInProgress.Inc()
	p.wg.Go(func() {
		defer runsInProgress.Dec()
		defer cancel()
		// The model's slot first: a run waiting for its model must not hold a global slot,
		// or runs queued behind one busy model would starve every other model.
		if !acquire(ctx, slot) {
			return
		}
		defer func() { <-slot }()
		if !acquire(ctx, p.global) {
			return
		}
		defer func() { <-p.global }()

		report := run(ctx, func(done, total int) { p.setProgress(key, r, wake, done, total) })
		if ctx.Err() != nil {
			// Replaced, forgotten, deleted or shutting down: nobody waits for this report. A run
			// lost to a shutdown is started again by whichever replica leads next.
			return
		}
		p.mu.Lock()
		r.finished, r.report = true, report
		p.mu.Unlock()
		p.notify(wake)
	})
}

// forget drops a run once its verdict is recorded.
func (p *runPool) forget(key types.NamespacedName, runID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.runs[key]; ok && r.id == runID {
		r.cancel()
		delete(p.runs, key)
	}
}

// cancel stops and drops whatever run an object has, for deleted objects.
func (p *runPool) cancel(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.runs[key]; ok {
		r.cancel()
		delete(p.runs, key)
	}
}

func (p *runPool) setProgress(key types.NamespacedName, r *poolRun, wake client.Object, done, total int) {
	p.mu.Lock()
	r.progress = certv1.Progress{Done: int32(done), Total: int32(total)}
	due := time.Since(r.lastNotify) >= p.progressInterval && done < total
	if due {
		r.lastNotify = time.Now()
	}
	current := p.runs[key] == r
	p.mu.Unlock()
	if due && current {
		p.notify(wake)
	}
}

// notify wakes the object's reconcile without blocking the run.
func (p *runPool) notify(obj client.Object) {
	select {
	case p.Events <- event.GenericEvent{Object: obj}:
	case <-p.ctx.Done():
	}
}

func acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}
