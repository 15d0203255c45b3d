package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/certify"
	"github.com/modelcert/modelcert-operator/internal/store"
)

// secretReadTimeout bounds the read of a credentials Secret.
const secretReadTimeout = 10 * time.Second

// Finalizer holds a deleted object until its mirror row is handled per spec.deletionPolicy.
const Finalizer = "certification.modelcert.io/finalizer"

// Mirror is the PostgreSQL mirror as the reconciler uses it; *store.Store implements it.
type Mirror interface {
	RecordStart(ctx context.Context, row store.Certification) (bool, error)
	RecordResult(ctx context.Context, row store.Certification, run store.Run) (bool, error)
	MarkDeleted(ctx context.Context, modelID, region, runID string) (bool, error)
	Delete(ctx context.Context, modelID, region, runID string) (bool, error)
}

// ModelFactory builds the model a run talks to.
type ModelFactory func(ctx context.Context, cfg bedrock.Config) (certify.Model, error)

// Options tune the reconciler; zero values take the defaults.
type Options struct {
	// MaxConcurrentReconciles bounds the objects reconciled at once.
	MaxConcurrentReconciles int
	// MaxRuns bounds the runs in progress at once; MaxRunsPerModel those of one model in one region.
	MaxRuns, MaxRunsPerModel int
	// MirrorTimeout bounds one database write.
	MirrorTimeout time.Duration
	// MirrorResync is how often a current verdict is written again, so that a wiped database
	// converges without a restart; a replay of an unchanged row changes nothing.
	MirrorResync time.Duration
	// ProgressInterval is the least time between two progress updates of a run in status.
	ProgressInterval time.Duration
	// ConsistencyInterval is the pause of the consistency check; zero keeps the engine's default.
	ConsistencyInterval time.Duration
	// FinalizeTimeout is how long a deleted object waits for the database before it is released
	// anyway, so that a database outage cannot block namespace deletion.
	FinalizeTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 4
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 8
	}
	if o.MaxRunsPerModel <= 0 {
		o.MaxRunsPerModel = 2
	}
	if o.MirrorTimeout <= 0 {
		o.MirrorTimeout = 10 * time.Second
	}
	if o.MirrorResync <= 0 {
		o.MirrorResync = 10 * time.Minute
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 5 * time.Second
	}
	if o.FinalizeTimeout <= 0 {
		o.FinalizeTimeout = 5 * time.Minute
	}
	return o
}

// ModelCertificationReconciler reconciles ModelCertification objects.
type ModelCertificationReconciler struct {
	client.Client
	// APIReader reads credential Secrets without a cache, so the operator needs no
	// cluster-wide Secret watch.
	APIReader client.Reader
	// Mirror is the database; nil turns the mirror off.
	Mirror Mirror
	// NewModel builds a run's model; nil means Bedrock through the AWS SDK.
	NewModel ModelFactory
	// Clock is the time source; nil means the real clock.
	Clock clock.PassiveClock
	// Recorder emits Events on the object; nil means the manager's.
	Recorder events.EventRecorder
	Options  Options

	pool     *runPool
	mirrored sync.Map // types.NamespacedName → mirrorMark
}

// mirrorMark records the last verdict the mirror accepted for an object.
type mirrorMark struct {
	runID string
	phase certv1.Phase
	at    time.Time
}

// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// Reconcile moves one ModelCertification towards its desired state, returning early at each decision.
func (r *ModelCertificationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &certv1.ModelCertification{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		before := obj.DeepCopy()
		controllerutil.AddFinalizer(obj, Finalizer)
		if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
	}

	now := r.Clock.Now()
	specHash := runSpecHash(&obj.Spec)
	run, report, progress := r.pool.state(req.NamespacedName, obj.Status.RunID)
	d := plan(obj, specHash, now, run, r.mirrorSynced(req.NamespacedName, obj, now))
	log.FromContext(ctx).V(1).Info("Planned", "action", d.action, "reason", d.reason, "runID", obj.Status.RunID)

	switch d.action {
	case actionStart:
		return r.start(ctx, obj, specHash, now)
	case actionFinish:
		return r.finish(ctx, obj, report)
	case actionMirror:
		return r.mirror(ctx, obj)
	default:
		return r.wait(ctx, obj, progress, d)
	}
}

