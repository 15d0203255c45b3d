#!/usr/bin/env bash
# The body of `make test`: checks generated files and formatting, runs every Go test against the
# real control plane and a throwaway PostgreSQL (hack/with-test-env.sh), then runs each fuzz
# target for a bounded time.
#
# Environment: MODELCERT_FUZZTIME (default 5s) bounds each fuzz target; 0 skips fuzzing.
# GO_TEST_FLAGS adds flags to `go test` (for example -run or -v).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
step() { echo "==> $* ($((SECONDS - start))s)"; }

step "checking generated files"
make -s verify-generated

step "checking gofmt and go vet"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))"
if [[ -n "$unformatted" ]]; then
  echo "gofmt: these files need formatting (run make fmt):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

step "building promtool (once) for the alert checks"
MODELCERT_PROMTOOL="$(hack/promtool.sh)"
export MODELCERT_PROMTOOL

step "running tests"
# The packages with real concurrency (the run pool and the mirror, the check runner, the shared
# AWS clients) run under the race detector; the rest run plain.
race_pkgs=(./controllers/ ./internal/certify/ ./internal/bedrock/)
mapfile -t plain_pkgs < <(go list ./... | grep -v -x -F -e "$(go list "${race_pkgs[@]}")")
# shellcheck disable=SC2086
hack/with-test-env.sh go test -count=1 ${GO_TEST_FLAGS:-} "${plain_pkgs[@]}"
# shellcheck disable=SC2086
hack/with-test-env.sh go test -race -count=1 ${GO_TEST_FLAGS:-} "${race_pkgs[@]}"

fuzztime="${MODELCERT_FUZZTIME:-5s}"
if [[ "$fuzztime" != "0" ]]; then
  step "fuzzing each target for $fuzztime"
  for pkg in $(go list ./...); do
    for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
      echo "fuzz $pkg $target"
      # Minimising each new interesting input is bounded: unbounded, it can outlast the fuzz time.
      if ! out="$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=10x "$pkg" 2>&1)"; then
        # On 2 busy cores Go's fuzzer sometimes ends with "context deadline exceeded" when its
        # time runs out while a worker is busy, though no input failed: a real failure always
        # writes its input to testdata. Only that counts.
        if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written to' <<<"$out"; then
          echo "fuzz $target: the fuzzer stopped at its deadline with no failing input; not a failure"
          continue
        fi
        echo "$out" >&2
        exit 1
      fi
    done
  done
fi
step "all tests passed"
