package controllers

import (
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
	tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "modelcert_tokens_total",
		Help: "Tokens spent by judged certification runs, by model, region and direction (input, output).",
	}, []string{"model_id", "region", "direction"})
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
	tokens.WithLabelValues(modelID, region, "input").Add(float64(usage.InputTokens))
	tokens.WithLabelValues(modelID, region, "output").Add(float64(usage.OutputTokens))
}
