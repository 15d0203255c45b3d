package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/tenancy"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

const (
	tenancyController = "modelcertification-tenancy"
	// ReasonTenancyRefused is the Event reason of a run the tenancy policy refused.
	ReasonTenancyRefused = "TenancyRefused"
	// ReasonInvalidTenancyPolicy is the Event reason, on the ConfigMap, of a policy that does not parse.
	ReasonInvalidTenancyPolicy = "InvalidTenancyPolicy"
	// policyWait is how soon a run held for want of a valid policy looks again; a fixed
	// policy wakes it sooner.
	policyWait = time.Minute
	// namespaceReadTimeout bounds the read of a namespace's labels (a missing RBAC grant
	// would otherwise wait for a cache that never syncs).
	namespaceReadTimeout = 10 * time.Second
)

// TenancyOptions say where the tenancy policy comes from.
type TenancyOptions struct {
	// ConfigMap holds the policy under tenancy.PolicyKey; an empty Name means the defaults alone.
	ConfigMap types.NamespacedName
	// Defaults apply where the ConfigMap is silent, or absent.
	Defaults tenancy.Defaults
}

var (
	tenancyRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_tenancy_refusals_total",
		Help: "Runs the tenancy policy refused, by the rule that refused them.",
	}, []string{"rule"})
	tenancyPolicyValid = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "modelcert_tenancy_policy_valid",
		Help: "1 when the tenancy policy ConfigMap last read parsed, 0 when it did not (the last valid policy stays in force).",
	})
)

func init() {
	metrics.Registry.MustRegister(tenancyRefusals, tenancyPolicyValid)
}

// tenancyPolicy holds the policy in force. Until the ConfigMap has been read once, the
// first run to need the policy reads it directly, so that no run starts under the defaults
// the ConfigMap was meant to replace.
type tenancyPolicy struct {
	opts     TenancyOptions
	client   client.Client // cached: the policy ConfigMap and namespaces
	reader   client.Reader // uncached: the first read
	recorder events.EventRecorder
	// wake enqueues the objects whose admission a policy change turned.
	wake chan event.GenericEvent

	mu     sync.Mutex
	policy *tenancy.Policy // nil while no valid policy was read
	text   string          // the policy's text, "" for the defaults alone
	tried  bool
}

// current is the policy in force, nil when none is valid yet.
func (t *tenancyPolicy) current(ctx context.Context) *tenancy.Policy {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.policy != nil || t.tried {
		return t.policy
	}
	t.tried = true
	text, _, err := t.read(ctx, t.reader)
	if err != nil {
		// The policy controller reports it; runs wait for it.
		return nil
	}
	if p, err := tenancy.New(text, t.opts.Defaults); err == nil {
		t.policy, t.text = p, text
	}
	return t.policy
}

// read returns the policy's text: "" when the ConfigMap does not exist. An error with a
// ConfigMap is the ConfigMap's fault; without one, the API's.
func (t *tenancyPolicy) read(ctx context.Context, r client.Reader) (text string, cm *corev1.ConfigMap, err error) {
	if t.opts.ConfigMap.Name == "" {
		return "", nil, nil
	}
	cm = &corev1.ConfigMap{}
	if err := r.Get(ctx, t.opts.ConfigMap, cm); apierrors.IsNotFound(err) {
		return "", nil, nil
	} else if err != nil {
		return "", nil, fmt.Errorf("read tenancy policy ConfigMap %s: %w", t.opts.ConfigMap, err)
	}
	text, ok := cm.Data[tenancy.PolicyKey]
	if !ok {
		return "", cm, fmt.Errorf("ConfigMap %s has no data key %s", t.opts.ConfigMap, tenancy.PolicyKey)
	}
	return text, cm, nil
}

