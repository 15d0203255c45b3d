package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// fakeAWSEnv gives the SDK's default chain static test keys and keeps it off the network and
// away from the developer's own AWS files.
func fakeAWSEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
}

// certifyResult is the JSON output read back, with the exit code.
type certifyResult struct {
	code int
	out  certifyOutput
}

func runCertifyJSON(t *testing.T, args ...string) certifyResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runCertify(context.Background(), append(args, "--output", "json"), &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Fatalf("stderr: %s", stderr.String())
	}
	var out certifyOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	return certifyResult{code, out}
}

// inferenceChecks are the battery's checks, all of which are skipped when availability fails.
func inferenceChecks() []string { return certify.CheckNames()[1:] }

// scoreOf is the judgement's score: passed over run checks, in percent, to one decimal.
func scoreOf(passed, ran int) float64 { return math.Round(float64(passed)*1000/float64(ran)) / 10 }

func TestCertifyPersonas(t *testing.T) {
	fakeAWSEnv(t)
	sim := bedrocksim.New(nil, bedrocksim.WithHoldLimit(5*time.Second))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	all := len(certify.CheckNames()) // availability and the 13 inference checks
	tests := []struct {
		model        string
		args         []string
		wantStatus   certify.VerdictStatus
		wantCategory certify.ErrorCategory
		wantScore    float64
		wantSkipped  []string
		wantFailed   []string
		wantTemp     bool
	}{
		{model: "amazon.nova-lite-v1:0", wantStatus: certify.VerdictCertified, wantScore: 100},
		{model: "anthropic.claude-3-haiku-20240307-v1:0", wantStatus: certify.VerdictCertified, wantScore: 100},
		{model: "amazon.nova-micro-v1:0", wantStatus: certify.VerdictCertified, wantScore: 100,
			wantSkipped: []string{"vision"}},
		{model: "amazon.titan-text-express-v1", wantStatus: certify.VerdictCertified, wantScore: 100,
			wantSkipped: []string{"system-prompt", "tool-use", "vision"}},
		{model: "sim.throttled-v1", wantStatus: certify.VerdictCertified, wantScore: 100},
		{model: "sim.access-denied-v1", wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryPermission,
			wantSkipped: inferenceChecks(), wantFailed: []string{"availability"}},
		{model: "sim.no-model-access-v1", wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryProvisioningRequired,
			wantSkipped: inferenceChecks(), wantFailed: []string{"availability"}},
		{model: "sim.wrong-region-v1", wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryUnavailable,
			wantSkipped: inferenceChecks(), wantFailed: []string{"availability"}},
		{model: "sim.inference-profile-v1", wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryConfiguration,
			wantSkipped: inferenceChecks(), wantFailed: []string{"availability"}},
		// Every inference call times out; only availability, a control-plane call, passes. A
		// timeout is temporary: no judgement of quality.
		{model: "sim.never-answers-v1", args: []string{"--check-timeout", "300ms"},
			wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryTimeout,
			wantScore: scoreOf(1, all), wantFailed: inferenceChecks(), wantTemp: true},
		// Only availability and streaming pass: an empty answer still streams one (empty) delta.
		{model: "sim.empty-answers-v1", wantStatus: certify.VerdictFailed, wantCategory: certify.CategoryQuality,
			// Only availability passes: empty text fails every inference check, streaming included.
			wantScore: scoreOf(1, all), wantFailed: inferenceChecks()},
		// One failed check of 14 scores 92.9, above the certify score of 80.
		{model: "sim.ignores-system-prompt-v1", wantStatus: certify.VerdictCertified, wantCategory: certify.CategoryQuality,
			wantScore: scoreOf(all-1, all), wantFailed: []string{"system-prompt"}},
		{model: "sim.ignores-max-tokens-v1", wantStatus: certify.VerdictCertified, wantCategory: certify.CategoryQuality,
			wantScore: scoreOf(all-1, all), wantFailed: []string{"max-tokens"}},
		{model: "sim.malformed-tool-input-v1", wantStatus: certify.VerdictCertified, wantCategory: certify.CategoryQuality,
			wantScore: scoreOf(all-1, all), wantFailed: []string{"tool-use"}},
	}
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--model", tc.model, "--region", "us-east-1", "--endpoint", srv.URL,
				"--consistency-interval", "10ms"}, tc.args...)
			got := runCertifyJSON(t, args...)
			o := got.out
			wantCode := 1
			if tc.wantStatus == certify.VerdictCertified {
				wantCode = 0
			}
			if got.code != wantCode || o.Status != tc.wantStatus || o.ErrorCategory != tc.wantCategory ||
				o.Score != tc.wantScore || o.Passed != (wantCode == 0) || o.Temporary != tc.wantTemp {
				t.Fatalf("exit %d, status %s, category %q, score %v, temporary %v; want exit %d, status %s, category %q, score %v, temporary %v\nfailed: %+v",
					got.code, o.Status, o.ErrorCategory, o.Score, o.Temporary, wantCode, tc.wantStatus, tc.wantCategory, tc.wantScore, tc.wantTemp, o.FailedChecks)
			}
			if skipped := namesWith(o.Results, certify.CheckSkipped); !slices.Equal(skipped, tc.wantSkipped) {
				t.Errorf("skipped %v, want %v", skipped, tc.wantSkipped)
			}
			if failed := namesWith(o.Results, certify.CheckFailed); !slices.Equal(failed, tc.wantFailed) {
				t.Errorf("failed %v, want %v", failed, tc.wantFailed)
			}
			if o.ModelID != tc.model || o.Region != "us-east-1" || len(o.Results) != all ||
				o.Checks.Total != all || o.Checks.Skipped != len(tc.wantSkipped) || o.Checks.Failed != len(tc.wantFailed) {
				t.Errorf("summary %s/%s, %d results, counts %+v", o.ModelID, o.Region, len(o.Results), o.Checks)
			}
			calls := sim.Calls(tc.model)
			inference := calls.Converse + calls.ConverseStream
			if tc.wantCategory.Critical() && inference != 0 {
				t.Errorf("%d inference calls for a model that is not accessible, want none", inference)
			}
			if tc.model == "sim.throttled-v1" {
				assertRetriesBounded(t, inference, o.Results)
			}
		})
	}
}

