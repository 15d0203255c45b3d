// Package harness starts the operator's real parts as separate processes (kube-apiserver and etcd
// with an audit log, a throwaway PostgreSQL, the Bedrock simulator, the manager binary) and
// measures them from the outside, for `make chaos` and `make bench`.
package harness
