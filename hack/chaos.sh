#!/usr/bin/env bash
# `make chaos`: certifies 200 ModelCertifications through the real manager binary while the
# manager is SIGKILLed, PostgreSQL crashes for 20 s, the table is truncated and objects are
# edited and deleted (two rounds), then asserts the state of the world (test/chaos). Loopback
# only; bounded by a 14-minute deadline inside and a 15-minute timeout outside. Exits non-zero
# when any assertion fails.
#   hack/chaos.sh [--seed N] [--objects 200] [--rounds 2] [--keep] ...   (or CHAOS_SEED=N)
set -euo pipefail
HARNESS_TIMEOUT=15m exec "$(dirname "${BASH_SOURCE[0]}")/bench-harness.sh" chaos "$@"