// assertRetriesBounded checks that the SDK's retryer, not the engine, absorbed the throttling:
// every call succeeded, and the simulator saw at most MaxAttempts attempts per call. It throttles
// 30% of attempts, evenly spread, so 14 calls take 20 attempts (14 + ⌈0.3 × 20⌉ throttled).
func assertRetriesBounded(t *testing.T, received int, results []certify.Result) {
	t.Helper()
	calls := 0
	for _, c := range certify.Battery() {
		calls += c.Calls
	}
	if received <= calls || received > calls*bedrock.DefaultMaxAttempts {
		t.Errorf("simulator received %d runtime calls for %d model calls; want retries, and at most %d",
			received, calls, calls*bedrock.DefaultMaxAttempts)
	}
	t.Logf("throttled persona: %d model calls took %d attempts", calls, received)
}

func namesWith(results []certify.Result, status certify.CheckStatus) []string {
	var names []string
	for _, r := range results {
		if r.Status == status {
			names = append(names, r.Name)
		}
	}
	return names
}

// --max-tokens stops the calls once the run has spent the budget: the checks not reached are
// Skipped, named in usage.budgetSkippedChecks, and every call the simulator saw is a check that
// ran (each of these makes one). Four checks start at once, so up to four calls are made.
func TestCertifyTokenBudget(t *testing.T) {
	fakeAWSEnv(t)
	sim := bedrocksim.New(nil)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	const model = "amazon.nova-lite-v1:0"
	got := runCertifyJSON(t, "--model", model, "--region", "us-east-1", "--endpoint", srv.URL,
		"--checks", "basic-prompt,parameters,error-handling,multi-turn,max-tokens", "--max-tokens", "1")

	o := got.out
	skipped := namesWith(o.Results, certify.CheckSkipped)
	if len(skipped) == 0 || !slices.Equal(skipped, o.Usage.BudgetSkippedChecks) || !slices.Contains(skipped, "max-tokens") {
		t.Errorf("skipped %v, budgetSkippedChecks %v; want the same, max-tokens (the fifth check) among them", skipped, o.Usage.BudgetSkippedChecks)
	}
	reason := fmt.Sprintf("token budget of 1 reached after %d tokens", o.Usage.InputTokens+o.Usage.OutputTokens)
	for _, r := range o.Results {
		if r.Status == certify.CheckSkipped && r.Message != reason {
			t.Errorf("%s skipped with %q, want %q", r.Name, r.Message, reason)
		}
	}
	if calls := sim.Calls(model); calls.Converse != 5-len(skipped) || o.Usage.MaxTokens != 1 || o.Status != certify.VerdictCertified {
		t.Errorf("%d calls for %d skipped of 5, maxTokens %d, status %s; want one call per check run, 1, CERTIFIED",
			calls.Converse, len(skipped), o.Usage.MaxTokens, o.Status)
	}
}

