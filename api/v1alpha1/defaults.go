package v1alpha1

import "time"

// The defaults the API server applies; the accessors below fall back to them so that an object
// built in Go without defaulting (a unit test, an older stored object) reads the same.
const (
	DefaultCertifyScore = 80
	DefaultWarnScore    = 60
	DefaultCheckTimeout = 60 * time.Second
	DefaultRunTimeout   = 10 * time.Minute
	DefaultValidFor     = 168 * time.Hour
)

// Thresholds returns the certify and warn scores of the policy.
func (p CertificationPolicy) Thresholds() (certifyScore, warnScore int32) {
	certifyScore, warnScore = DefaultCertifyScore, DefaultWarnScore
	if p.CertifyScore != nil {
		certifyScore = *p.CertifyScore
	}
	if p.WarnScore != nil {
		warnScore = *p.WarnScore
	}
	return certifyScore, warnScore
}

// CheckTimeout bounds one check.
func (t Timeouts) CheckTimeout() time.Duration {
	if t.PerCheck == nil {
		return DefaultCheckTimeout
	}
	return t.PerCheck.Duration
}

// RunTimeout bounds the whole run.
func (t Timeouts) RunTimeout() time.Duration {
	if t.PerRun == nil {
		return DefaultRunTimeout
	}
	return t.PerRun.Duration
}

// Validity is how long a verdict stays valid after its run completes.
func (s *ModelCertificationSpec) Validity() time.Duration {
	if s.ValidFor == nil {
		return DefaultValidFor
	}
	return s.ValidFor.Duration
}

// RecertifyInterval is how long after a completed run the next one starts. The default leaves
// the next run twice its bound before the verdict expires: once to wait for a slot in the run
// pool, once to run, so that a run that finishes within timeouts.perRun renews the verdict in
// time. The CRD refuses a validFor that leaves no time at all; an object that escaped it still
// re-certifies, at once.
func (s *ModelCertificationSpec) RecertifyInterval() time.Duration {
	if s.RecertifyAfter == nil {
		return max(s.Validity()-2*s.Timeouts.RunTimeout(), 0)
	}
	return s.RecertifyAfter.Duration
}

// DefaultDiscoveryInterval is how often a set lists the catalogs when its spec does not say.
const DefaultDiscoveryInterval = 24 * time.Hour

// Interval is how often the set lists each region's catalog again.
func (s *ModelCertificationSetSpec) Interval() time.Duration {
	if s.DiscoveryInterval == nil {
		return DefaultDiscoveryInterval
	}
	return s.DiscoveryInterval.Duration
}