// start records a new run in status (one write), mirrors it, and hands it to the pool.
func (r *ModelCertificationReconciler) start(ctx context.Context, obj *certv1.ModelCertification, specHash string, now time.Time) (ctrl.Result, error) {
	selected, err := certify.Select(checkNames(obj.Spec.Checks))
	if err != nil {
		// The CRD's enum refuses unknown names at apply; reaching here means the two disagree.
		return ctrl.Result{}, fmt.Errorf("select checks: %w", err)
	}
	runID, err := uuid.NewV7()
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("new run id: %w", err)
	}
	before := obj.DeepCopy()
	startRun(&obj.Status, runID.String(), specHash, now, len(selected))
	setConditions(&obj.Status, readyCondition(&obj.Status, obj.Spec.Suspend, now))
	mirrorErr, err := r.record(ctx, before, obj, true, func(ctx context.Context, m Mirror) error {
		_, err := m.RecordStart(ctx, rowFor(obj))
		return err
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	// The run starts whatever the database said: an outage delays the mirror, never a verdict.
	cfg, credErr := r.modelConfig(ctx, obj)
	r.pool.submit(obj, obj.Status.RunID, obj.Spec.ModelID+"@"+obj.Spec.Region, r.job(obj.Spec, cfg, credErr))
	log.FromContext(ctx).Info("Started certification run", "runID", obj.Status.RunID, "attempt", obj.Status.Attempt,
		"model", obj.Spec.ModelID, "region", obj.Spec.Region)
	runsStarted.Inc()
	r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, "RunStarted", "Certify",
		"Run %s (attempt %d) started with %d checks", obj.Status.RunID, obj.Status.Attempt, len(selected))
	return ctrl.Result{}, mirrorErr
}

// finish judges a finished run and records the verdict in status (one write) and the mirror.
func (r *ModelCertificationReconciler) finish(ctx context.Context, obj *certv1.ModelCertification, report certify.Report) (ctrl.Result, error) {
	certifyScore, warnScore := obj.Spec.Policy.Thresholds()
	verdict := certify.Judge(report.Results, certify.Policy{CertifyScore: float64(certifyScore), WarnScore: float64(warnScore)})
	before := obj.DeepCopy()
	finishRun(&obj.Status, &obj.Spec, report, verdict)
	setConditions(&obj.Status, readyCondition(&obj.Status, obj.Spec.Suspend, r.Clock.Now()))
	mirrorErr, err := r.record(ctx, before, obj, false, recordResult(obj, &report))
	if err != nil {
		return ctrl.Result{}, err
	}
	log.FromContext(ctx).Info("Certification run finished", "runID", obj.Status.RunID, "phase", obj.Status.Phase,
		"score", verdict.Score, "rating", verdict.Rating, "badge", verdict.Badge, "errorCategory", verdict.Category)
	runsCompleted.WithLabelValues(string(verdict.Status), string(verdict.Category)).Inc()
	runDuration.Observe(report.CompletedAt.Sub(report.StartedAt).Seconds())
	eventType := corev1.EventTypeNormal
	if !verdict.Passed {
		eventType = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(obj, nil, eventType, string(obj.Status.Phase), "Judge", "%s", verdictMessage(&obj.Status))
	if mirrorErr != nil {
		// The verdict is in status; the pool keeps the report so that the retried write
		// still carries the full results.
		return ctrl.Result{}, mirrorErr
	}
	r.pool.forget(client.ObjectKeyFromObject(obj), obj.Status.RunID)
	now := r.Clock.Now()
	return ctrl.Result{RequeueAfter: r.wakeAfter(obj, now, untilNextRun(obj, now))}, nil
}

// mirror writes the status's verdict to a database that is behind (or was wiped).
func (r *ModelCertificationReconciler) mirror(ctx context.Context, obj *certv1.ModelCertification) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(obj)
	// The full results are at hand only if this replica ran the run and still holds its report.
	var report *certify.Report
	if state, held, _ := r.pool.state(key, obj.Status.RunID); state == runFinished {
		report = &held
	}
	mirrorErr, err := r.record(ctx, obj.DeepCopy(), obj, false, recordResult(obj, report))
	if err != nil {
		return ctrl.Result{}, err
	}
	if mirrorErr != nil {
		return ctrl.Result{}, mirrorErr
	}
	r.pool.forget(key, obj.Status.RunID)
	now := r.Clock.Now()
	return ctrl.Result{RequeueAfter: r.wakeAfter(obj, now, untilNextRun(obj, now))}, nil
}