func TestCertifyTableOutput(t *testing.T) {
	fakeAWSEnv(t)
	t.Setenv("AWS_REGION", "us-east-1") // --region defaults to it
	sim := bedrocksim.New(nil)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	var stdout, stderr bytes.Buffer
	code := runCertify(context.Background(), []string{"--model", "amazon.nova-lite-v1:0", "--endpoint", srv.URL,
		"--checks", "basic-prompt, streaming", "--exclude", "streaming"}, &stdout, &stderr)
	if code != 0 || stderr.Len() > 0 {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr.String(), stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	want := [][]string{
		{"CHECK", "RESULT", "LATENCY", "MESSAGE"},
		{"availability", "Passed"},
		{"basic-prompt", "Passed"},
		{},
		{"CAPABILITY", "SUPPORTED", "SOURCE", "REASON"},
		{"streaming", "yes", "control-plane"},
		{"system-prompt", "yes", "table"},
		{"tool-use", "yes", "table"},
		{"vision", "yes", "control-plane"},
		{},
		{"model", "amazon.nova-lite-v1:0", "(us-east-1)"},
		{"score", "100.0", "(2", "passed,", "0", "failed,", "0", "skipped)"},
		{"status", "CERTIFIED"},
		{"rating", "5.0"},
		{"badge", "PREMIUM"},
		{"category", "-"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), stdout.String())
	}
	for i, fields := range want {
		if got := strings.Fields(lines[i]); len(got) < len(fields) || !slices.Equal(got[:len(fields)], fields) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], fields)
		}
	}
	if calls := sim.Calls("amazon.nova-lite-v1:0"); calls.Converse != 1 || calls.ConverseStream != 0 {
		t.Errorf("simulator calls %+v, want the one basic-prompt call", calls)
	}
}

