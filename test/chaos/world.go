package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/test/harness"
)

const namespace = "chaos"

// Canary credentials: recognisable values that must never show up in a status, an Event, a log
// line or a table. The manager gets the env pair; half of the objects use the Secret.
var canaries = map[string]string{
	"AWS_ACCESS_KEY_ID":     "AKIACHAOSENVCANARY01",
	"AWS_SECRET_ACCESS_KEY": "chaosEnvSecretCanary0123456789abcdef",
	"accessKeyId":           "AKIACHAOSSECRETCANARY",
	"secretAccessKey":       "chaosSecretSecretCanary0123456789abcdef",
	"sessionToken":          "chaosSessionTokenCanary0123456789abcdef",
}

const credentialsSecret = "chaos-aws"

// tracked is what the harness knows about one object: what it did to it and what it saw.
type tracked struct {
	name   string
	uid    types.UID
	pair   harness.Pair
	policy certv1.DeletionPolicy
	score  int32
	// exclude says whether checks.exclude is set (the other run-affecting edit); edits counts
	// the edits.
	exclude bool
	edits   uint64

	// lastEdit is when the harness last created or edited the spec; gen the generation it made.
	lastEdit time.Time
	gen      int64
	// settledAt is when the observer first saw the run of each generation finished.
	settledAt map[int64]time.Time

	deletedAt time.Time
	gone      bool
	// verdictRun and verdictPhase are the last verdict seen before the object was deleted (or
	// now, for a live object); deletedWithVerdict records the one held at deletion.
	verdictRun, deletedWithVerdict string
	verdictPhase                   certv1.Phase
	durationMs                     int64
	// rowTruncated says the table was truncated after the object was deleted: its Retain row is
	// gone for good, as nothing is left to write it again.
	rowTruncated bool
}

func (t *tracked) deleted() bool { return !t.deletedAt.IsZero() }

// settled reports whether obj shows the finished run of the spec the harness last wrote.
func (t *tracked) settled(obj *certv1.ModelCertification) bool {
	s := obj.Status
	return obj.Generation == t.gen && s.ObservedGeneration == obj.Generation && harness.Terminal(s.Phase) &&
		s.CompletedAt != nil && s.StartedAt != nil && !s.StartedAt.Time.Before(t.lastEdit.Truncate(time.Second))
}

type world struct {
	cfg   config
	dir   string
	start time.Time
	rng   *rand.Rand

	cp  *harness.ControlPlane
	pg  *harness.Postgres
	sim *harness.Simulator
	mgr *harness.Manager
	obs *harness.Observer

	pairs    []harness.Pair
	nextPair int

	mu      sync.Mutex
	objects map[string]*tracked
	faults  []string
	results []result
}

// result is one assertion's outcome.
type result struct {
	name    string
	ok      bool
	details []string
}

