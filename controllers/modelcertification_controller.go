package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// The controllers' names, in logs and metrics.
const (
	certificationController = "modelcertification"
	mirrorController        = "modelcertification-mirror"
)

// Finalizer holds a deleted object until the mirror has written its verdict and applied
// spec.deletionPolicy to its rows. Only the mirror adds it, so it exists only with a database.
const Finalizer = "certification.modelcert.io/finalizer"

// Mirror is the PostgreSQL mirror as the mirror controller uses it; *store.Store implements it.
type Mirror interface {
	// Holdings reads what every current row holds, in one query.
	Holdings(ctx context.Context) (map[store.RowKey]store.Held, error)
	// Get reads one current row.
	Get(ctx context.Context, modelID, region string) (store.Certification, error)
	RecordStart(ctx context.Context, row store.Certification) (bool, error)
	RecordResult(ctx context.Context, row store.Certification, run store.Run) (bool, error)
	// MarkDeleted and Delete apply a deletion policy to the rows an object owns, by its uid.
	MarkDeleted(ctx context.Context, uid string) (int64, error)
	Delete(ctx context.Context, uid string) (int64, error)
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
	// MirrorResync is how often the mirror reads every row again (one query) and rewrites those
	// that differ from their objects' statuses, so that a wiped or edited table converges.
	MirrorResync time.Duration
	// ProgressInterval is the least time between two progress updates of a run in status.
	ProgressInterval time.Duration
	// ConsistencyInterval is the pause of the consistency check; zero keeps the engine's default.
	ConsistencyInterval time.Duration
	// ChecksInFlight bounds the checks of one run in flight at once; zero keeps the engine's
	// default.
	ChecksInFlight int
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

// ModelCertificationReconciler reconciles ModelCertification objects: it plans, starts and
// judges runs and writes status, and never reads or waits on the database. With a Mirror,
// SetupWithManager also registers the mirror controller, which follows status into PostgreSQL.
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
	// Tenancy says where the tenancy policy comes from; nil means its defaults and no ConfigMap.
	Tenancy *TenancyOptions

	pool    *runPool
	mirror  *mirrorReconciler
	tenancy *tenancyPolicy
}

// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=certification.modelcert.io,resources=modelcertifications/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile moves one ModelCertification towards its desired state, returning early at each decision.
func (r *ModelCertificationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.pool.touch()
	obj := &certv1.ModelCertification{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		r.pool.cancel(req.NamespacedName)
		return r.releaseWithoutMirror(ctx, obj)
	}

	now := r.Clock.Now()
	admission := r.admit(ctx, obj)
	specHash := admission.runHash(runSpecHash(&obj.Spec))
	run, report, progress := r.pool.state(req.NamespacedName, obj.Status.RunID)
	d := plan(obj, specHash, now, run)
	log.FromContext(ctx).V(1).Info("Planned", "action", d.action, "reason", d.reason, "runID", obj.Status.RunID)

	switch d.action {
	case actionStart:
		if admission.held != "" {
			return r.holdForPolicy(ctx, admission)
		}
		return r.start(ctx, obj, specHash, now, d, admission)
	case actionFinish:
		return r.finish(ctx, obj, report)
	default:
		return r.wait(ctx, obj, progress, d)
	}
}

// releaseWithoutMirror removes the mirror's finalizer from a deleted object when the operator
// runs without a database (it was turned off after the object was mirrored): nobody else would,
// and the object could never go. With a database, the finalizer is the mirror's business.
func (r *ModelCertificationReconciler) releaseWithoutMirror(ctx context.Context, obj *certv1.ModelCertification) (ctrl.Result, error) {
	if r.Mirror != nil || !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	if err := removeFinalizer(ctx, r.Client, obj); err != nil {
		return retryOnConflict(ctx, certificationController, err)
	}
	log.FromContext(ctx).Info("Released deleted certification; the database mirror is off, so deletionPolicy was not applied",
		"deletionPolicy", obj.Spec.DeletionPolicy)
	return ctrl.Result{}, nil
}