// TestCertifyBadUsage checks that bad usage exits 2 with one line naming the flag, then the hint.
func TestCertifyBadUsage(t *testing.T) {
	fakeAWSEnv(t)
	t.Setenv("AWS_REGION", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown check", []string{"--model", "m", "--region", "r", "--checks", "basic-prompt,telepathy"},
			`--checks: unknown check "telepathy" (valid checks: availability, basic-prompt, streaming,`},
		{"unknown excluded check", []string{"--model", "m", "--region", "r", "--exclude", "nope"}, `--exclude: unknown check "nope"`},
		{"empty model", []string{"--model", " ", "--region", "r"}, "--model is required"},
		{"no model", []string{"--region", "r"}, "--model is required"},
		{"no region", []string{"--model", "m"}, "--region is required (or set AWS_REGION)"},
		{"bad output", []string{"--model", "m", "--region", "r", "--output", "yaml"}, `--output "yaml": want table or json`},
		{"undefined flag", []string{"--model", "m", "--region", "r", "--verbose"}, "flag provided but not defined: -verbose"},
		{"bad duration", []string{"--model", "m", "--region", "r", "--check-timeout", "soon"}, `invalid value "soon" for flag -check-timeout`},
		{"negative token budget", []string{"--model", "m", "--region", "r", "--max-tokens", "-5"}, "--max-tokens -5: must be positive, or 0 for no budget"},
		{"zero interval", []string{"--model", "m", "--region", "r", "--consistency-interval", "0s"}, "--consistency-interval 0s: must be positive"},
		{"warn above certify", []string{"--model", "m", "--region", "r", "--warn-score", "90"}, "--warn-score 90: must be in [0, --certify-score]"},
		{"stray argument", []string{"--model", "m", "--region", "r", "now"}, `unexpected argument "now"`},
		{"bad endpoint", []string{"--model", "m", "--region", "r", "--endpoint", "localhost:4000"}, `--endpoint "localhost:4000": want an http or https URL`},
		{"bad role", []string{"--model", "m", "--region", "r", "--role-arn", "certifier"}, `--role-arn "certifier": want an IAM role ARN`},
		{"unknown required check", []string{"--model", "m", "--region", "r", "--required-checks", "telepathy"}, `--required-checks: unknown check "telepathy"`},
		{"required check excluded", []string{"--model", "m", "--region", "r", "--required-checks", "tool-use", "--exclude", "tool-use"},
			`--required-checks: "tool-use" is not selected by --checks and --exclude`},
		{"required check not included", []string{"--model", "m", "--region", "r", "--required-checks", "tool-use", "--checks", "basic-prompt"},
			`--required-checks: "tool-use" is not selected`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runCertify(context.Background(), tc.args, &stdout, &stderr)
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if code != 2 || stdout.Len() > 0 || len(lines) != 2 || lines[1] != certifyHint ||
				!strings.HasPrefix(lines[0], "manager certify: ") || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and one line containing %q, then the hint",
					code, stdout.String(), stderr.String(), tc.want)
			}
		})
	}
}

func TestCertifyHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runCertify(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 || stderr.Len() > 0 ||
		!strings.Contains(stdout.String(), "-consistency-interval") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr.String(), stdout.String())
	}
}

// acceptanceCatalog holds personas the engine was not designed around: a model the family table
// does not know, without tool use or system prompts and slow at 2.5 s a call, and a model that
// throttles 85 % of calls.
const acceptanceCatalog = `
personas:
  - id: meta.llama3-8b-instruct-v1:0
    name: Llama 3 8B Instruct
    provider: Meta
    regions: [us-east-1]
    capabilities: [streaming]
    latency: {fixed: 2500ms}
  - id: sim.throttled-85-v1
    name: Sim Throttled 85 %
    provider: Simulator
    regions: [us-east-1]
    capabilities: [streaming, systemPrompt, toolUse, vision]
    latency: {fixed: 20ms}
    failures: {throttleRate: 0.85}
`

// startCatalogSim serves a catalog file as `bedrock-sim --catalog FILE` does.
func startCatalogSim(t *testing.T, yaml string) (*bedrocksim.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	catalog, err := bedrocksim.LoadCatalog(path)
	if err != nil {
		t.Fatal(err)
	}
	sim := bedrocksim.New(catalog)
	return sim, serveSim(t, sim)
}

// serveSim serves the simulator until the test ends and returns its URL.
func serveSim(t *testing.T, sim *bedrocksim.Server) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCertifyAcceptanceCatalog certifies, over a catalog file, personas the engine was not
// designed around.
// Each persona has its own simulator: the adapter may share one SDK client, and with it the
// adaptive retryer's client-side rate limit, across the models of one endpoint.
func TestCertifyAcceptanceCatalog(t *testing.T) {
	fakeAWSEnv(t)
	t.Run("unknown slow model without tools", func(t *testing.T) {
		t.Parallel()
		sim, url := startCatalogSim(t, acceptanceCatalog)
		unknownSlowModelWithoutTools(t, sim, url)
	})
	t.Run("throttled model is temporary", func(t *testing.T) {
		t.Parallel()
		_, url := startCatalogSim(t, acceptanceCatalog)
		throttledModelIsTemporary(t, url)
	})
}