// wait writes what changed without a run (progress, schedule, suspension) and sleeps until the
// next run is due, or the mirror's next resync, whichever comes first.
func (r *ModelCertificationReconciler) wait(ctx context.Context, obj *certv1.ModelCertification, progress certv1.Progress, d decision) (ctrl.Result, error) {
	before := obj.DeepCopy()
	status := &obj.Status
	now := r.Clock.Now()
	switch {
	case status.Phase == certv1.PhaseProcessing:
		// Progress is worth a write only on a run that has lasted: a short run shows none.
		if progress.Total > 0 && status.StartedAt != nil && now.Sub(status.StartedAt.Time) >= r.Options.ProgressInterval {
			status.Progress = &progress
		}
	case status.Phase == "" || status.Phase == certv1.PhasePending:
		status.Phase = certv1.PhasePending
		setConditions(status, pendingConditions(obj.Spec.Suspend)...)
		setConditions(status, databaseCondition(r.Mirror != nil, "", false, nil))
	default:
		schedule(status, &obj.Spec)
		setConditions(status, idleCondition(status, obj.Spec.Suspend))
	}
	setConditions(status, readyCondition(status, obj.Spec.Suspend, now))
	if err := r.patchStatus(ctx, before, obj); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.wakeAfter(obj, now, d.requeueAfter)}, nil
}

// finalize releases a deleted object once its row is handled per spec.deletionPolicy.
func (r *ModelCertificationReconciler) finalize(ctx context.Context, obj *certv1.ModelCertification) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	key := client.ObjectKeyFromObject(obj)
	r.pool.cancel(key)
	if err := r.releaseRow(ctx, obj); err != nil {
		if r.Clock.Since(obj.DeletionTimestamp.Time) < r.Options.FinalizeTimeout {
			return ctrl.Result{}, fmt.Errorf("finalize: %w", err)
		}
		log.FromContext(ctx).Error(err, "Releasing deleted certification without updating the database",
			"waited", r.Options.FinalizeTimeout)
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "DatabaseUnreachable", "Finalize",
			"Released after %s without applying deletionPolicy %s to the row: %s", r.Options.FinalizeTimeout,
			obj.Spec.DeletionPolicy, shorten(err.Error(), 512))
	}
	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, Finalizer)
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return ctrl.Result{}, fmt.Errorf("remove finalizer: %w", err)
	}
	r.mirrored.Delete(key)
	log.FromContext(ctx).Info("Released deleted certification", "deletionPolicy", obj.Spec.DeletionPolicy)
	return ctrl.Result{}, nil
}

// recordResult is the mirror write of a verdict: the row from status, and the history row with
// the full per-check results when report is not nil.
func recordResult(obj *certv1.ModelCertification, report *certify.Report) func(context.Context, Mirror) error {
	return func(ctx context.Context, m Mirror) error {
		var run store.Run
		if report != nil {
			results, err := json.Marshal(report.Results)
			if err != nil {
				return fmt.Errorf("encode check results: %w", err)
			}
			run.CheckResults = results
		}
		_, err := m.RecordResult(ctx, rowFor(obj), run)
		return err
	}
}

// releaseRow applies spec.deletionPolicy to the object's row, under the mirror's timeout.
func (r *ModelCertificationReconciler) releaseRow(ctx context.Context, obj *certv1.ModelCertification) error {
	if r.Mirror == nil || obj.Status.RunID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.Options.MirrorTimeout)
	defer cancel()
	var err error
	if obj.Spec.DeletionPolicy == certv1.DeletionPolicyDelete {
		_, err = r.Mirror.Delete(ctx, obj.Spec.ModelID, obj.Spec.Region, obj.Status.RunID)
	} else {
		_, err = r.Mirror.MarkDeleted(ctx, obj.Spec.ModelID, obj.Spec.Region, obj.Status.RunID)
	}
	return err
}

