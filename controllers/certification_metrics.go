package controllers

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// certificationListTimeout bounds the read of the cache at a scrape; the cache answers at once
// once synced.
const certificationListTimeout = 10 * time.Second

// The series CertificationCollector reports.
var (
	certificationsDesc = prometheus.NewDesc("modelcert_certifications",
		"ModelCertifications by namespace, phase and badge (the last verdict's badge, kept while a re-certification runs).",
		[]string{"namespace", "phase", "badge"}, nil)
	validUntilDesc = prometheus.NewDesc("modelcert_certification_valid_until_timestamp_seconds",
		"When a certification's last verdict expires (status.validUntil), in seconds since the epoch.",
		[]string{"namespace", "name", "model_id", "region"}, nil)
	nextRunDesc = prometheus.NewDesc("modelcert_certification_next_run_timestamp_seconds",
		"When a certification's next run is due (status.nextRunAt; absent while suspended or running), in seconds since the epoch.",
		[]string{"namespace", "name"}, nil)
	runDeadlineDesc = prometheus.NewDesc("modelcert_certification_run_deadline_timestamp_seconds",
		"When a certification's run in progress should have ended: status.startedAt plus spec.timeouts.perRun, in seconds since the epoch.",
		[]string{"namespace", "name"}, nil)
)

// CertificationCollector reports the state of every ModelCertification at scrape time, read
// from the manager's cache, as kube-state-metrics does: a deleted object's series go with it,
// and nothing is kept between scrapes. Only the leader reports, so that two replicas do not
// double every series.
type CertificationCollector struct {
	reader  client.Reader
	elected <-chan struct{}
	// AfterCollect, when set, is called after each report: at 10,000 objects a scrape leaves
	// megabytes of garbage, which the reconciler's ReleaseWhenQuiet returns to the system.
	AfterCollect func()
}

// NewCertificationCollector reports the certifications reader lists (the manager's cache) once
// elected is closed (the manager's Elected).
func NewCertificationCollector(reader client.Reader, elected <-chan struct{}) *CertificationCollector {
	return &CertificationCollector{reader: reader, elected: elected}
}

// Describe sends the descriptors of every series the collector reports.
func (c *CertificationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- certificationsDesc
	ch <- validUntilDesc
	ch <- nextRunDesc
	ch <- runDeadlineDesc
}

// Collect lists the certifications and reports them.
func (c *CertificationCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.elected:
	default:
		return
	}
	if c.AfterCollect != nil {
		defer c.AfterCollect()
	}
	ctx, cancel := context.WithTimeout(context.Background(), certificationListTimeout)
	defer cancel()
	var list certv1.ModelCertificationList
	// The cache's objects as they are: at 10,000 objects a copy per scrape is a lot of garbage.
	// They are only read here.
	if err := c.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		// A failed series would fail the whole scrape; the operator's other metrics still count.
		ctrl.Log.WithName("metrics").Error(err, "Unable to list certifications for their metrics")
		return
	}
	type group struct{ namespace, phase, badge string }
	counts := map[group]int{}
	for i := range list.Items {
		obj := &list.Items[i]
		s := &obj.Status
		phase := s.Phase
		if phase == "" {
			phase = certv1.PhasePending
		}
		counts[group{obj.Namespace, string(phase), s.Badge}]++
		if s.ValidUntil != nil {
			ch <- prometheus.MustNewConstMetric(validUntilDesc, prometheus.GaugeValue, unixSeconds(s.ValidUntil.Time),
				obj.Namespace, obj.Name, obj.Spec.ModelID, obj.Spec.Region)
		}
		if s.NextRunAt != nil {
			ch <- prometheus.MustNewConstMetric(nextRunDesc, prometheus.GaugeValue, unixSeconds(s.NextRunAt.Time), obj.Namespace, obj.Name)
		}
		if s.Phase == certv1.PhaseProcessing && s.StartedAt != nil {
			deadline := s.StartedAt.Add(obj.Spec.Timeouts.RunTimeout())
			ch <- prometheus.MustNewConstMetric(runDeadlineDesc, prometheus.GaugeValue, unixSeconds(deadline), obj.Namespace, obj.Name)
		}
	}
	for g, n := range counts {
		ch <- prometheus.MustNewConstMetric(certificationsDesc, prometheus.GaugeValue, float64(n), g.namespace, g.phase, g.badge)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