// unknownSlowModelWithoutTools: the service's refusals, not a table, decide what the model
// lacks. Needs the adapter to report Bedrock's "doesn't support" refusals as
// certify.ModelError.Unsupported.
func unknownSlowModelWithoutTools(t *testing.T, sim *bedrocksim.Server, url string) {
	const model = "meta.llama3-8b-instruct-v1:0"
	got := runCertifyJSON(t, "--model", model, "--region", "us-east-1", "--endpoint", url, "--consistency-interval", "10ms")
	o := got.out

	// Every check the model can take passed; at 2.5 s a call the mean latency is in the 2–5 s
	// band, which costs 0.3 of the rating and nothing else.
	if got.code != 0 || o.Status != certify.VerdictCertified || o.Score != 100 || o.Rating != 4.7 ||
		o.Badge != certify.BadgeRecommended || o.ErrorCategory != "" || o.Temporary {
		t.Fatalf("exit %d: %s, score %v, rating %v, badge %s, category %q, temporary %v; want exit 0: CERTIFIED, 100, 4.7, RECOMMENDED, none\nfailed: %+v",
			got.code, o.Status, o.Score, o.Rating, o.Badge, o.ErrorCategory, o.Temporary, o.FailedChecks)
	}
	if skipped := namesWith(o.Results, certify.CheckSkipped); !slices.Equal(skipped, []string{"system-prompt", "tool-use", "vision"}) {
		t.Errorf("skipped %v, want system-prompt, tool-use and vision", skipped)
	}
	wantCapabilities := map[certify.Capability]certify.CapabilitySource{
		certify.CapabilityStreaming:    certify.SourceService,
		certify.CapabilitySystemPrompt: certify.SourceService,
		certify.CapabilityToolUse:      certify.SourceService,
		certify.CapabilityVision:       certify.SourceControlPlane,
	}
	for _, c := range o.Capabilities {
		wantSupported := c.Name == certify.CapabilityStreaming
		if c.Supported != wantSupported || c.Source != wantCapabilities[c.Name] ||
			(c.Source == certify.SourceService && !wantSupported && !strings.Contains(c.Reason, "doesn't support")) {
			t.Errorf("capability %+v, want supported %v from %s", c, wantSupported, wantCapabilities[c.Name])
		}
	}
	// A refusal costs its one call and no more: the checks that ran made their calls, and each
	// refused check one.
	wantCalls := 0
	for _, c := range certify.Battery() {
		if r := resultNamed(o.Results, c.Name); r.Status != certify.CheckSkipped {
			wantCalls += c.Calls
		} else if r.Unsupported != "" {
			wantCalls++
		}
	}
	if calls := sim.Calls(model); calls.Converse+calls.ConverseStream != wantCalls {
		t.Errorf("simulator calls %+v, want %d in all", calls, wantCalls)
	}
}

// throttledModelIsTemporary: throttling that outlasts the SDK's retries is no verdict on quality.
// Three calls keep the test short (the whole battery takes about 90 s of the SDK's backoff). At
// 85 % throttling, spread evenly, only attempts 7, 14, 20, … get through, so the at most 15
// attempts of three calls let two through at most: a score of 75 at best, below certifyScore.
func throttledModelIsTemporary(t *testing.T, url string) {
	got := runCertifyJSON(t, "--model", "sim.throttled-85-v1", "--region", "us-east-1", "--endpoint", url, "--consistency-interval", "10ms",
		"--checks", "basic-prompt,parameters,multi-turn")
	o := got.out
	if got.code != 1 || o.Status != certify.VerdictFailed || o.ErrorCategory != certify.CategoryRateLimit || !o.Temporary {
		t.Fatalf("exit %d: %s, category %q, temporary %v, badge %s; want exit 1: FAILED, RATE_LIMIT, temporary\nfailed: %+v",
			got.code, o.Status, o.ErrorCategory, o.Temporary, o.Badge, o.FailedChecks)
	}
	for _, r := range o.Results {
		if r.Status == certify.CheckFailed && (!r.Temporary || r.Category != certify.CategoryRateLimit) {
			t.Errorf("%s failed with %s (temporary %v): %s", r.Name, r.Category, r.Temporary, r.Message)
		}
	}
}

func resultNamed(results []certify.Result, name string) certify.Result {
	for _, r := range results {
		if r.Name == name {
			return r
		}
	}
	return certify.Result{}
}
