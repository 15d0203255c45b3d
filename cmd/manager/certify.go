package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

// certifyHint follows every usage error, instead of the full flag list.
const certifyHint = `Run "manager certify -h" for the flags.`

// certifyArgs are the parsed flags of `manager certify`.
type certifyArgs struct {
	model   bedrock.Config
	run     certify.Options
	policy  certify.Policy
	jsonOut bool
}

// runCertify is `manager certify`: it runs the engine once against one model, with no
// Kubernetes and no database, prints every check and the verdict, and returns the exit code:
// 0 when the model is certified, 1 when it is not, 2 on bad usage.
func runCertify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := parseCertifyArgs(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "manager certify: %v\n%s\n", err, certifyHint)
		return 2
	}
	model, err := bedrock.New(ctx, a.model)
	if err != nil {
		fmt.Fprintf(stderr, "manager certify: %v\n%s\n", err, certifyHint)
		return 2
	}
	report := certify.Run(ctx, model, a.run)
	verdict := certify.Judge(report.Results, a.policy)
	out := newCertifyOutput(a, report, verdict)
	if a.jsonOut {
		err = out.writeJSON(stdout)
	} else {
		err = out.writeTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "manager certify: write output: %v\n", err)
		return 1
	}
	if verdict.Status != certify.VerdictCertified {
		return 1
	}
	return 0
}

// parseCertifyArgs parses and validates the flags; errors name the flag at fault. -h prints
// the flags to stdout and returns flag.ErrHelp.
func parseCertifyArgs(args []string, stdout io.Writer) (certifyArgs, error) {
	fs := flag.NewFlagSet("manager certify", flag.ContinueOnError)
	// The flag package would print the whole usage on every error; we print one line instead.
	fs.SetOutput(io.Discard)
	var (
		a                                  certifyArgs
		checks, exclude, required, output  string
		certifyScore, warnScore            float64
		checkTimeout, runTimeout, interval time.Duration
		maxTokens                          int64
	)
	fs.StringVar(&a.model.ModelID, "model", "", "model or inference profile id to certify (required)")
	fs.StringVar(&a.model.Region, "region", os.Getenv("AWS_REGION"), "AWS region (required; defaults to $AWS_REGION)")
	fs.StringVar(&a.model.Endpoint, "endpoint", "", "Bedrock endpoint URL override (VPC endpoint, simulator)")
	fs.StringVar(&a.model.Credentials.RoleARN, "role-arn", "", "IAM role to assume for the calls")
	fs.StringVar(&checks, "checks", "", "comma-separated checks to run (default all)")
	fs.StringVar(&exclude, "exclude", "", "comma-separated checks to leave out")
	fs.StringVar(&required, "required-checks", "", "comma-separated checks that must pass, whatever the score")
	fs.StringVar(&output, "output", "table", "output format: table or json")
	fs.DurationVar(&checkTimeout, "check-timeout", 60*time.Second, "timeout of one model call")
	fs.DurationVar(&runTimeout, "run-timeout", certify.DefaultRunTimeout, "timeout of the whole run")
	fs.DurationVar(&interval, "consistency-interval", certify.DefaultConsistencyInterval, "pause between the consistency check's calls")
	fs.Int64Var(&maxTokens, "max-tokens", 0, "token budget of the run, input plus output (0: none)")
	fs.Float64Var(&certifyScore, "certify-score", certify.DefaultPolicy.CertifyScore, "lowest score that certifies")
	fs.Float64Var(&warnScore, "warn-score", certify.DefaultPolicy.WarnScore, "lowest score that warns instead of failing")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "usage: manager certify --model ID --region REGION [flags]")
			fs.PrintDefaults()
		}
		return certifyArgs{}, err
	}
	a.model.ModelID = strings.TrimSpace(a.model.ModelID)
	a.model.Region = strings.TrimSpace(a.model.Region)
	a.run = certify.Options{
		Include:             splitList(checks),
		Exclude:             splitList(exclude),
		CheckTimeout:        checkTimeout,
		RunTimeout:          runTimeout,
		ConsistencyInterval: interval,
		MaxTokens:           maxTokens,
	}
	a.policy = certify.Policy{CertifyScore: certifyScore, WarnScore: warnScore, RequiredChecks: splitList(required)}

	switch {
	case fs.NArg() > 0:
		return certifyArgs{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case a.model.ModelID == "":
		return certifyArgs{}, errors.New("--model is required")
	case a.model.Region == "":
		return certifyArgs{}, errors.New("--region is required (or set AWS_REGION)")
	case a.model.Endpoint != "" && !isHTTPURL(a.model.Endpoint):
		return certifyArgs{}, fmt.Errorf("--endpoint %q: want an http or https URL", a.model.Endpoint)
	case a.model.Credentials.RoleARN != "" && !strings.HasPrefix(a.model.Credentials.RoleARN, "arn:"):
		return certifyArgs{}, fmt.Errorf("--role-arn %q: want an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", a.model.Credentials.RoleARN)
	case output != "table" && output != "json":
		return certifyArgs{}, fmt.Errorf("--output %q: want table or json", output)
	case checkTimeout <= 0:
		return certifyArgs{}, fmt.Errorf("--check-timeout %s: must be positive", checkTimeout)
	case runTimeout <= 0:
		return certifyArgs{}, fmt.Errorf("--run-timeout %s: must be positive", runTimeout)
	case interval <= 0:
		// The engine reads zero as "the default", so zero cannot mean "no pause".
		return certifyArgs{}, fmt.Errorf("--consistency-interval %s: must be positive", interval)
	case maxTokens < 0:
		return certifyArgs{}, fmt.Errorf("--max-tokens %d: must be positive, or 0 for no budget", maxTokens)
	case certifyScore < 0 || certifyScore > 100:
		return certifyArgs{}, fmt.Errorf("--certify-score %g: must be in [0, 100]", certifyScore)
	case warnScore < 0 || warnScore > certifyScore:
		return certifyArgs{}, fmt.Errorf("--warn-score %g: must be in [0, --certify-score]", warnScore)
	}
	// Each list is checked on its own so that the error names the flag it came from.
	if _, err := certify.Select(a.run.Include, nil); err != nil {
		return certifyArgs{}, fmt.Errorf("--checks: %w", err)
	}
	if _, err := certify.Select(nil, a.run.Exclude); err != nil {
		return certifyArgs{}, fmt.Errorf("--exclude: %w", err)
	}
	if err := checkRequiredSelected(a.policy.RequiredChecks, a.run); err != nil {
		return certifyArgs{}, fmt.Errorf("--required-checks: %w", err)
	}
	a.jsonOut = output == "json"
	return a, nil
}