// Reconcile reads the policy ConfigMap. A valid policy replaces the one in force and wakes the
// objects whose admission it turns; an invalid one is reported (log, Event on the ConfigMap,
// metric) and the one in force stays.
func (t *tenancyPolicy) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	text, cm, err := t.read(ctx, t.client)
	if err != nil && cm == nil {
		// Not read at all (the API): retried with backoff.
		return ctrl.Result{}, err
	}
	var p *tenancy.Policy
	if err == nil {
		if p, err = tenancy.New(text, t.opts.Defaults); err != nil {
			err = fmt.Errorf("tenancy policy ConfigMap %s, key %s: %w", t.opts.ConfigMap, tenancy.PolicyKey, err)
		}
	}
	if err != nil {
		tenancyPolicyValid.Set(0)
		t.mu.Lock()
		t.tried = true
		t.mu.Unlock()
		logger.Error(err, "Invalid tenancy policy; the last valid one stays in force (with none, runs wait)")
		t.recorder.Eventf(cm, nil, corev1.EventTypeWarning, ReasonInvalidTenancyPolicy, "Parse", "%s", shorten(err.Error(), 1024))
		return ctrl.Result{}, nil
	}
	tenancyPolicyValid.Set(1)
	t.mu.Lock()
	old, changed := t.policy, t.policy == nil || t.text != text
	t.policy, t.text, t.tried = p, text, true
	t.mu.Unlock()
	if !changed {
		return ctrl.Result{}, nil
	}
	logger.Info("Tenancy policy in force", "configMap", t.opts.ConfigMap.String(), "found", cm != nil)
	return ctrl.Result{}, t.wakeTurned(ctx, old, p)
}

// wakeTurned enqueues the objects whose admission differs between two policies (all, when
// there was none).
func (t *tenancyPolicy) wakeTurned(ctx context.Context, old, updated *tenancy.Policy) error {
	var list certv1.ModelCertificationList
	if err := t.client.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list modelcertifications: %w", err)
	}
	for i := range list.Items {
		obj := &list.Items[i]
		if old != nil {
			req, err := t.request(ctx, obj, old, updated)
			if err != nil {
				return err
			}
			if old.Decide(req).Allowed == updated.Decide(req).Allowed {
				continue
			}
		}
		if !wake(ctx, t.wake, obj.Namespace, obj.Name) {
			return nil
		}
	}
	return nil
}

// request is what the policies decide an object's admission on; the namespace's labels are
// read only when one of them selects namespaces by label.
func (t *tenancyPolicy) request(ctx context.Context, obj *certv1.ModelCertification, policies ...*tenancy.Policy) (tenancy.Request, error) {
	req := tenancy.Request{Namespace: obj.Namespace, Region: obj.Spec.Region, Endpoint: obj.Spec.Endpoint,
		RoleARN: obj.Spec.RoleARN, OwnCredentials: obj.Spec.Credentials != nil}
	for _, p := range policies {
		if !p.SelectsByLabel() {
			continue
		}
		ns := &metav1.PartialObjectMetadata{}
		ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
		ctx, cancel := context.WithTimeout(ctx, namespaceReadTimeout)
		defer cancel()
		if err := t.client.Get(ctx, types.NamespacedName{Name: obj.Namespace}, ns); err != nil && !apierrors.IsNotFound(err) {
			return req, fmt.Errorf("read the labels of namespace %s (the tenancy policy selects namespaces by label): %w", obj.Namespace, err)
		}
		req.NamespaceLabels = ns.Labels
		break
	}
	return req, nil
}

// admission is the tenancy policy's word on an object.
type admission struct {
	// held says why no run may start yet (no valid policy, unreadable namespace labels); empty
	// when the policy decided.
	held     string
	decision tenancy.Decision
}

// runHash is the hash plan compares with status.specHash: a refusal changes it, so that a
// policy edit that turns an object's admission starts a run at once, whichever way it turns.
func (a admission) runHash(specHash string) string {
	if a.held != "" || a.decision.Allowed {
		return specHash
	}
	sum := sha256.Sum256([]byte(specHash + "\x00refused by the tenancy policy"))
	return hex.EncodeToString(sum[:8])
}

// admit asks the tenancy policy about an object. What keeps it from deciding holds back only
// a new run: a run in progress still finishes.
func (r *ModelCertificationReconciler) admit(ctx context.Context, obj *certv1.ModelCertification) admission {
	p := r.tenancy.current(ctx)
	if p == nil {
		return admission{held: "no valid tenancy policy yet (ConfigMap " + r.tenancy.opts.ConfigMap.String() + ")"}
	}
	req, err := r.tenancy.request(ctx, obj, p)
	if err != nil {
		return admission{held: err.Error()}
	}
	return admission{decision: p.Decide(req)}
}

