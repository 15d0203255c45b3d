package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// The mirror's retries of a failing database back off per object from mirrorRetryBase to
// mirrorRetryMax; no overall rate limit, so that thousands of objects catch up at once when
// the database comes back.
const (
	mirrorRetryBase = 200 * time.Millisecond
	mirrorRetryMax  = 30 * time.Second
)

// mirrorReconciler follows each object's status into PostgreSQL. Its memory of what the
// database holds is the database itself: one query reads every row's run, owner and digest at
// start and at each resync, and a write updates the memory; an object is written only when the
// row its status implies differs from what the database holds. It owns the finalizer and the
// DatabaseSynced condition.
type mirrorReconciler struct {
	client.Client
	db       Mirror
	pool     *runPool
	clock    clock.PassiveClock
	recorder events.EventRecorder
	options  Options
	// resync wakes the objects a resync found behind.
	resync chan event.GenericEvent

	// loadMu serialises loading the memory, so that the reconciles of a restart wait for one
	// query instead of each making its own.
	loadMu sync.Mutex
	mu     sync.Mutex
	loaded bool
	held   map[store.RowKey]store.Held
	// failing holds the objects (by uid) whose last write failed; an object whose write went
	// through is not kept, since at 10,000 objects an entry for each is megabytes.
	failing sync.Map
}

// Reconcile makes the database hold what the object's status says, or, for a deleted object,
// writes what the database lacks, applies the deletion policy and lets the object go.
func (m *mirrorReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	m.pool.touch()
	obj := &certv1.ModelCertification{}
	if err := m.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return m.finalize(ctx, obj)
	}
	if obj.Status.RunID == "" {
		// No run, no row: the finalizer comes with the first one, after the run's start is in
		// status, so that it does not race the start's write.
		return ctrl.Result{}, nil
	}
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		before := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, Finalizer)
		if err := m.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return retryOnConflict(ctx, mirrorController, fmt.Errorf("add finalizer: %w", err))
		}
	}
	return m.reportSync(ctx, obj, m.sync(ctx, obj))
}

// sync writes the verdicts the pool holds for the object (their history rows carry the full
// results), then the status's row if the database holds something else.
func (m *mirrorReconciler) sync(ctx context.Context, obj *certv1.ModelCertification) error {
	if err := m.load(ctx); err != nil {
		return err
	}
	key := client.ObjectKeyFromObject(obj)
	for _, v := range m.pool.heldVerdicts(key) {
		if err := m.write(ctx, v.row, v.results); err != nil {
			return err
		}
		m.pool.dropVerdict(key, v.row.RunID)
	}
	// A run the deletion cancels never ends: its start is not written, so that the row keeps
	// the object's last verdict rather than a run that stays PROCESSING for good.
	if obj.Status.RunID == "" || (!obj.DeletionTimestamp.IsZero() && obj.Status.Phase == certv1.PhaseProcessing) {
		return nil
	}
	want := rowFor(obj)
	if !m.differs(want) {
		return nil
	}
	return m.write(ctx, want, nil)
}

// load reads what the database holds into memory, once; a resync reads it again.
func (m *mirrorReconciler) load(ctx context.Context) error {
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	m.mu.Lock()
	loaded := m.loaded
	m.mu.Unlock()
	if loaded {
		return nil
	}
	return m.reload(ctx)
}

// reload replaces the memory with what every row holds now, in one query.
func (m *mirrorReconciler) reload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.options.MirrorTimeout)
	defer cancel()
	held, err := m.db.Holdings(ctx)
	if err != nil {
		return fmt.Errorf("read the database's rows: %w", err)
	}
	m.mu.Lock()
	m.held, m.loaded = held, true
	m.mu.Unlock()
	return nil
}

// differs reports whether the database must be written to hold want.
func (m *mirrorReconciler) differs(want store.Certification) bool {
	m.mu.Lock()
	held, found := m.held[want.Key()]
	m.mu.Unlock()
	return rowDiffers(want, held, found)
}

// rowDiffers decides whether a row the status implies must be written over what the database
// holds for its model and region: when there is no row, when the row holds the same run but
// other values (or is marked deleted), and when the status's run is newer. A row holding a
// newer run (of another object naming the same model and region) is left alone, and so is a
// row holding the verdict of the run a (stale) status still shows in progress: the verdict the
// pool handed over is ahead of the status this reconcile read.
func rowDiffers(want store.Certification, held store.Held, found bool) bool {
	switch {
	case !found:
		return true
	case held.RunID == want.RunID && held.Status.Terminal() && !want.Status.Terminal():
		return false
	case held.RunID == want.RunID:
		return held.Deleted || held.Digest != want.Digest()
	default:
		return want.NewerThan(held)
	}
}

