package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
)

// runSpecHash identifies the spec fields a run depends on (the token budget among them). Fields that only schedule or
// retire runs (suspend, validFor, recertifyAfter, deletionPolicy) are left out, so editing them
// does not re-run the battery.
func runSpecHash(spec *certv1.ModelCertificationSpec) string {
	certifyScore, warnScore := spec.Policy.Thresholds()
	fields := struct {
		ModelID, Region, Provider, Endpoint, RoleARN string
		Credentials                                  *certv1.Credentials
		Checks                                       *certv1.CheckSelection
		CertifyScore, WarnScore                      int32
		CheckTimeout, RunTimeout                     string
		// Omitted when empty, so that objects from before the field keep their hash.
		RequiredChecks []certv1.CheckName `json:",omitempty"`
		MaxTokens      int64              `json:",omitempty"`
	}{
		spec.ModelID, spec.Region, spec.Provider, spec.Endpoint, spec.RoleARN,
		spec.Credentials, spec.Checks, certifyScore, warnScore,
		spec.Timeouts.CheckTimeout().String(), spec.Timeouts.RunTimeout().String(),
		spec.Policy.RequiredChecks, spec.Budget.MaxTokens(),
	}
	raw, _ := json.Marshal(fields) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}
