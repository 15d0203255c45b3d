#!/usr/bin/env bash
# `make bench` at scale: certifies N ModelCertifications through the real manager binary against
# the simulator at a fixed latency, then the same N through the engine directly at the same
# concurrency, and prints throughput, API writes and Events per certification (audit log),
# database transactions (pg_stat_database), model calls, open files, memory and restart cost
# (test/bench).
#   hack/bench.sh [--n 1000] [--concurrency 64] [--latency 50ms] [--out results.jsonl] ...
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/bench-harness.sh" bench "$@"