// holdForPolicy keeps a run from starting while the tenancy policy cannot decide.
func (r *ModelCertificationReconciler) holdForPolicy(ctx context.Context, a admission) (ctrl.Result, error) {
	log.FromContext(ctx).Info("The tenancy policy cannot decide; the run waits", "reason", a.held)
	return ctrl.Result{RequeueAfter: policyWait}, nil
}

// tenancyRefusal is a run's error when the tenancy policy refused it: the run sends nothing.
type tenancyRefusal struct{ decision tenancy.Decision }

func (e *tenancyRefusal) Error() string { return e.decision.Message }

// runConfig resolves the model configuration of an admitted run; a refused run gets its
// refusal as the error, recorded in an Event, and reads no Secret. An assumed role's session
// is named and tagged after the object, with the external id of the grant that allowed it.
func (r *ModelCertificationReconciler) runConfig(ctx context.Context, obj *certv1.ModelCertification, a admission) (bedrock.Config, error) {
	if !a.decision.Allowed {
		tenancyRefusals.WithLabelValues(a.decision.Rule).Inc()
		log.FromContext(ctx).Info("Tenancy policy refused the run", "rule", a.decision.Rule, "reason", a.decision.Message)
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, ReasonTenancyRefused, "Admit", "%s", a.decision.Message)
		return bedrock.Config{}, &tenancyRefusal{decision: a.decision}
	}
	return r.admittedConfig(ctx, obj, a)
}

// admittedConfig is runConfig once the policy allowed the object.
func (r *ModelCertificationReconciler) admittedConfig(ctx context.Context, obj *certv1.ModelCertification, a admission) (bedrock.Config, error) {
	cfg, err := r.modelConfig(ctx, obj)
	if cfg.Credentials.RoleARN != "" {
		cfg.Credentials.SessionName, cfg.Credentials.SessionTags = bedrock.ObjectSession(obj.Namespace, obj.Name)
		cfg.Credentials.ExternalID = a.decision.ExternalID
	}
	return cfg, err
}

// CatalogConfig resolves the configuration with which a ModelCertificationSet lists a region's
// catalog: the template's credentials, endpoint and role, under the tenancy policy, exactly as
// a certification named after the set would be resolved for a run (a role's session is named
// after the set). A refusal, or a policy that cannot decide, is the error.
func (r *ModelCertificationReconciler) CatalogConfig(ctx context.Context, namespace, name, region string, template certv1.CertificationTemplate) (bedrock.Config, error) {
	obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: certv1.ModelCertificationSpec{Region: region, CertificationTemplate: template}}
	a := r.admit(ctx, obj)
	switch {
	case a.held != "":
		return bedrock.Config{}, fmt.Errorf("the tenancy policy cannot decide: %s", a.held)
	case !a.decision.Allowed:
		tenancyRefusals.WithLabelValues(a.decision.Rule).Inc()
		return bedrock.Config{}, &tenancyRefusal{decision: a.decision}
	}
	return r.admittedConfig(ctx, obj, a)
}

// setupTenancy reads the policy ConfigMap (when one is named) in a controller of its own.
func (r *ModelCertificationReconciler) setupTenancy(mgr ctrl.Manager) error {
	if r.Tenancy == nil {
		r.Tenancy = &TenancyOptions{Defaults: tenancy.DefaultDefaults()}
	}
	r.tenancy = &tenancyPolicy{opts: *r.Tenancy, client: r.Client, reader: r.APIReader,
		recorder: mgr.GetEventRecorder(tenancyController), wake: make(chan event.GenericEvent, 1024)}
	if _, err := tenancy.New("", r.Tenancy.Defaults); err != nil {
		return fmt.Errorf("tenancy policy defaults: %w", err)
	}
	if r.Tenancy.ConfigMap.Name == "" {
		return nil
	}
	name := r.Tenancy.ConfigMap
	return ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == name.Namespace && o.GetName() == name.Name
		}))).
		Named(tenancyController).
		Complete(r.tenancy)
}