// record writes the status first, as the source of truth: the optimistic lock lets only one of
// two racing reconciles through, so the database never hears of a run that status refused.
// Then it mirrors the status under its own timeout and records the outcome in DatabaseSynced.
// A failure is patched at once. A success is carried by the patch it was written with when this
// replica already knew it (a run's verdict follows its start), and otherwise costs a second
// patch, unless confirmLater says the run's next status write will carry it: so a
// certification costs its start and its verdict, not a patch per database write. The mirror's
// error comes back apart from the status write's, because the caller handles them differently.
func (r *ModelCertificationReconciler) record(ctx context.Context, before, obj *certv1.ModelCertification, confirmLater bool, mirror func(context.Context, Mirror) error) (mirrorErr, err error) {
	runID := obj.Status.RunID
	if r.Mirror == nil || runID == "" {
		setConditions(&obj.Status, databaseCondition(r.Mirror != nil, runID, false, nil))
		return nil, r.patchStatus(ctx, before, obj)
	}
	key := client.ObjectKeyFromObject(obj)
	if r.mirrorHolds(key, runID) {
		setConditions(&obj.Status, databaseCondition(true, runID, true, nil))
	} else if meta.FindStatusCondition(obj.Status.Conditions, certv1.ConditionDatabaseSynced) == nil {
		setConditions(&obj.Status, databaseCondition(true, runID, false, nil))
	}
	if err := r.patchStatus(ctx, before, obj); err != nil {
		return nil, err
	}
	writeCtx, cancel := context.WithTimeout(ctx, r.Options.MirrorTimeout)
	defer cancel()
	mirrorErr = mirror(writeCtx, r.Mirror)
	countMirrorWrite(mirrorErr)
	if mirrorErr != nil {
		mirrorErr = fmt.Errorf("mirror run %s: %w", runID, mirrorErr)
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "DatabaseWriteFailed", "Mirror", "%s", shorten(mirrorErr.Error(), 512))
	} else {
		r.mirrored.Store(key, mirrorMark{runID: runID, phase: obj.Status.Phase, at: r.Clock.Now()})
		if confirmLater {
			return nil, nil
		}
	}
	before = obj.DeepCopy()
	setConditions(&obj.Status, databaseCondition(true, runID, mirrorErr == nil, mirrorErr))
	return mirrorErr, r.patchStatus(ctx, before, obj)
}

// mirrorHolds reports whether this replica wrote run runID of an object to the database.
func (r *ModelCertificationReconciler) mirrorHolds(key types.NamespacedName, runID string) bool {
	v, ok := r.mirrored.Load(key)
	return ok && v.(mirrorMark).runID == runID
}

// mirrorSynced reports whether the mirror holds the status's verdict, as far as this replica
// knows: a write it made for this run and phase, within the resync period.
func (r *ModelCertificationReconciler) mirrorSynced(key types.NamespacedName, obj *certv1.ModelCertification, now time.Time) bool {
	if r.Mirror == nil || obj.Status.RunID == "" {
		return true
	}
	v, ok := r.mirrored.Load(key)
	if !ok {
		return false
	}
	mark := v.(mirrorMark)
	return mark.runID == obj.Status.RunID && mark.phase == obj.Status.Phase && now.Sub(mark.at) < r.Options.MirrorResync
}