// start records a new run in status (one write, which also marks the on-demand request it
// serves as handled) and hands it to the pool.
func (r *ModelCertificationReconciler) start(ctx context.Context, obj *certv1.ModelCertification, specHash string, now time.Time, d decision, admission admission) (ctrl.Result, error) {
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
	if d.requestedAt != "" {
		obj.Status.LastHandledRequestedAt = d.requestedAt
	}
	setSummary(&obj.Status, obj.Spec.Suspend, now)
	r.setMirrorDisabled(obj)
	if err := r.patchStatus(ctx, before, obj); err != nil {
		return retryOnConflict(ctx, certificationController, err)
	}
	cfg, credErr := r.runConfig(ctx, obj, admission)
	r.pool.submit(client.ObjectKeyFromObject(obj), obj.Status.RunID, obj.Spec.ModelID+"@"+obj.Spec.Region, r.job(obj.Spec, cfg, credErr))
	log.FromContext(ctx).Info("Started certification run", "runID", obj.Status.RunID, "attempt", obj.Status.Attempt,
		"model", obj.Spec.ModelID, "region", obj.Spec.Region, "reason", d.reason)
	runsStarted.Inc()
	return ctrl.Result{}, nil
}

// finish judges a finished run and records the verdict in status (one write). With a mirror,
// the run's full results stay in the pool until the mirror has written them to the history;
// they are handed over before the write, so the mirror never sees the verdict without them.
func (r *ModelCertificationReconciler) finish(ctx context.Context, obj *certv1.ModelCertification, report certify.Report) (ctrl.Result, error) {
	verdict := certify.Judge(report.Results, judgementPolicy(&obj.Spec.Policy))
	key := client.ObjectKeyFromObject(obj)
	before := obj.DeepCopy()
	finishRun(&obj.Status, &obj.Spec, report, verdict)
	var regressed bool
	obj.Status.Regression, regressed = regressionOf(&before.Status, &obj.Status, verdict.Temporary)
	setSummary(&obj.Status, obj.Spec.Suspend, r.Clock.Now())
	r.setMirrorDisabled(obj)
	if r.mirror != nil {
		// The mirror's last write of this object went through: the verdict's write says so, and
		// the mirror need not write the condition after the verdict lands.
		if c, ok := r.mirror.confirmation(obj); ok {
			setConditions(&obj.Status, c)
		}
		results, err := json.Marshal(report.Results)
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("encode check results: %w", err)
		}
		observe(obj)
		r.pool.keepVerdict(key, heldVerdict{row: rowFor(obj), results: results})
	}
	if err := r.patchStatus(ctx, before, obj); err != nil {
		r.pool.dropVerdict(key, obj.Status.RunID)
		return retryOnConflict(ctx, certificationController, err)
	}
	r.pool.forget(key, obj.Status.RunID)
	log.FromContext(ctx).Info("Certification run finished", "runID", obj.Status.RunID, "phase", obj.Status.Phase,
		"score", verdict.Score, "rating", verdict.Rating, "badge", verdict.Badge, "errorCategory", verdict.Category)
	runsCompleted.WithLabelValues(string(verdict.Status), string(verdict.Category)).Inc()
	runDuration.Observe(report.CompletedAt.Sub(report.StartedAt).Seconds())
	countTokens(obj.Spec.ModelID, obj.Spec.Region, report.Usage)
	eventType, reason := corev1.EventTypeNormal, string(obj.Status.Phase)
	note := fmt.Sprintf("Run %s (attempt %d): %s", obj.Status.RunID, obj.Status.Attempt, verdictMessage(&obj.Status))
	if !verdict.Passed {
		eventType = corev1.EventTypeWarning
	}
	if regressed {
		// One Event per verdict: a regression's replaces the usual one.
		eventType, reason, note = corev1.EventTypeWarning, ReasonRegressed, regressionMessage(&obj.Status)
		regressions.WithLabelValues(obj.Namespace, obj.Spec.ModelID, obj.Spec.Region).Inc()
		log.FromContext(ctx).Info("Certification regressed", "runID", obj.Status.RunID, "fromPhase", obj.Status.Regression.FromPhase,
			"fromBadge", obj.Status.Regression.FromBadge, "checks", obj.Status.Regression.Checks)
	}
	r.Recorder.Eventf(obj, nil, eventType, reason, "Judge", "%s", note)
	if regressed {
		announceRegression(r.Recorder, obj, note)
	}
	now := r.Clock.Now()
	return ctrl.Result{RequeueAfter: wakeAfter(obj, now, untilNextRun(obj, now))}, nil
}

