package controllers_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// BenchmarkCertifications certifies b.N objects at once through the whole operator (real API
// server, PostgreSQL, simulator with no added latency) and reports throughput and the exact cost
// of one certification: the operator's API writes, database round trips and model calls.
//
//	make bench   (or: go test -run '^$' -bench Certifications -benchtime 200x ./controllers/)
func BenchmarkCertifications(b *testing.B) {
	env := testenv.Require(b)
	ns := env.Namespace(b)
	sim, endpoint := startSimulator(b)
	db := openStore(b)
	writes := startCountingOperator(b, env, ns, &controllers.ModelCertificationReconciler{Mirror: db, Options: controllers.Options{
		MaxConcurrentReconciles: 16, MaxRuns: 64, MaxRunsPerModel: 64, ConsistencyInterval: time.Millisecond}})

	models := []string{"amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.titan-text-express-v1", "anthropic.claude-3-haiku-20240307-v1:0"}
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2"}
	roundTrips := db.RoundTrips()
	conflictsBefore := metricValue(b, "modelcert_write_conflicts_total", map[string]string{"controller": "modelcertification"}) +
		metricValue(b, "modelcert_write_conflicts_total", map[string]string{"controller": "modelcertification-mirror"})
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		obj := &certv1.ModelCertification{}
		obj.Namespace, obj.Name = ns, fmt.Sprintf("bench-%d", i)
		obj.Spec = certv1.ModelCertificationSpec{ModelID: models[i%len(models)], Region: regions[(i/len(models))%len(regions)],
			CertificationTemplate: certv1.CertificationTemplate{Endpoint: endpoint}}
		if err := env.Client.Create(context.Background(), obj); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Duration(b.N)*200*time.Millisecond + 30*time.Second)
	for done := 0; done < b.N; time.Sleep(20 * time.Millisecond) {
		var list certv1.ModelCertificationList
		if err := env.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		done = 0
		for _, o := range list.Items {
			if o.Status.CompletedAt != nil {
				done++
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d certified in time", done, b.N)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	// The verdict's mirror write trails it: let the last ones land before counting.
	time.Sleep(time.Second)
	calls := 0
	for _, m := range models {
		c := sim.Calls(m)
		calls += c.Converse + c.ConverseStream + c.ControlPlane
	}
	var events eventsv1.EventList
	if err := env.Client.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	conflicts := metricValue(b, "modelcert_write_conflicts_total", map[string]string{"controller": "modelcertification"}) +
		metricValue(b, "modelcert_write_conflicts_total", map[string]string{"controller": "modelcertification-mirror"}) - conflictsBefore
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "certs/s")
	b.ReportMetric(float64(writes.patches.Load())/n, "api-writes/cert")
	b.ReportMetric(float64(db.RoundTrips()-roundTrips)/n, "db-roundtrips/cert")
	b.ReportMetric(float64(calls)/n, "model-calls/cert")
	b.ReportMetric(float64(len(events.Items))/n, "events/cert")
	b.ReportMetric(conflicts/n, "conflicts/cert")
}

// startCountingOperator is startOperator with the operator's writes counted.
func startCountingOperator(t testing.TB, env *testenv.Env, ns string, r *controllers.ModelCertificationReconciler) *countingClient {
	t.Helper()
	writes := &countingClient{}
	startOperator(t, env, ns, r, func(c client.Client) client.Client { writes.Client = c; return writes })
	return writes
}

// countingClient counts the patches the operator makes, of objects and of their status, in all
// and per object name; a refused patch (a conflict) is not a write.
type countingClient struct {
	client.Client
	patches   atomic.Int64
	perObject sync.Map // name → *atomic.Int64
}

func (c *countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return c.count(obj, c.Client.Patch(ctx, obj, patch, opts...))
}

func (c *countingClient) Status() client.SubResourceWriter {
	return countingStatus{c.Client.Status(), c}
}

func (c *countingClient) count(obj client.Object, err error) error {
	if err == nil {
		c.patches.Add(1)
		n, _ := c.perObject.LoadOrStore(obj.GetName(), &atomic.Int64{})
		n.(*atomic.Int64).Add(1)
	}
	return err
}

// writesOf is how many patches of the named object went through.
func (c *countingClient) writesOf(name string) int64 {
	if n, ok := c.perObject.Load(name); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

type countingStatus struct {
	client.SubResourceWriter
	c *countingClient
}

func (s countingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	return s.c.count(obj, s.SubResourceWriter.Patch(ctx, obj, patch, opts...))
}