// checkRequiredSelected refuses required checks that are unknown or that the selection leaves
// out, as the CRD's validation does.
func checkRequiredSelected(required []string, run certify.Options) error {
	if _, err := certify.Select(required, nil); err != nil {
		return err
	}
	selected, err := certify.Select(run.Include, run.Exclude)
	if err != nil {
		return err
	}
	for _, name := range required {
		if !slices.Contains(selected, name) {
			return fmt.Errorf("%q is not selected by --checks and --exclude", name)
		}
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// certifyOutput is what `manager certify` prints; its JSON names follow the CRD's status.
type certifyOutput struct {
	ModelID       string                `json:"modelId"`
	Region        string                `json:"region"`
	Passed        bool                  `json:"passed"`
	Score         float64               `json:"score"`
	Status        certify.VerdictStatus `json:"status"`
	Rating        float64               `json:"rating"`
	Badge         certify.Badge         `json:"badge"`
	ErrorCategory certify.ErrorCategory `json:"errorCategory,omitempty"`
	ErrorMessage  string                `json:"errorMessage,omitempty"`
	// Temporary: the run failed for temporary reasons only, and says nothing of quality.
	Temporary    bool                  `json:"temporary"`
	Capabilities certify.Capabilities  `json:"capabilities"`
	Checks       checkCounts           `json:"checks"`
	FailedChecks []certify.FailedCheck `json:"failedChecks,omitempty"`
	Usage        usageOutput           `json:"usage"`
	DurationMs   int64                 `json:"durationMs"`
	Results      []certify.Result      `json:"results"`
}

// usageOutput is status.usage.
type usageOutput struct {
	InputTokens         int64    `json:"inputTokens"`
	OutputTokens        int64    `json:"outputTokens"`
	MaxTokens           int64    `json:"maxTokens,omitempty"`
	BudgetSkippedChecks []string `json:"budgetSkippedChecks,omitempty"`
}

type checkCounts struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

func newCertifyOutput(a certifyArgs, r certify.Report, v certify.Verdict) certifyOutput {
	out := certifyOutput{
		ModelID:       a.model.ModelID,
		Region:        a.model.Region,
		Passed:        v.Passed,
		Score:         v.Score,
		Status:        v.Status,
		Rating:        v.Rating,
		Badge:         v.Badge,
		ErrorCategory: v.Category,
		Temporary:     v.Temporary,
		Capabilities:  r.Capabilities,
		Checks:        checkCounts{Total: v.Total, Passed: v.PassedCount, Failed: v.Failed, Skipped: v.Skipped},
		FailedChecks:  v.FailedChecks,
		Usage: usageOutput{InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens,
			MaxTokens: r.MaxTokens, BudgetSkippedChecks: r.BudgetSkipped},
		DurationMs: r.CompletedAt.Sub(r.StartedAt).Milliseconds(),
		Results:    r.Results,
	}
	if len(v.FailedChecks) > 0 {
		worst := v.FailedChecks[0]
		out.ErrorMessage = worst.Name + ": " + worst.Message
	}
	return out
}

func (o certifyOutput) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}

func (o certifyOutput) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tLATENCY\tMESSAGE")
	for _, r := range o.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Status, r.Latency.Round(time.Millisecond), r.Message)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CAPABILITY\tSUPPORTED\tSOURCE\tREASON")
	for _, c := range o.Capabilities {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, yesNo(c.Supported), c.Source, c.Reason)
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "model\t%s (%s)\n", o.ModelID, o.Region)
	fmt.Fprintf(tw, "score\t%.1f (%d passed, %d failed, %d skipped)\n", o.Score, o.Checks.Passed, o.Checks.Failed, o.Checks.Skipped)
	fmt.Fprintf(tw, "status\t%s\n", o.Status)
	fmt.Fprintf(tw, "rating\t%.1f\n", o.Rating)
	fmt.Fprintf(tw, "badge\t%s\n", o.Badge)
	category := orNone(string(o.ErrorCategory))
	if o.Temporary {
		category += " (temporary: no quality verdict, retry soon)"
	}
	fmt.Fprintf(tw, "category\t%s\n", category)
	if o.ErrorMessage != "" {
		fmt.Fprintf(tw, "reason\t%s\n", o.ErrorMessage)
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