// wait writes what changed without a run (progress, schedule, suspension) and sleeps until the
// next run is due or the verdict expires.
func (r *ModelCertificationReconciler) wait(ctx context.Context, obj *certv1.ModelCertification, progress certv1.Progress, d decision) (ctrl.Result, error) {
	before := obj.DeepCopy()
	status := &obj.Status
	now := r.Clock.Now()
	switch {
	case status.Phase == certv1.PhaseProcessing:
		// The pool publishes progress at most once per interval of the run's own time, so
		// each change is worth its write; a queued or short run shows none.
		if progress.Total > 0 && (status.Progress == nil || *status.Progress != progress) {
			status.Progress = &progress
		}
	case status.Phase == "" || status.Phase == certv1.PhasePending:
		status.Phase = certv1.PhasePending
		setConditions(status, pendingConditions(obj.Spec.Suspend)...)
		r.setMirrorDisabled(obj)
	default:
		schedule(status, &obj.Spec)
		setConditions(status, idleCondition(status, obj.Spec.Suspend))
	}
	if d.requestedAt != "" {
		status.LastHandledRequestedAt = d.requestedAt
	}
	setSummary(status, obj.Spec.Suspend, now)
	if err := r.patchStatus(ctx, before, obj); err != nil {
		return retryOnConflict(ctx, certificationController, err)
	}
	if d.requestedAt != "" {
		// Recorded as handled by the write above, so the Event comes once per value.
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, ReasonRunRequestIgnored, "Ignore",
			"Ignored the run requested by %s=%q: the certification is suspended", certv1.RequestedAtAnnotation,
			shorten(obj.Annotations[certv1.RequestedAtAnnotation], maxRequestToken))
	}
	return ctrl.Result{RequeueAfter: wakeAfter(obj, now, d.requeueAfter)}, nil
}

// setMirrorDisabled says in DatabaseSynced that there is no mirror; with one, the condition is
// the mirror's to write.
func (r *ModelCertificationReconciler) setMirrorDisabled(obj *certv1.ModelCertification) {
	if r.Mirror == nil {
		setConditions(&obj.Status, mirrorDisabledCondition())
	}
}

// observe stamps the generation the status describes on it and its conditions.
func observe(obj *certv1.ModelCertification) {
	obj.Status.ObservedGeneration = obj.Generation
	for i := range obj.Status.Conditions {
		obj.Status.Conditions[i].ObservedGeneration = obj.Generation
	}
}

// patchStatus is the one place the certification controller writes status: it stamps
// observedGeneration and patches only when something changed, so that a resync writes nothing
// and GitOps tools see no churn. The optimistic lock keeps it from overwriting a write it has
// not seen, the mirror's DatabaseSynced included.
func (r *ModelCertificationReconciler) patchStatus(ctx context.Context, before, obj *certv1.ModelCertification) error {
	observe(obj)
	return patchStatusIfChanged(ctx, r.Client, before, obj)
}

