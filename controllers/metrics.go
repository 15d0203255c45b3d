package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

// The operator's own metrics, served with controller-runtime's on --metrics-bind-address.
// Their labels use the vocabulary of status and the database.
var (
	runsStarted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "modelcert_runs_started_total",
		Help: "Certification runs started, lost runs restarted included.",
	})
	runsCompleted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_runs_completed_total",
		Help: "Certification runs judged, by status (CERTIFIED, QUALITY_WARNING, FAILED) and error category.",
	}, []string{"status", "error_category"})
	runDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "modelcert_run_duration_seconds",
		Help:    "How long certification runs took, from start to verdict.",
		Buckets: prometheus.ExponentialBuckets(0.5, 2, 12), // 0.5 s to about 17 minutes
	})
	runsInProgress = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "modelcert_runs_in_progress",
		Help: "Certification runs in the pool, waiting for a slot or running.",
	})
	mirrorWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_mirror_writes_total",
		Help: "Writes to the PostgreSQL mirror, by result (ok, error).",
	}, []string{"result"})
	conflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_write_conflicts_total",
		Help: "Object writes refused because the object changed meanwhile (409), retried quietly, by controller.",
	}, []string{"controller"})
	regressions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_regressions_total",
		Help: "Verdicts lower than the one before them (a certified model no longer certified, or a lower badge), by namespace, model and region.",
	}, []string{"namespace", "model_id", "region"})
	tokens           = &tokenCounter{counts: map[tokenKey]*[2]float64{}}
	finalizeReleased = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "modelcert_finalize_released_total",
		Help: "Deleted objects released after --finalize-timeout without their rows updated in the database.",
	})
)

func init() {
	metrics.Registry.MustRegister(runsStarted, runsCompleted, runDuration, runsInProgress, mirrorWrites, conflicts, regressions, tokens, finalizeReleased)
}

// countMirrorWrite counts a mirror write by its outcome.
func countMirrorWrite(err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	mirrorWrites.WithLabelValues(result).Inc()
}

// countTokens counts the tokens a judged run spent.
func countTokens(modelID, region string, usage certify.Usage) {
	tokens.add(tokenKey{modelID: modelID, region: region}, usage)
}

var tokensDesc = prometheus.NewDesc("modelcert_tokens_total",
	"Tokens spent by judged certification runs, by model, region and direction (input, output).",
	[]string{"model_id", "region", "direction"}, nil)

type tokenKey struct{ modelID, region string }

// tokenCounter is modelcert_tokens_total: two numbers per model and region, reported as
// counters at scrape. A CounterVec keeps about 650 bytes per series, 13 MB for a fleet of
// 10,000 models and regions; this keeps about 100.
type tokenCounter struct {
	mu     sync.Mutex
	counts map[tokenKey]*[2]float64 // input, output
}

func (c *tokenCounter) add(key tokenKey, usage certify.Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.counts[key]
	if n == nil {
		n = new([2]float64)
		c.counts[key] = n
	}
	n[0] += float64(usage.InputTokens)
	n[1] += float64(usage.OutputTokens)
}

// Describe sends the counter's descriptor.
func (c *tokenCounter) Describe(ch chan<- *prometheus.Desc) { ch <- tokensDesc }

// Collect reports every model and region seen, in both directions.
func (c *tokenCounter) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.CounterValue, n[0], key.modelID, key.region, "input")
		ch <- prometheus.MustNewConstMetric(tokensDesc, prometheus.CounterValue, n[1], key.modelID, key.region, "output")
	}
}
