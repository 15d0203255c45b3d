package controllers_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	certv1 "github.com/modelcert/modelcert-operator/api/v1alpha1"
	"github.com/modelcert/modelcert-operator/controllers"
	"github.com/modelcert/modelcert-operator/internal/testenv"
)

// A team caps what a certification may spend at 50 tokens, less than the battery needs. The run
// stops calling the model once it has spent them: the checks it did not reach are Skipped with
// a reason naming the budget, status.usage shows what was spent against the budget and names
// them, and modelcert_tokens_total counts what was spent. One check at a time, checks start in
// battery order, so where the run stops is known: the simulator counts a token per word;
// basic-prompt, streaming and parameters spend less than 50 tokens, and error-handling's call
// brings the run to 60.
func TestTokenBudgetStopsTheRun(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	sim, endpoint := startSimulator(t)
	startOperator(t, env, ns, &controllers.ModelCertificationReconciler{Options: controllers.Options{ChecksInFlight: 1}})
	const model, budget = "amazon.nova-lite-v1:0", 50
	input := map[string]string{"model_id": model, "region": "us-east-1", "direction": "input"}
	output := map[string]string{"model_id": model, "region": "us-east-1", "direction": "output"}
	inputBefore, outputBefore := metricValue(t, "modelcert_tokens_total", input), metricValue(t, "modelcert_tokens_total", output)

	apply(t, env, ns, manifest("nova", model, endpoint, fmt.Sprintf("  budget:\n    maxTokensPerRun: %d\n", budget)))
	waitFor(t, env, ns, "nova", "condition=Certified")

	s := get(t, env, ns, "nova").Status
	calls := sim.Calls(model)
	skipped := []string{"consistency", "system-prompt", "multi-turn", "max-tokens",
		"stop-sequence", "json-output", "tool-use", "text-generation", "vision"}
	if got := calls.Converse + calls.ConverseStream; got != 4 {
		t.Errorf("%d model calls (%+v), want 4: basic-prompt, streaming, parameters, error-handling", got, calls)
	}
	if s.Usage == nil {
		t.Fatal("status.usage is empty")
	}
	if diff := cmp.Diff(skipped, s.Usage.BudgetSkippedChecks); diff != "" {
		t.Errorf("status.usage.budgetSkippedChecks (-want +got):\n%s", diff)
	}
	if spent := s.Usage.InputTokens + s.Usage.OutputTokens; s.Usage.MaxTokens != budget || spent != 60 {
		t.Errorf("status.usage %+v: want 60 tokens spent against a budget of %d", s.Usage, budget)
	}
	if diff := cmp.Diff(&certv1.CheckCounts{Total: 14, Passed: 5, Skipped: 9}, s.Checks); diff != "" {
		t.Errorf("check counts (-want +got):\n%s", diff)
	}
	if got := metricValue(t, "modelcert_tokens_total", input) - inputBefore; got != float64(s.Usage.InputTokens) {
		t.Errorf("modelcert_tokens_total{direction=input} grew by %v, want %d", got, s.Usage.InputTokens)
	}
	if got := metricValue(t, "modelcert_tokens_total", output) - outputBefore; got != float64(s.Usage.OutputTokens) {
		t.Errorf("modelcert_tokens_total{direction=output} grew by %v, want %d", got, s.Usage.OutputTokens)
	}
}
