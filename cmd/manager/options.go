package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
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
