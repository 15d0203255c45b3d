#!/usr/bin/env bash
# The body of `make undeploy`: removes the operator without leaving anything Terminating.
# Sets go first, then certifications, while the operator still runs to apply their
# deletionPolicy and release their finalizers; then the operator, its RBAC and the CRDs
# (config/default, or DEPLOY_BASE); then it waits for the CRDs to be gone.
#
# Environment: DEPLOY_BASE (default config/default), KUBECTL (default kubectl), UNDEPLOY_TIMEOUT
# in seconds (default 360: longer than the manager's --finalize-timeout, after which a
# certification is released even when its database is unreachable).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
KUBECTL="${KUBECTL:-kubectl}"
DEPLOY_BASE="${DEPLOY_BASE:-config/default}"
deadline=$((SECONDS + ${UNDEPLOY_TIMEOUT:-360}))
crd="modelcertifications.certification.modelcert.io"
setcrd="modelcertificationsets.certification.modelcert.io"

# wait_gone WHAT KUBECTL-GET-ARGS…: polls until the get lists nothing, or fails at the deadline.
wait_gone() {
  local what="$1"
  shift
  while [[ -n "$("$KUBECTL" get "$@" -o name 2>/dev/null)" ]]; do
    if ((SECONDS >= deadline)); then
      echo "undeploy: $what still there after ${UNDEPLOY_TIMEOUT:-360}s" >&2
      "$KUBECTL" get "$@" >&2 || true
      return 1
    fi
    sleep 1
  done
}

if "$KUBECTL" get crd "$setcrd" >/dev/null 2>&1; then
  # First, so that no set makes its certifications again while they are deleted.
  echo "undeploy: deleting every ModelCertificationSet" >&2
  "$KUBECTL" delete "$setcrd" --all --all-namespaces --wait=false
  wait_gone "sets" "$setcrd" --all-namespaces
fi
if "$KUBECTL" get crd "$crd" >/dev/null 2>&1; then
  echo "undeploy: deleting every ModelCertification; the operator releases each one" >&2
  "$KUBECTL" delete "$crd" --all --all-namespaces --wait=false
  wait_gone "certifications held by their finalizer (is the operator running?)" "$crd" --all-namespaces
fi
echo "undeploy: deleting $DEPLOY_BASE" >&2
# The namespace finishes on its own; the CRD is waited for.
"$KUBECTL" delete -k "$DEPLOY_BASE" --ignore-not-found --wait=false
wait_gone "the CRDs" crd "$crd" "$setcrd"
echo "undeploy: done" >&2
