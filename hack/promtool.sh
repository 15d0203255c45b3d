#!/usr/bin/env bash
# Builds (once) Prometheus' promtool from the Go module proxy, at the version hack/tools/go.mod
# requires, into the user's cache, and prints its path. A warm cache does nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(awk '$1 == "github.com/prometheus/prometheus" { print $2 }' "$root/hack/tools/go.mod")"
[[ -n "$version" ]] || { echo "promtool: github.com/prometheus/prometheus is not in hack/tools/go.mod" >&2; exit 1; }
cache="${MODELCERT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/modelcert-operator}"
bin="$cache/tools/promtool-$version/promtool"
if [[ ! -x "$bin" ]]; then
  echo "promtool: building promtool $version (cold: several minutes on 2 cores)" >&2
  start=$SECONDS
  mkdir -p "$(dirname "$bin")"
  (cd "$root/hack/tools" && GOWORK=off go build -trimpath -ldflags "-s -w" -o "$bin.tmp" github.com/prometheus/prometheus/cmd/promtool)
  mv "$bin.tmp" "$bin"
  echo "promtool: built in $((SECONDS - start))s" >&2
fi
echo "$bin"
