# modelcert-operator. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)

# `make bench`: how many certifications the scale run (hack/bench.sh) certifies, how many at once,
# and the simulator's fixed latency per model call; BENCH_OBJECTS is the in-process benchmark's N.
BENCH_N ?= 1000
BENCH_CONCURRENCY ?= 64
BENCH_LATENCY ?= 50ms
BENCH_OBJECTS ?= 200

# Files controller-gen writes; `verify-generated` fails when they are stale.
GENERATED := api/v1alpha1/zz_generated.deepcopy.go config/crd/bases config/rbac/role.yaml

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

.PHONY: demo
demo: ## Run the operator's main job end to end on local defaults.
	@hack/demo.sh

.PHONY: test
test: ## Verify generated files, then run every test against a real API server, PostgreSQL and kubectl.
	@hack/test.sh

.PHONY: bench
bench: ## Measure at scale (BENCH_N=1000): certifications/s vs the engine alone, writes, Events, DB work, memory, files, restart cost; then the in-process benchmarks.
	hack/bench.sh --n $(BENCH_N) --concurrency $(BENCH_CONCURRENCY) --latency $(BENCH_LATENCY)
	hack/with-test-env.sh go test -run '^$$' -bench Certifications -benchtime $(BENCH_OBJECTS)x ./controllers/
	hack/with-test-env.sh go test -run '^$$' -bench GuardedUpsert ./internal/store/

.PHONY: chaos
chaos: ## Certify 200 objects under manager kills, a PostgreSQL outage, truncation, edits and deletions; assert the world is consistent (CHAOS_SEED=N repeats a schedule).
	hack/chaos.sh

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Write the CRD and RBAC from the kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:allowDangerousTypes=true paths="./api/...;./controllers/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Write the deepcopy functions.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-generated
verify-generated: ## Fail when generated files differ from what `make manifests generate` writes.
	@hack/verify-generated.sh $(GENERATED)

.PHONY: fmt
fmt: ## Run gofmt.
	gofmt -l -w .

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: build
build: ## Build the manager, bedrock-sim and kubectl-modelcert (the kubectl plugin) binaries into bin/.
	go build -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/bedrock-sim ./cmd/bedrock-sim
	go build -o $(LOCALBIN)/kubectl-modelcert ./cmd/kubectl-modelcert

.PHONY: image
image: ## Build the amd64+arm64 manager image with no Docker daemon into bin/image (IMG=REPO:TAG; PUSH=1 pushes it).
	@IMG="$(IMG)" PUSH="$(PUSH)" hack/image.sh

.PHONY: deploy
deploy: ## Install the operator (config/default) with IMG, pinned to the digest `make image` built.
	@IMG="$(IMG)" hack/deploy.sh

.PHONY: undeploy
undeploy: ## Uninstall: delete certifications, wait for their finalizers, then remove the operator and CRD.
	@hack/undeploy.sh

.PHONY: promtool
promtool: ## Build (once) Prometheus' promtool for the alert checks; prints its path.
	@hack/promtool.sh

.PHONY: control-plane
control-plane: ## Build (once) kube-apiserver, etcd and kubectl for tests; prints their directory.
	@hack/control-plane.sh

$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)
