package certify

import (
	"context"
	"time"
)

// CheckAvailability is the pre-flight check: it describes the model through the control plane
// and gates every other check.
const CheckAvailability = "availability"

// DefaultCheckTimeout bounds one model call of a check unless the check or Options say otherwise.
const DefaultCheckTimeout = 30 * time.Second

// checkEnv is what a check may need from the run besides the model.
type checkEnv struct {
	// Interval is the pause between the calls of a check that calls the model more than once.
	Interval time.Duration
}

// checkFunc runs one check against a model. The runner fills in the result's name.
type checkFunc func(ctx context.Context, m Model, env checkEnv) Result

// Check is one inference check of the battery.
type Check struct {
	Name string
	// Needs is the capability the check requires; without it the check is skipped.
	Needs Capability
	// Timeout bounds one model call; Options.CheckTimeout overrides it.
	Timeout time.Duration
	// Calls is how many model calls the check makes one after another, Options.ConsistencyInterval apart.
	Calls int
	run   checkFunc
}

// deadline is the time the check gets as a whole: each call its own timeout, plus the pauses.
func (c Check) deadline(perCall time.Duration, env checkEnv) time.Duration {
	return time.Duration(c.Calls)*perCall + time.Duration(c.Calls-1)*env.Interval
}

// battery lists the inference checks in report order; availability runs before them. What a
// passing answer must show is said by each check's inspector (inspect.go, json_output.go,
// tool_use.go), by checkStreaming and by checkConsistency.
var battery = []Check{
	{Name: "basic-prompt", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(basicPromptRequest, inspectBasicPrompt)},
	{Name: "streaming", Needs: CapabilityStreaming, Timeout: 60 * time.Second, Calls: 1, run: checkStreaming},
	{Name: "parameters", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(parametersRequest, inspectParameters)},
	{Name: "error-handling", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(errorHandlingRequest, inspectErrorHandling)},
	{Name: "consistency", Timeout: DefaultCheckTimeout, Calls: 2, run: checkConsistency},
	{Name: "system-prompt", Needs: CapabilitySystemPrompt, Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(systemPromptRequest, inspectSystemPrompt)},
	{Name: "multi-turn", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(multiTurnRequest, inspectMultiTurn)},
	{Name: "max-tokens", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(maxTokensRequest, inspectMaxTokens)},
	{Name: "stop-sequence", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(stopSequenceRequest, inspectStopSequence)},
	{Name: "json-output", Timeout: DefaultCheckTimeout, Calls: 1, run: converseCheck(jsonOutputRequest, inspectJSONOutput)},
	{Name: "tool-use", Needs: CapabilityToolUse, Timeout: 60 * time.Second, Calls: 1, run: converseCheck(toolUseRequest, inspectToolUse)},
	{Name: "text-generation", Timeout: 60 * time.Second, Calls: 1, run: converseCheck(textGenerationRequest, inspectTextGeneration)},
	{Name: "vision", Needs: CapabilityVision, Timeout: 60 * time.Second, Calls: 1, run: converseCheck(visionRequest, inspectVision)},
}

// Battery returns the inference checks in report order (availability, which runs first, is not
// among them).
func Battery() []Check {
	return append([]Check(nil), battery...)
}

// CheckNames returns every check name in report order, availability first.
func CheckNames() []string {
	names := []string{CheckAvailability}
	for _, c := range battery {
		names = append(names, c.Name)
	}
	return names
}
