#!/usr/bin/env bash
# make demo: the operator's main job end to end on this machine, with no cloud and no cluster.
# It starts a real kube-apiserver and etcd, a throwaway PostgreSQL and the Bedrock simulator,
# runs the manager binary against them, applies ModelCertifications and a ModelCertificationSet
# with kubectl, waits for the verdicts, and shows them as kubectl and PostgreSQL consumers see
# them. Everything it started is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
work="$(mktemp -d "${TMPDIR:-/tmp}/modelcert-demo.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  hack/postgres.sh stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

say "Building the manager, the simulator and the control plane"
KUBEBUILDER_ASSETS="$(hack/control-plane.sh)"
export KUBEBUILDER_ASSETS
kubectl="$KUBEBUILDER_ASSETS/kubectl"
go build -o "$work/bin/" ./cmd/manager ./cmd/bedrock-sim ./hack/demo/controlplane

say "Starting kube-apiserver and etcd"
"$work/bin/controlplane" --kubeconfig "$work/kubeconfig" 2>"$work/controlplane.log" &
pids+=($!)
for _ in $(seq 300); do
  [[ -f "$work/kubeconfig" ]] && break
  kill -0 "${pids[-1]}" 2>/dev/null || break
  sleep 0.2
done
[[ -f "$work/kubeconfig" ]] || { cat "$work/controlplane.log" >&2; exit 1; }
export KUBECONFIG="$work/kubeconfig"
"$kubectl" version | sed 's/^/  /'

say "Starting PostgreSQL"
dsn="$(hack/postgres.sh start "$work/pg")"
echo "  $dsn"

say "Starting the Bedrock simulator"
"$work/bin/bedrock-sim" --listen 127.0.0.1:0 >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening on ' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
endpoint="$(sed -n 's/^listening on //p' "$work/sim.out")"
echo "  $endpoint"

say "Starting the operator (bin/manager), mirroring to PostgreSQL"
# The simulator accepts any keys; the operator's default AWS credential chain reads these.
# The tenancy policy allows only AWS's Bedrock endpoints over https unless told otherwise:
# the flags list the simulator's plain-http address.
AWS_ACCESS_KEY_ID=AKIDDEMO AWS_SECRET_ACCESS_KEY=demo AWS_EC2_METADATA_DISABLED=true \
  "$work/bin/manager" --kubeconfig "$KUBECONFIG" --database-url "$dsn" \
  --allowed-endpoints '127.0.0.1:*' --allow-http-endpoints \
  --metrics-bind-address 0 --health-probe-bind-address 0 >"$work/manager.log" 2>&1 &
pids+=($!)

say "Applying ModelCertifications with kubectl"
"$kubectl" create namespace models >/dev/null
manifests="$work/certifications.yaml"
for pair in nova-lite:amazon.nova-lite-v1:0 nova-micro:amazon.nova-micro-v1:0 \
  titan-express:amazon.titan-text-express-v1 claude-haiku:anthropic.claude-3-haiku-20240307-v1:0 \
  throttled:sim.throttled-v1 ignores-system:sim.ignores-system-prompt-v1 \
  access-denied:sim.access-denied-v1 wrong-region:sim.wrong-region-v1; do
  cat >>"$manifests" <<YAML
apiVersion: certification.modelcert.io/v1alpha1
kind: ModelCertification
metadata:
  name: ${pair%%:*}
spec:
  modelId: ${pair#*:}
  region: us-east-1
  endpoint: $endpoint
---
YAML
done
sed -n '1,9p' "$manifests" | sed 's/^/  /'
"$kubectl" apply -n models -f "$manifests"

say "Waiting for every run to complete (kubectl wait --for=jsonpath={.status.completedAt})"
for name in $("$kubectl" get mcert -n models -o name); do
  "$kubectl" wait -n models "$name" --for=jsonpath='{.status.completedAt}' --timeout=120s >/dev/null
done

say "kubectl get modelcertifications -o wide"
"$kubectl" get mcert -n models -o wide

say "kubectl get mcert access-denied -o jsonpath='{.status}'"
"$kubectl" get mcert -n models access-denied -o jsonpath='{.status}' | python3 -m json.tool 2>/dev/null \
  || "$kubectl" get mcert -n models access-denied -o yaml

if command -v psql >/dev/null; then
  say "PostgreSQL: model_certifications"
  psql "$dsn" -c "SELECT model_id, status, score, rating, badge, error_category, attempt FROM model_certifications ORDER BY model_id"
  say "PostgreSQL: the consumer views"
  psql "$dsn" -c "SELECT 'certified_models' AS view, count(*) FROM certified_models UNION ALL
    SELECT 'quality_warning_models', count(*) FROM quality_warning_models UNION ALL
    SELECT 'failed_models', count(*) FROM failed_models UNION ALL
    SELECT 'unavailable_models', count(*) FROM unavailable_models"
fi

say "manager db check: every status against its row"
"$work/bin/manager" db check --kubeconfig "$KUBECONFIG" --database-url "$dsn"

say "A ModelCertificationSet: every active text model of Amazon and Anthropic in two regions"
# The sample, pointed at this simulator; in a namespace of its own, after db check, because its
# us-east-1 certifications share database rows with the ones above.
"$kubectl" create namespace fleet >/dev/null
sed "s|endpoint: http://127.0.0.1:8085|endpoint: $endpoint|" config/samples/certification_v1alpha1_set_text_fleet.yaml \
  | "$kubectl" apply -n fleet -f -
"$kubectl" wait -n fleet mcertset/text-fleet --for=condition=Discovered --timeout=60s >/dev/null
"$kubectl" wait -n fleet mcert -l modelcert.io/set=text-fleet --for=jsonpath='{.status.completedAt}' --timeout=180s >/dev/null
# The set has settled once it has counted its certifications' verdicts: Reconciling is present
# only while True (kstatus), so there is no Reconciling=False to wait for.
for _ in $(seq 60); do
  reconciling="$("$kubectl" get mcertset -n fleet text-fleet -o jsonpath='{.status.conditions[?(@.type=="Reconciling")].status}')"
  [[ -z "$reconciling" ]] && break
  sleep 1
done

say "kubectl get modelcertificationsets; kubectl get mcert -l modelcert.io/set=text-fleet"
"$kubectl" get mcertset -n fleet -o wide
"$kubectl" get mcert -n fleet -l modelcert.io/set=text-fleet -L modelcert.io/provider

say "Done; the operator's log was $(wc -l <"$work/manager.log") lines. Stopping everything."
