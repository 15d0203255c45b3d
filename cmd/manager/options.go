package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"

	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/tenancy"
)

// serviceAccountNamespaceFile holds the pod's namespace inside a cluster.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// deploymentFlags fit the manager to its place in a cluster: where its Lease lives, which
// namespaces it serves and how its metrics are protected.
type deploymentFlags struct {
	leaderElectionNamespace string
	watchNamespaces         string
	metricsSecure           bool

	// namespaces is --watch-namespaces parsed; empty means every namespace.
	namespaces []string
}

func (d *deploymentFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&d.leaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"),
		"namespace of the leader-election Lease (default: $POD_NAMESPACE, else the pod's own namespace; required with --leader-elect outside a cluster)")
	fs.StringVar(&d.watchNamespaces, "watch-namespaces", "",
		"comma-separated namespaces whose ModelCertifications the operator serves (default: all); the operator then needs RBAC only there")
	fs.BoolVar(&d.metricsSecure, "metrics-secure", true,
		"serve metrics over HTTPS to callers the API server authenticates and authorizes for GET /metrics; false serves plain HTTP to anyone")
}

// resolve checks the flags and fills in what they leave to the environment.
func (d *deploymentFlags) resolve(leaderElect bool) error {
	for _, ns := range strings.Split(d.watchNamespaces, ",") {
		ns = strings.TrimSpace(ns)
		if ns == "" {
			continue
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return fmt.Errorf("--watch-namespaces: %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		}
		d.namespaces = append(d.namespaces, ns)
	}
	if !leaderElect {
		return nil
	}
	if d.leaderElectionNamespace == "" {
		ns, err := os.ReadFile(serviceAccountNamespaceFile)
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("--leader-election-namespace is required with --leader-elect outside a cluster")
		}
		if err != nil {
			return fmt.Errorf("--leader-election-namespace: read the pod's namespace: %w", err)
		}
		d.leaderElectionNamespace = strings.TrimSpace(string(ns))
	}
	if errs := validation.IsDNS1123Label(d.leaderElectionNamespace); len(errs) > 0 {
		return fmt.Errorf("--leader-election-namespace: %q is not a namespace name: %s", d.leaderElectionNamespace, strings.Join(errs, "; "))
	}
	return nil
}

// apply sets the manager options these flags decide.
func (d deploymentFlags) apply(opts *ctrl.Options) {
	if opts.LeaderElection {
		opts.LeaderElectionNamespace = d.leaderElectionNamespace
		// The manager exits as soon as it stops, so the Lease can be handed over at once
		// rather than after its 15 s expiry.
		opts.LeaderElectionReleaseOnCancel = true
	}
	if len(d.namespaces) > 0 {
		opts.Cache.DefaultNamespaces = make(map[string]cache.Config, len(d.namespaces))
		for _, ns := range d.namespaces {
			opts.Cache.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	if d.metricsSecure {
		opts.Metrics.SecureServing = true
		// TokenReviews and SubjectAccessReviews: the caller needs `get` on the /metrics URL.
		opts.Metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
}

// defaultTenancyPolicy is the tenancy policy ConfigMap's name in the operator's namespace.
const defaultTenancyPolicy = "modelcert-tenancy"

// tenancyFlags locate the tenancy policy ConfigMap and set the policy's defaults, which apply
// where the ConfigMap is silent or absent.
type tenancyFlags struct {
	policy                       string
	defaultCredentialsNamespaces string
	allowedEndpoints             string
	allowHTTP                    bool

	// options is what the flags resolve to; note says why the ConfigMap is off, if it is.
	options controllers.TenancyOptions
	note    string
}

func (f *tenancyFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.policy, "tenancy-policy", defaultTenancyPolicy,
		"the tenancy policy ConfigMap, [namespace/]name, watched (default namespace: $POD_NAMESPACE, else the pod's own); empty: the defaults below alone")
	fs.StringVar(&f.defaultCredentialsNamespaces, "default-credentials-namespaces", "*",
		"comma-separated namespaces (globs) whose objects may use the operator's own AWS credentials, unless the policy says otherwise; empty for none")
	fs.StringVar(&f.allowedEndpoints, "allowed-endpoints", "",
		"comma-separated host[:port] patterns objects may name in spec.endpoint besides their region's AWS Bedrock endpoints, unless the policy says otherwise")
	fs.BoolVar(&f.allowHTTP, "allow-http-endpoints", false,
		"allow plain http endpoints, unless the policy says otherwise")
}

// resolve checks the flags and names the ConfigMap.
func (f *tenancyFlags) resolve() error {
	d := tenancy.Defaults{DefaultCredentialsNamespaces: splitList(f.defaultCredentialsNamespaces),
		EndpointHosts: splitList(f.allowedEndpoints), AllowHTTP: f.allowHTTP}
	if _, err := tenancy.New("", tenancy.Defaults{DefaultCredentialsNamespaces: d.DefaultCredentialsNamespaces}); err != nil {
		return fmt.Errorf("--default-credentials-namespaces: %w", err)
	}
	if _, err := tenancy.New("", tenancy.Defaults{EndpointHosts: d.EndpointHosts}); err != nil {
		return fmt.Errorf("--allowed-endpoints: %w", err)
	}
	f.options = controllers.TenancyOptions{Defaults: d}
	policy := strings.TrimSpace(f.policy)
	if policy == "" {
		f.note = "--tenancy-policy is empty"
		return nil
	}
	namespace, name, named := strings.Cut(policy, "/")
	if !named {
		namespace, name = os.Getenv("POD_NAMESPACE"), policy
		if namespace == "" {
			raw, err := os.ReadFile(serviceAccountNamespaceFile)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("--tenancy-policy: read the pod's namespace: %w", err)
			}
			namespace = strings.TrimSpace(string(raw))
		}
		if namespace == "" {
			f.note = "outside a cluster --tenancy-policy needs a namespace (namespace/name)"
			return nil
		}
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return fmt.Errorf("--tenancy-policy: %q is not a namespace name: %s", namespace, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("--tenancy-policy: %q is not a ConfigMap name: %s", name, strings.Join(errs, "; "))
	}
	f.options.ConfigMap = types.NamespacedName{Namespace: namespace, Name: name}
	return nil
}

// apply caches the one ConfigMap the operator reads, and no other.
func (f tenancyFlags) apply(opts *ctrl.Options) {
	cm := f.options.ConfigMap
	if cm.Name == "" {
		return
	}
	if opts.Cache.ByObject == nil {
		opts.Cache.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.Cache.ByObject[&corev1.ConfigMap{}] = cache.ByObject{Namespaces: map[string]cache.Config{
		cm.Namespace: {FieldSelector: fields.OneTermEqualSelector("metadata.name", cm.Name)}}}
}
