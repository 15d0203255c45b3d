#!/usr/bin/env bash
# Regenerates the CRD, RBAC and deepcopy code and fails when that changed any of the given
# paths: generated files must be committed as `make manifests generate` writes them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

snapshot() { find "$@" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null || true; }
before="$(snapshot "$@")"
make -s generate manifests >/dev/null
after="$(snapshot "$@")"
if [[ "$before" != "$after" ]]; then
  echo "verify-generated: generated files were stale and have been rewritten; commit them:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "verify-generated: generated files are up to date"
