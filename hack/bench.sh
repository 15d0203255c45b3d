#!/usr/bin/env bash
# `make bench` at scale: certifies N ModelCertifications through the real manager binary against
# the simulator at a fixed latency, then the same N through the engine directly at the same
# concurrency, and prints throughput, API writes and Events per certification (audit log),
# database transactions (pg_stat_database), model calls, open files, memory and restart cost
# (test/bench).
#   hack/bench.sh [--n 1000] [--concurrency 64] [--latency 50ms] [--out results.jsonl] ...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> preparing the control plane (kube-apiserver, etcd, kubectl)"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS

bin="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-bench-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
echo "==> building manager, bedrock-sim and the bench harness"
go build -o "$bin/manager" ./cmd/manager
go build -o "$bin/bedrock-sim" ./cmd/bedrock-sim
go build -o "$bin/bench" ./test/bench

echo "==> machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr)"
"$bin/bench" --root . --manager "$bin/manager" --simulator "$bin/bedrock-sim" "$@"
