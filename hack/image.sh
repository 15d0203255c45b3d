#!/usr/bin/env bash
# The body of `make image`: builds a static manager per architecture and lays them onto an empty
# base as one multi-architecture OCI image, with no Docker daemon (hack/tools/image, over
# go-containerregistry). Writes, under OUT (default bin/image):
#   oci/                   the OCI image layout (index.json → the index → one manifest per platform)
#   modelcert-operator.tar the same layout as one tarball (an "oci-archive")
#   built                  "IMG sha256:…" (the index digest), which `make deploy` pins
#
# Environment: IMG (default ghcr.io/modelcert/modelcert-operator:VERSION), VERSION (default from
# git describe), PLATFORMS (default linux/amd64,linux/arm64), PUSH=1 to push IMG to its registry
# (credentials from ~/.docker/config.json, as `crane auth login` or `docker login` write it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "image: $*" >&2; }

module="$(awk '$1 == "module" { print $2 }' go.mod)"
revision="$(git rev-parse HEAD)"
dirty=""
git diff --quiet HEAD -- 2>/dev/null || dirty="-dirty"
VERSION="${VERSION:-$(git describe --tags --match 'v*' 2>/dev/null || echo "v0.0.0-$(git rev-parse --short=12 HEAD)")$dirty}"
IMG="${IMG:-ghcr.io/modelcert/modelcert-operator:$VERSION}"
PLATFORMS="${PLATFORMS:-linux/amd64,linux/arm64}"
OUT="${OUT:-$root/bin/image}"
case "${IMG##*/}" in
  *@*|*:latest) log "IMG must name a version tag, not :latest or a digest: $IMG"; exit 2 ;;
  *:*) ;;
  *) log "IMG must name a tag (REPO:TAG): $IMG"; exit 2 ;;
esac
# The commit's time, not the clock's: the same commit gives the same image digest.
created="$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}" +%Y-%m-%dT%H:%M:%SZ)"

# The image tool lives in its own module (hack/tools), out of the operator's go.mod, and is
# built once per version of its sources into the user's cache.
cache="${MODELCERT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelcert-operator}"
key="$(cat hack/tools/go.sum hack/tools/image/main.go | sha256sum | cut -c1-12)"
tool="$cache/tools/image-$key/image"
if [[ ! -x "$tool" ]]; then
  log "building the image tool (go-containerregistry)"
  (cd hack/tools && GOWORK=off go build -trimpath -o "$tool.tmp" ./image)
  mv "$tool.tmp" "$tool"
fi

binaries=()
IFS=, read -ra platforms <<< "$PLATFORMS"
for platform in "${platforms[@]}"; do
  os="${platform%%/*}" arch="${platform#*/}"
  bin="$OUT/${os}-${arch//\//-}/manager"
  log "building $bin ($VERSION)"
  start=$SECONDS
  CGO_ENABLED=0 GOOS="$os" GOARCH="${arch%%/*}" go build -trimpath -ldflags "-s -w" -o "$bin" ./cmd/manager
  log "built $platform in $((SECONDS - start))s"
  binaries+=("$platform=$bin")
done

push=()
[[ "${PUSH:-0}" == "1" ]] && push=(-push)
digest="$("$tool" -layout "$OUT/oci" -tag "$IMG" -version "$VERSION" -revision "$revision$dirty" \
  -source "https://$module" -created "$created" "${push[@]}" "${binaries[@]}")"
tar -C "$OUT/oci" --sort=name --mtime="$created" --owner=0 --group=0 --numeric-owner -cf "$OUT/modelcert-operator.tar" .
# What `make deploy` pins: the tag this image was built as, and its index digest.
printf '%s %s\n' "$IMG" "$digest" > "$OUT/built"
log "wrote $OUT/oci and $OUT/modelcert-operator.tar"
echo "$IMG@$digest"