// patchStatus is the one place status is written: it stamps observedGeneration on the status
// and its conditions and patches only when something changed, so that a resync writes nothing
// and GitOps tools see no churn.
func (r *ModelCertificationReconciler) patchStatus(ctx context.Context, before, obj *certv1.ModelCertification) error {
	obj.Status.ObservedGeneration = obj.Generation
	for i := range obj.Status.Conditions {
		obj.Status.Conditions[i].ObservedGeneration = obj.Generation
	}
	if equality.Semantic.DeepEqual(before.Status, obj.Status) {
		return nil
	}
	if err := r.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

// wakeAfter is when to look at a settled object again: the earliest of the next run (in
// nextRun, zero for none), the verdict's expiry (so Ready turns False even when no run comes, as
// while suspended), and the mirror's next resync (so a wiped table converges). Zero waits for an
// event: a run in progress is woken by the pool.
func (r *ModelCertificationReconciler) wakeAfter(obj *certv1.ModelCertification, now time.Time, nextRun time.Duration) time.Duration {
	status := &obj.Status
	if status.Phase == certv1.PhaseProcessing {
		return 0
	}
	after := nextRun
	earlier := func(d time.Duration) {
		if d > 0 && (after == 0 || d < after) {
			after = d
		}
	}
	if status.ValidUntil != nil {
		earlier(status.ValidUntil.Sub(now))
	}
	if r.Mirror != nil && status.RunID != "" {
		earlier(r.Options.MirrorResync)
	}
	return after
}

// untilNextRun is how long until the next run is due, at least a second; zero while suspended.
func untilNextRun(obj *certv1.ModelCertification, now time.Time) time.Duration {
	next, ok := nextRunAt(obj)
	if !ok || obj.Spec.Suspend {
		return 0
	}
	return max(next.Sub(now), time.Second)
}

// modelConfig resolves the model and credentials of a run. A Secret that cannot be read is an
// error the run reports as CONFIGURATION_ERROR, not a reconcile failure: fixing it is the user's.
func (r *ModelCertificationReconciler) modelConfig(ctx context.Context, obj *certv1.ModelCertification) (bedrock.Config, error) {
	cfg := bedrock.Config{ModelID: obj.Spec.ModelID, Region: obj.Spec.Region, Endpoint: obj.Spec.Endpoint,
		Credentials: bedrock.Credentials{RoleARN: obj.Spec.RoleARN}}
	if obj.Spec.Credentials == nil {
		return cfg, nil
	}
	name := obj.Spec.Credentials.SecretRef.Name
	secret := &corev1.Secret{}
	ctx, cancel := context.WithTimeout(ctx, secretReadTimeout)
	defer cancel()
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: name}, secret); err != nil {
		return cfg, fmt.Errorf("read credentials secret %s/%s: %w", obj.Namespace, name, err)
	}
	cfg.Credentials.AccessKeyID = string(secret.Data["accessKeyId"])
	cfg.Credentials.SecretAccessKey = string(secret.Data["secretAccessKey"])
	cfg.Credentials.SessionToken = string(secret.Data["sessionToken"])
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.SecretAccessKey == "" {
		return cfg, fmt.Errorf("credentials secret %s/%s must have the keys accessKeyId and secretAccessKey", obj.Namespace, name)
	}
	return cfg, nil
}

// job is the work of one run, as the pool runs it.
func (r *ModelCertificationReconciler) job(spec certv1.ModelCertificationSpec, cfg bedrock.Config, cfgErr error) job {
	include, exclude := checkNames(spec.Checks)
	opts := certify.Options{
		Include: include, Exclude: exclude,
		CheckTimeout:        spec.Timeouts.CheckTimeout(),
		RunTimeout:          spec.Timeouts.RunTimeout(),
		ConsistencyInterval: r.Options.ConsistencyInterval,
	}
	return func(ctx context.Context, progress func(done, total int)) certify.Report {
		opts.Progress = progress
		if cfgErr != nil {
			return configurationFailure(spec.ModelID, cfgErr)
		}
		model, err := r.NewModel(ctx, cfg)
		if err != nil {
			return configurationFailure(spec.ModelID, err)
		}
		return certify.Run(ctx, model, opts)
	}
}

// configurationFailure is the report of a run that could not reach the model because of its
// configuration: availability fails with CONFIGURATION_ERROR and nothing else runs.
func configurationFailure(modelID string, err error) certify.Report {
	now := time.Now()
	return certify.Report{ModelID: modelID, StartedAt: now, CompletedAt: now, Results: []certify.Result{{
		Name: certify.CheckAvailability, Status: certify.CheckFailed, Category: certify.CategoryConfiguration,
		Message: shorten(err.Error(), 256), Errored: true,
	}}}
}

func checkNames(sel *certv1.CheckSelection) (include, exclude []string) {
	if sel == nil {
		return nil, nil
	}
	for _, c := range sel.Include {
		include = append(include, string(c))
	}
	for _, c := range sel.Exclude {
		exclude = append(exclude, string(c))
	}
	return include, exclude
}

func bedrockModel(ctx context.Context, cfg bedrock.Config) (certify.Model, error) {
	return bedrock.New(ctx, cfg)
}

// SetupWithManager registers the reconciler and its run pool with the manager.
func (r *ModelCertificationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options = r.Options.withDefaults()
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.NewModel == nil {
		r.NewModel = bedrockModel
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if r.Recorder == nil {
		r.Recorder = mgr.GetEventRecorder("modelcertification-controller")
	}
	r.pool = newRunPool(r.Options.MaxRuns, r.Options.MaxRunsPerModel, r.Options.ProgressInterval)
	if err := mgr.Add(r.pool); err != nil {
		return fmt.Errorf("add run pool: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&certv1.ModelCertification{}).
		WatchesRawSource(source.Channel(r.pool.Events, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Named("modelcertification").
		Complete(r)
}