func setUp(ctx context.Context, cfg config, dir string) (*world, error) {
	w := &world{cfg: cfg, dir: dir, start: time.Now(), rng: rand.New(rand.NewPCG(cfg.seed, 0x6368616f73)),
		objects: map[string]*tracked{}}
	// Every object ever created gets a pair of its own, so that rows and objects map one to one.
	w.pairs = harness.Pairs(cfg.objects * (cfg.rounds + 1))
	fmt.Printf("chaos: seed %d, %d objects, %d rounds, %d kills per round, %s outage, %s model latency\n",
		cfg.seed, cfg.objects, cfg.rounds, cfg.kills, cfg.outage, cfg.latency)

	var err error
	if w.pg, err = harness.StartPostgres(ctx, cfg.root, filepath.Join(dir, "pg"), "modelcert"); err != nil {
		return nil, err
	}
	if w.cp, err = harness.StartControlPlane(cfg.root, cfg.assets, dir); err != nil {
		w.pg.Stop()
		return nil, err
	}
	fail := func(err error) (*world, error) { w.tearDown(); return nil, err }
	catalog := filepath.Join(dir, "catalog.yaml")
	if err := harness.WriteCatalog(catalog, len(w.pairs), cfg.latency); err != nil {
		return fail(err)
	}
	if w.sim, err = harness.StartSimulator(cfg.simBin, catalog, filepath.Join(dir, "simulator.log"), ""); err != nil {
		return fail(err)
	}
	if err := w.cp.Client.Create(ctx, harness.Namespace(namespace)); err != nil {
		return fail(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: credentialsSecret},
		StringData: map[string]string{"accessKeyId": canaries["accessKeyId"],
			"secretAccessKey": canaries["secretAccessKey"], "sessionToken": canaries["sessionToken"]}}
	if err := w.cp.Client.Create(ctx, secret); err != nil {
		return fail(err)
	}
	if w.obs, err = harness.Observe(ctx, w.cp.Config, namespace, w.observe); err != nil {
		return fail(err)
	}
	args := append([]string{"--database-url", w.pg.URL, "--metrics-bind-address", "0",
		"--health-probe-bind-address", "0", "--max-concurrent-runs", "64",
		// The simulator serves plain http on 127.0.0.1: the tenancy policy must list it.
		"--allowed-endpoints", "127.0.0.1:*", "--allow-http-endpoints",
		// A truncated table comes back at the next resync, and a deleted object is released
		// after the finalize timeout at the latest: both shortened so that a round ends in minutes.
		"--mirror-resync", "20s", "--finalize-timeout", "60s"}, cfg.managerArgs...)
	// KUBECONFIG rather than --kubeconfig: the manager then loads its config as in a cluster.
	env := []string{"KUBECONFIG=" + w.cp.ManagerKubeconfig, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=" + canaries["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY=" + canaries["AWS_SECRET_ACCESS_KEY"]}
	if w.mgr, err = harness.StartManager(cfg.managerBin, args, env, filepath.Join(dir, "manager.log")); err != nil {
		return fail(err)
	}
	if err := w.mgr.WaitWorkers(ctx, 0); err != nil {
		return fail(err)
	}
	fmt.Printf("chaos: manager %s %v\n", cfg.managerBin, args)
	return w, nil
}

func (w *world) tearDown() {
	if w.mgr != nil {
		w.mgr.Stop()
	}
	if w.sim != nil {
		w.sim.Stop()
	}
	if err := w.cp.Stop(); err != nil {
		fmt.Printf("chaos: stop control plane: %v\n", err)
	}
	w.pg.Stop()
}

// observe records what the watch shows.
func (w *world) observe(obj *certv1.ModelCertification, deleted bool) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.objects[obj.Name]
	if !ok || (t.uid != "" && t.uid != obj.UID) {
		return
	}
	if deleted {
		t.gone = true
		return
	}
	if harness.Terminal(obj.Status.Phase) && obj.Status.RunID != "" {
		t.verdictRun, t.verdictPhase, t.durationMs = obj.Status.RunID, obj.Status.Phase, obj.Status.DurationMs
	}
	if t.settled(obj) {
		if _, seen := t.settledAt[obj.Generation]; !seen {
			t.settledAt[obj.Generation] = now
		}
	}
}

// rngFor is the random source of one object's nth choice, so that a seed gives every object the
// same choices whatever order the parallel workers take them in.
func (w *world) rngFor(name string, n uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(w.cfg.seed^h.Sum64(), n))
}

// fault logs a fault with its time since the start.
func (w *world) fault(format string, args ...any) {
	line := fmt.Sprintf("[%6.1fs] ", time.Since(w.start).Seconds()) + fmt.Sprintf(format, args...)
	fmt.Println("  fault " + line)
	w.mu.Lock()
	w.faults = append(w.faults, line)
	w.mu.Unlock()
}

