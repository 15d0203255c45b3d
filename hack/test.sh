#!/usr/bin/env bash
# The body of `make test`: checks generated files and formatting, builds (once) the control plane,
# starts a throwaway PostgreSQL, runs every Go test against them, then runs each fuzz target for a
# bounded time. The database is stopped on every exit, failures included.
#
# Environment: MODELCERT_FUZZTIME (default 5s) bounds each fuzz target; 0 skips fuzzing.
# GO_TEST_FLAGS adds flags to `go test` (for example -run or -v).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
step() { echo "==> $* ($((SECONDS - start))s)"; }

step "checking generated files"
hack/verify-generated.sh api/v1alpha1/zz_generated.deepcopy.go config/crd/bases config/rbac/role.yaml

step "checking gofmt and go vet"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))"
if [[ -n "$unformatted" ]]; then
  echo "gofmt: these files need formatting (run make fmt):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

step "preparing the control plane (kube-apiserver, etcd, kubectl)"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS MODELCERT_KUBECTL="$KUBEBUILDER_ASSETS/kubectl"

step "starting PostgreSQL"
pgdir="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-pg.XXXXXX")"
trap 'hack/postgres.sh stop "$pgdir/pg"; rm -rf "$pgdir"' EXIT
MODELCERT_TEST_DATABASE_URL="$(hack/postgres.sh start "$pgdir/pg")"
export MODELCERT_TEST_DATABASE_URL
echo "PostgreSQL at $MODELCERT_TEST_DATABASE_URL"

step "running tests"
# shellcheck disable=SC2086
go test -count=1 ${GO_TEST_FLAGS:-} ./...

fuzztime="${MODELCERT_FUZZTIME:-5s}"
if [[ "$fuzztime" != "0" ]]; then
  step "fuzzing each target for $fuzztime"
  for pkg in $(go list ./...); do
    for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
      echo "fuzz $pkg $target"
      if ! out="$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1)"; then
        echo "$out" >&2
        exit 1
      fi
    done
  done
fi
step "all tests passed"