// write upserts one row, with its history when it is a verdict, and remembers what the row
// holds now. A write the guards refused (the row holds a newer run) costs one read, so that the
// memory knows and does not try again.
func (m *mirrorReconciler) write(ctx context.Context, row store.Certification, results json.RawMessage) error {
	ctx, cancel := context.WithTimeout(ctx, m.options.MirrorTimeout)
	defer cancel()
	var applied bool
	var err error
	if row.Status.Terminal() {
		applied, err = m.db.RecordResult(ctx, row, store.Run{CheckResults: results})
	} else {
		applied, err = m.db.RecordStart(ctx, row)
	}
	countMirrorWrite(err)
	if err != nil {
		return fmt.Errorf("mirror run %s: %w", row.RunID, err)
	}
	if applied {
		m.remember(row.Key(), store.Hold(row), true)
		return nil
	}
	current, err := m.db.Get(ctx, row.ModelID, row.Region)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m.remember(row.Key(), store.Held{}, false)
	case err != nil:
		return fmt.Errorf("mirror run %s: %w", row.RunID, err)
	default:
		m.remember(row.Key(), store.Hold(current), true)
	}
	return nil
}

func (m *mirrorReconciler) remember(key store.RowKey, held store.Held, found bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		m.held = map[store.RowKey]store.Held{}
	}
	if found {
		m.held[key] = held
	} else {
		delete(m.held, key)
	}
}

// reportSync records the outcome of a sync in DatabaseSynced, writing the condition only when
// its status really changes, and returns the sync's error so that a failure is retried with
// backoff. The first True of a run in progress is left to the verdict's write, which carries it
// (see confirmation): a certification costs no write of its own for the condition.
func (m *mirrorReconciler) reportSync(ctx context.Context, obj *certv1.ModelCertification, syncErr error) (ctrl.Result, error) {
	if syncErr != nil {
		m.failing.Store(obj.UID, struct{}{})
	} else {
		m.failing.Delete(obj.UID)
	}
	current := meta.FindStatusCondition(obj.Status.Conditions, certv1.ConditionDatabaseSynced)
	want := syncedCondition(syncErr)
	if !conditionWriteNeeded(current, want.Status, obj.Status.Phase) {
		return ctrl.Result{}, syncErr
	}
	before := obj.DeepCopy()
	want.ObservedGeneration = obj.Generation
	setConditions(&obj.Status, want)
	if err := patchStatusIfChanged(ctx, m.Client, before, obj); err != nil {
		if syncErr != nil {
			return ctrl.Result{}, errors.Join(syncErr, err)
		}
		return retryOnConflict(ctx, mirrorController, err)
	}
	if syncErr != nil {
		m.recorder.Eventf(obj, nil, corev1.EventTypeWarning, "DatabaseWriteFailed", "Mirror", "%s", shorten(syncErr.Error(), 512))
	}
	return ctrl.Result{}, syncErr
}

// conditionWriteNeeded decides whether DatabaseSynced must be written: only when its status
// changes, and not to say True for the first time while a run is in progress, since the run's
// verdict is written anyway and says it then.
func conditionWriteNeeded(current *metav1.Condition, want metav1.ConditionStatus, phase certv1.Phase) bool {
	switch {
	case current != nil && current.Status == want:
		return false
	case want == metav1.ConditionTrue && phase == certv1.PhaseProcessing &&
		(current == nil || current.Status == metav1.ConditionUnknown):
		return false
	default:
		return true
	}
}

// confirmation is the DatabaseSynced condition the verdict's write may carry: True unless the
// mirror's last write of the object failed (then the condition already says False, and the
// mirror turns it True when a write lands). A mirror that has not written the object yet is
// catching up, not failing: its write follows the verdict within moments, and says False if it
// fails. So a certification costs no write of its own for the condition.
func (m *mirrorReconciler) confirmation(obj *certv1.ModelCertification) (metav1.Condition, bool) {
	if _, failed := m.failing.Load(obj.UID); failed {
		return metav1.Condition{}, false
	}
	return syncedCondition(nil), true
}

// finalize writes what the database lacks of a deleted object (its verdict, with the history
// the pool holds), applies spec.deletionPolicy to every row the object owns, and removes the
// finalizer. A database that stays unreachable for FinalizeTimeout does not hold the object
// forever: it is released, and what was left undone is recorded in an Event and a metric.
func (m *mirrorReconciler) finalize(ctx context.Context, obj *certv1.ModelCertification) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	key := client.ObjectKeyFromObject(obj)
	err := m.sync(ctx, obj)
	if err == nil {
		err = m.release(ctx, obj)
	}
	if err != nil {
		waited := m.clock.Since(obj.DeletionTimestamp.Time)
		if waited < m.options.FinalizeTimeout {
			return ctrl.Result{}, fmt.Errorf("finalize: %w", err)
		}
		finalizeReleased.Inc()
		log.FromContext(ctx).Info("Releasing deleted certification without updating the database",
			"waited", waited.Round(time.Second).String(), "runID", obj.Status.RunID, "deletionPolicy", obj.Spec.DeletionPolicy, "error", err.Error())
		m.recorder.Eventf(obj, nil, corev1.EventTypeWarning, "DatabaseUnreachable", "Finalize",
			"Released after %s: the database may lack run %s, and deletionPolicy %s was not applied to the rows of this object: %s",
			m.options.FinalizeTimeout, obj.Status.RunID, obj.Spec.DeletionPolicy, shorten(err.Error(), 512))
	}
	if err := removeFinalizer(ctx, m.Client, obj); err != nil {
		return retryOnConflict(ctx, mirrorController, err)
	}
	m.pool.dropVerdict(key, "")
	m.failing.Delete(obj.UID)
	log.FromContext(ctx).Info("Released deleted certification", "deletionPolicy", obj.Spec.DeletionPolicy)
	return ctrl.Result{}, nil
}

