#!/usr/bin/env bash
# The body of `make deploy`: applies config/default (or DEPLOY_BASE) with the manager image set
# to IMG, pinned to the digest `make image` built for that tag when there is one.
#
# Environment: IMG (default: the image `make image` built last), DEPLOY_BASE (default
# config/default; config/namespaced for the per-namespace variant), KUBECTL (default kubectl),
# DEPLOY_OVERLAY (where the overlay is written, default bin/deploy).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
KUBECTL="${KUBECTL:-kubectl}"
DEPLOY_BASE="${DEPLOY_BASE:-config/default}"
built="bin/image/built"

digest=""
if [[ -f "$built" ]]; then
  read -r built_img built_digest < "$built"
  IMG="${IMG:-$built_img}"
  [[ "$IMG" == "$built_img" ]] && digest="$built_digest"
fi
if [[ -z "${IMG:-}" ]]; then
  echo "deploy: set IMG=REPO:TAG (or run make image first)" >&2
  exit 2
fi
case "${IMG##*/}" in
  *@*) digest="${IMG#*@}" IMG="${IMG%@*}" ;;
esac
case "${IMG##*/}" in
  *:latest) echo "deploy: IMG must name a version tag, not :latest: $IMG" >&2; exit 2 ;;
  *:*) ;;
  *) echo "deploy: IMG must name a tag (REPO:TAG): $IMG" >&2; exit 2 ;;
esac

# A throwaway overlay (DEPLOY_OVERLAY, default bin/deploy) sets the image, so the checked-in
# kustomizations stay untouched.
overlay="${DEPLOY_OVERLAY:-bin/deploy}"
mkdir -p "$overlay"
{
  echo "resources:"
  echo "- $(realpath --relative-to="$overlay" "$root/$DEPLOY_BASE")"
  echo "images:"
  echo "- name: ghcr.io/modelcert/modelcert-operator"
  echo "  newName: ${IMG%:*}"
  echo "  newTag: ${IMG##*:}"
  [[ -n "$digest" ]] && echo "  digest: $digest"
} > "$overlay/kustomization.yaml"
echo "deploy: $DEPLOY_BASE with ${IMG}${digest:+@$digest}" >&2
"$KUBECTL" apply -k "$overlay"
