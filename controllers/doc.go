// Package controllers reconciles ModelCertification objects into runs, verdicts and their mirror.
package controllers
