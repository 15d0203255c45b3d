#!/usr/bin/env bash
# Drives bedrock-sim with the AWS SDK for JavaScript v3 (runtime over cleartext HTTP/2, control
# plane over HTTP/1.1, signatures verified). Needs node and the npm registry the first time: the
# SDK is installed under ~/.cache/modelcert-operator/js-sdk, so it is not part of `make test`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/modelcert-operator/js-sdk"
if [[ ! -d "$cache/node_modules/@aws-sdk/client-bedrock-runtime" ]]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund @aws-sdk/client-bedrock-runtime @aws-sdk/client-bedrock >/dev/null
fi
work="$(mktemp -d)"
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/bedrock-sim" ./cmd/bedrock-sim)
"$work/bedrock-sim" --access-key AKIDJS:js-secret >"$work/out" 2>"$work/log" &
sim=$!
for _ in $(seq 50); do [[ -s "$work/out" ]] && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/out")"
cp "$here/check.mjs" "$cache/check.mjs"
node "$cache/check.mjs" "$url"
grep -q 'HTTP/2.0 POST /model/amazon.nova-lite-v1%3A0/converse-stream' "$work/log"
echo "ok: the JavaScript SDK v3 talked HTTP/2 to bedrock-sim"
