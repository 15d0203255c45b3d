#!/usr/bin/env bash
# Runs a command with the real test environment: builds (once) the control plane and exports
# KUBEBUILDER_ASSETS and MODELCERT_KUBECTL, starts a throwaway PostgreSQL and exports
# MODELCERT_TEST_DATABASE_URL, and stops the database when the command ends, failures included.
#   hack/with-test-env.sh go test ./controllers/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> preparing the control plane (kube-apiserver, etcd, kubectl)"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS MODELCERT_KUBECTL="$KUBEBUILDER_ASSETS/kubectl"

echo "==> starting PostgreSQL"
pgdir="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-pg.XXXXXX")"
trap 'hack/postgres.sh stop "$pgdir/pg"; rm -rf "$pgdir"' EXIT
MODELCERT_TEST_DATABASE_URL="$(hack/postgres.sh start "$pgdir/pg")"
export MODELCERT_TEST_DATABASE_URL
echo "PostgreSQL at $MODELCERT_TEST_DATABASE_URL"

"$@"
