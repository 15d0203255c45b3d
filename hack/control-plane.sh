#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the Go module proxy into a cache
# outside the checkout, keyed by version, and prints the directory that holds
# them (the value for KUBEBUILDER_ASSETS). A warm cache does nothing.
#
# The Kubernetes version follows the k8s.io/api minor in go.mod (k8s.io/api
# v0.Y.Z is Kubernetes v1.Y.Z); KUBE_VERSION overrides it. etcd follows the
# version that Kubernetes' own go.mod requires; ETCD_VERSION overrides it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "control-plane: $*" >&2; }

if [[ -z "${KUBE_VERSION:-}" ]]; then
  api="$(awk '$1 == "k8s.io/api" { print $2 }' "$root/go.mod")"
  [[ -n "$api" ]] || { log "cannot find k8s.io/api in go.mod"; exit 1; }
  KUBE_VERSION="v1.${api#v0.}"
fi
cache="${MODELCERT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelcert-operator}"
bin="$cache/control-plane/$KUBE_VERSION"

if [[ -x "$bin/kube-apiserver" && -x "$bin/etcd" && -x "$bin/kubectl" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
work="$cache/control-plane/src-$KUBE_VERSION"
mkdir -p "$work"
export GOFLAGS=-mod=mod GOWORK=off

# The tool module: k8s.io/kubernetes with each staging module replaced by its
# published v0.Y.Z, as Kubernetes' own go.mod lists them.
if [[ ! -f "$work/kube/go.mod" ]]; then
  log "resolving k8s.io/kubernetes $KUBE_VERSION"
  mkdir -p "$work/kube"
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | awk -F'"' '/"GoMod"/ { print $4 }')"
  staging_version="v0.${KUBE_VERSION#v1.}"
  {
    echo "module modelcert.local/control-plane"
    echo
    echo "go $(awk '$1 == "go" { print $2; exit }' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { print "replace " $1 " => " $1 " " v }' "$gomod"
  } > "$work/kube/go.mod.tmp"
  mv "$work/kube/go.mod.tmp" "$work/kube/go.mod"
  printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' > "$work/kube/tools.go"
fi

if [[ -z "${ETCD_VERSION:-}" ]]; then
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | awk -F'"' '/"GoMod"/ { print $4 }')"
  ETCD_VERSION="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$gomod")"
fi

stamp="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"

build_kube() {
  local cmd="$1"
  [[ -x "$bin/$cmd" ]] && return
  log "building $cmd $KUBE_VERSION (cold: several minutes on 2 cores)"
  local start=$SECONDS
  (cd "$work/kube" && go build -trimpath -ldflags "-s -w $stamp" -o "$bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$bin/$cmd.tmp" "$bin/$cmd"
  log "built $cmd in $((SECONDS - start))s"
}

build_etcd() {
  [[ -x "$bin/etcd" ]] && return
  log "building etcd $ETCD_VERSION"
  local start=$SECONDS
  mkdir -p "$work/etcd"
  if [[ ! -f "$work/etcd/go.mod" ]]; then
    (cd "$work/etcd" && printf 'module modelcert.local/etcd\n\ngo 1.24\n' > go.mod && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null)
  fi
  (cd "$work/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.tmp" "$bin/etcd"
  log "built etcd in $((SECONDS - start))s"
}

build_etcd
build_kube kube-apiserver
build_kube kubectl
echo "$bin"