// release applies spec.deletionPolicy to the rows the object owns, by its uid, whichever run
// they hold, and forgets or marks them in memory.
func (m *mirrorReconciler) release(ctx context.Context, obj *certv1.ModelCertification) error {
	ctx, cancel := context.WithTimeout(ctx, m.options.MirrorTimeout)
	defer cancel()
	uid := string(obj.UID)
	remove := obj.Spec.DeletionPolicy == certv1.DeletionPolicyDelete
	var err error
	if remove {
		_, err = m.db.Delete(ctx, uid)
	} else {
		_, err = m.db.MarkDeleted(ctx, uid)
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, held := range m.held {
		switch {
		case held.OwnerUID != uid:
		case remove:
			delete(m.held, key)
		default:
			held.Deleted = true
			m.held[key] = held
		}
	}
	return nil
}

// Start is the resync: every MirrorResync it reads what the database holds again and wakes
// the objects whose rows differ, so that a wiped or edited table converges without a restart.
func (m *mirrorReconciler) Start(ctx context.Context) error {
	ticker := time.NewTicker(m.options.MirrorResync)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if err := m.resyncOnce(ctx); err != nil {
			log.FromContext(ctx).Info("Mirror resync failed; trying again at the next one", "error", err.Error())
		}
		// Every row read and every object listed is garbage now: release it as a burst's is,
		// or an operator at rest keeps a heap grown to its GC goal after each resync.
		m.pool.touch()
	}
}

// resyncOnce reloads the memory and wakes every object the database is behind.
func (m *mirrorReconciler) resyncOnce(ctx context.Context) error {
	m.loadMu.Lock()
	err := m.reload(ctx)
	m.loadMu.Unlock()
	if err != nil {
		return err
	}
	var list certv1.ModelCertificationList
	if err := m.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list modelcertifications: %w", err)
	}
	for i := range list.Items {
		obj := &list.Items[i]
		if obj.Status.RunID == "" || !obj.DeletionTimestamp.IsZero() || !m.differs(rowFor(obj)) {
			continue
		}
		if !wake(ctx, m.resync, obj.Namespace, obj.Name) {
			return nil
		}
	}
	return nil
}

// mirrorRelevant lets through the updates the mirror has something to do about: a deletion, a
// missing finalizer once there is a run, or a status that implies another row. Its own DatabaseSynced writes, and
// the certification controller's progress and condition writes, imply none.
func mirrorRelevant(old, updated *certv1.ModelCertification) bool {
	return !updated.DeletionTimestamp.IsZero() ||
		(updated.Status.RunID != "" && !controllerutil.ContainsFinalizer(updated, Finalizer)) ||
		rowFor(old).Digest() != rowFor(updated).Digest()
}

func (m *mirrorReconciler) setupWithManager(mgr ctrl.Manager) error {
	m.resync = make(chan event.GenericEvent, 1024)
	if err := mgr.Add(m); err != nil {
		return fmt.Errorf("add mirror resync: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&certv1.ModelCertification{}, builder.WithPredicates(predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool {
				old, oldOK := e.ObjectOld.(*certv1.ModelCertification)
				updated, updatedOK := e.ObjectNew.(*certv1.ModelCertification)
				return !oldOK || !updatedOK || mirrorRelevant(old, updated)
			},
			// A deleted object is gone: its finalizer already brought the deletion here.
			DeleteFunc: func(event.DeleteEvent) bool { return false },
		})).
		WatchesRawSource(source.Channel(m.resync, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: m.options.MaxConcurrentReconciles,
			RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](mirrorRetryBase, mirrorRetryMax),
		}).
		Named(mirrorController).
		Complete(m)
}

// syncedCondition is DatabaseSynced after a sync that ended with err. The message names no run,
// so that a new run that mirrors fine changes nothing.
func syncedCondition(err error) metav1.Condition {
	if err != nil {
		return metav1.Condition{Type: certv1.ConditionDatabaseSynced, Status: metav1.ConditionFalse,
			Reason: ReasonWriteFailed, Message: shorten(err.Error(), 512)}
	}
	return metav1.Condition{Type: certv1.ConditionDatabaseSynced, Status: metav1.ConditionTrue,
		Reason: ReasonSynced, Message: "The database holds this object's status"}
}