// patchStatusIfChanged patches obj's status from before under an optimistic lock, when it changed.
func patchStatusIfChanged(ctx context.Context, c client.Client, before, obj *certv1.ModelCertification) error {
	if equality.Semantic.DeepEqual(before.Status, obj.Status) {
		return nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

// conflictRetry is how soon a reconcile whose write met a newer version of the object looks
// again; the newer version's own event usually comes first.
const conflictRetry = time.Second

// retryOnConflict turns a write refused because the object changed meanwhile (409) into a
// quiet retry, counted, since it is the normal price of two controllers writing one object;
// any other error goes to the rate limiter.
func retryOnConflict(ctx context.Context, controllerName string, err error) (ctrl.Result, error) {
	if !apierrors.IsConflict(err) {
		return ctrl.Result{}, err
	}
	conflicts.WithLabelValues(controllerName).Inc()
	log.FromContext(ctx).V(1).Info("Object changed meanwhile; retrying", "error", err.Error())
	return ctrl.Result{RequeueAfter: conflictRetry}, nil
}

// removeFinalizer takes this operator's finalizer off obj under an optimistic lock.
func removeFinalizer(ctx context.Context, c client.Client, obj *certv1.ModelCertification) error {
	before := obj.DeepCopy()
	controllerutil.RemoveFinalizer(obj, Finalizer)
	if err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	return nil
}

// wakeAfter is when to look at an object again: the earliest of the next run (in nextRun, zero
// for none) and the verdict's expiry, so that Ready turns False even when no run comes (as while
// suspended) or a re-certification outlasts the verdict. Zero waits for an event: the pool wakes
// an object whose run finished or progressed.
func wakeAfter(obj *certv1.ModelCertification, now time.Time, nextRun time.Duration) time.Duration {
	status := &obj.Status
	after := nextRun
	if status.Phase == certv1.PhaseProcessing {
		after = 0
	}
	if status.ValidUntil != nil {
		if d := status.ValidUntil.Sub(now); d > 0 && (after == 0 || d < after) {
			after = d
		}
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
		MaxConcurrency:      r.Options.ChecksInFlight,
		MaxTokens:           spec.Budget.MaxTokens(),
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
// configuration: availability fails with CONFIGURATION_ERROR (PERMISSION_ERROR when the
// tenancy policy refused the run) and nothing else runs.
func configurationFailure(modelID string, err error) certify.Report {
	now := time.Now()
	category := certify.CategoryConfiguration
	if refusal := (*tenancyRefusal)(nil); errors.As(err, &refusal) {
		category = certify.CategoryPermission
	}
	return certify.Report{ModelID: modelID, StartedAt: now, CompletedAt: now, Results: []certify.Result{{
		Name: certify.CheckAvailability, Status: certify.CheckFailed, Category: category,
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

// SetupWithManager registers the reconciler and its run pool with the manager, and with a
// Mirror the mirror controller.
// ReleaseWhenQuiet tells the reconciler that the process did work outside the controllers (a
// metrics scrape), so that its garbage is returned to the system once the process has been
// quiet for a while, as a burst of certifications' is.
func (r *ModelCertificationReconciler) ReleaseWhenQuiet() {
	if r.pool != nil {
		r.pool.touch()
	}
}

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
	if err := r.setupTenancy(mgr); err != nil {
		return err
	}
	r.pool = newRunPool(r.Options.MaxRuns, r.Options.MaxRunsPerModel, r.Options.ProgressInterval)
	if err := mgr.Add(r.pool); err != nil {
		return fmt.Errorf("add run pool: %w", err)
	}
	if r.Mirror != nil {
		r.mirror = &mirrorReconciler{Client: r.Client, db: r.Mirror, pool: r.pool, clock: r.Clock,
			recorder: mgr.GetEventRecorder(mirrorController), options: r.Options}
		if err := r.mirror.setupWithManager(mgr); err != nil {
			return err
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&certv1.ModelCertification{}).
		WatchesRawSource(source.Channel(r.pool.Events, &handler.EnqueueRequestForObject{})).
		WatchesRawSource(source.Channel(r.tenancy.wake, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Named(certificationController).
		Complete(r)
}
