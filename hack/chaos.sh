#!/usr/bin/env bash
# `make chaos`: certifies 200 ModelCertifications through the real manager binary while the
# manager is SIGKILLed, PostgreSQL crashes for 20 s, the table is truncated and objects are
# edited and deleted (two rounds), then asserts the state of the world (test/chaos). Loopback
# only; bounded by a 14-minute deadline inside and a 15-minute timeout outside. Exits non-zero
# when any assertion fails.
#   hack/chaos.sh [--seed N] [--objects 200] [--rounds 2] [--keep] ...   (or CHAOS_SEED=N)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> preparing the control plane (kube-apiserver, etcd, kubectl)"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS

bin="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-chaos-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
echo "==> building manager, bedrock-sim and the chaos harness"
go build -o "$bin/manager" ./cmd/manager
go build -o "$bin/bedrock-sim" ./cmd/bedrock-sim
go build -o "$bin/chaos" ./test/chaos

echo "==> chaos"
timeout --kill-after=30s 15m "$bin/chaos" --root . --manager "$bin/manager" --simulator "$bin/bedrock-sim" "$@"
