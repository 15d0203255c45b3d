#!/usr/bin/env bash
# Builds the manager, bedrock-sim and one black-box harness of test/ (bench or chaos), prepares the
# control plane, and runs the harness on them; hack/bench.sh and hack/chaos.sh call it.
#   hack/bench-harness.sh bench|chaos [harness flags...]
# HARNESS_TIMEOUT (for example 15m) bounds the harness run, not the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
program="${1:?usage: hack/bench-harness.sh bench|chaos [flags...]}"
shift

echo "==> preparing the control plane (kube-apiserver, etcd, kubectl)"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS

bin="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-$program-bin.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
echo "==> building manager, bedrock-sim and test/$program"
# The manager is built as hack/image.sh builds the one that ships (static, trimmed), so that its
# memory is measured as users run it.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/manager" ./cmd/manager
go build -o "$bin/bedrock-sim" ./cmd/bedrock-sim
go build -o "$bin/$program" "./test/$program"

echo "==> $program on $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
run=("$bin/$program" --root . --manager "$bin/manager" --simulator "$bin/bedrock-sim" "$@")
if [[ -n "${HARNESS_TIMEOUT:-}" ]]; then
  run=(timeout --kill-after=30s "$HARNESS_TIMEOUT" "${run[@]}")
fi
"${run[@]}"