// create makes a new object with a fresh (model, region) pair.
func (w *world) create(ctx context.Context, name string) error {
	w.mu.Lock()
	pair := w.pairs[w.nextPair]
	w.nextPair++
	rng := w.rngFor(name, 0)
	t := &tracked{name: name, pair: pair, score: 80, settledAt: map[int64]time.Time{}, lastEdit: time.Now(), gen: 1,
		policy: []certv1.DeletionPolicy{certv1.DeletionPolicyRetain, certv1.DeletionPolicyDelete}[rng.IntN(2)]}
	useSecret := rng.IntN(2) == 0
	w.objects[name] = t
	w.mu.Unlock()
	obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: certv1.ModelCertificationSpec{ModelID: pair.Model, Region: pair.Region, CertificationTemplate: certv1.CertificationTemplate{Endpoint: w.sim.URL,
			DeletionPolicy: t.policy, Policy: certv1.CertificationPolicy{CertifyScore: ptr.To(t.score)}}}}
	if useSecret {
		obj.Spec.Credentials = &certv1.Credentials{SecretRef: certv1.SecretReference{Name: credentialsSecret}}
	}
	if err := w.cp.Client.Create(ctx, obj); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	w.mu.Lock()
	t.uid = obj.UID
	w.mu.Unlock()
	return nil
}

// edit changes a run-affecting field of the spec: the certify score or the excluded checks.
func (w *world) edit(ctx context.Context, name string) error {
	w.mu.Lock()
	t := w.objects[name]
	t.edits++
	rng := w.rngFor(name, t.edits)
	var spec map[string]any
	if rng.IntN(2) == 0 {
		score := t.score
		for score == t.score {
			score = int32(60 + rng.IntN(41))
		}
		t.score = score
		spec = map[string]any{"policy": map[string]any{"certifyScore": score}}
	} else {
		t.exclude = !t.exclude
		var checks any // nil removes the selection
		if t.exclude {
			checks = map[string]any{"exclude": []string{"vision", "json-output"}}
		}
		spec = map[string]any{"checks": checks}
	}
	w.mu.Unlock()
	patch, _ := json.Marshal(map[string]any{"spec": spec})
	obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	editedAt := time.Now()
	if err := w.cp.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("edit %s: %w", name, err)
	}
	w.mu.Lock()
	t.lastEdit, t.gen = editedAt, obj.Generation
	w.mu.Unlock()
	return nil
}

// remove deletes an object; its deletionPolicy decides what happens to its row.
func (w *world) remove(ctx context.Context, name string) error {
	w.mu.Lock()
	t := w.objects[name]
	t.deletedAt = time.Now()
	t.deletedWithVerdict = t.verdictRun
	w.mu.Unlock()
	obj := &certv1.ModelCertification{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if err := w.cp.Client.Delete(ctx, obj, client.Preconditions{UID: &t.uid}); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// live lists the names of the objects not deleted, in order.
func (w *world) live() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for name, t := range w.objects {
		if !t.deleted() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// policyOf returns an object's deletion policy.
func (w *world) policyOf(name string) certv1.DeletionPolicy {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.objects[name].policy
}

// unsettled lists what keeps the world from being settled: live objects whose latest spec's run
// is not done, deleted objects still present.
func (w *world) unsettled(ctx context.Context) ([]string, error) {
	objs, err := w.obs.List(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]*certv1.ModelCertification{}
	for i := range objs {
		seen[objs[i].Name] = &objs[i]
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for name, t := range w.objects {
		obj, present := seen[name]
		switch {
		case t.deleted() && present && obj.UID == t.uid:
			out = append(out, fmt.Sprintf("%s: deleted %s ago, still present (finalizers %v)",
				name, time.Since(t.deletedAt).Round(time.Second), obj.Finalizers))
		case t.deleted():
		case !present:
			out = append(out, name+": missing")
		case !t.settled(obj):
			out = append(out, fmt.Sprintf("%s: generation %d, observed %d, phase %q, started %v, last edit %s",
				name, obj.Generation, obj.Status.ObservedGeneration, obj.Status.Phase,
				obj.Status.StartedAt, t.lastEdit.Format(time.TimeOnly)))
		}
	}
	sort.Strings(out)
	return out, nil
}

// waitSettled waits until nothing is unsettled, or limit passes.
func (w *world) waitSettled(ctx context.Context, limit time.Duration) (time.Duration, []string, error) {
	start := time.Now()
	for {
		left, err := w.unsettled(ctx)
		if err != nil || len(left) == 0 || time.Since(start) > limit {
			return time.Since(start), left, err
		}
		select {
		case <-ctx.Done():
			return time.Since(start), left, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sleepUntil sleeps until t or ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(t)):
		return nil
	}
}
