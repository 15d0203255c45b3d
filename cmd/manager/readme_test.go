package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcert/modelcert-operator/internal/bedrock"
	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

var updateREADME = flag.Bool("update", false, "rewrite the README's table of default persona verdicts")

// The README's persona table lies between these markers.
const (
	readmePath        = "../../README.md"
	personaTableBegin = "<!-- persona-verdicts:begin (go test ./cmd/manager -run TestREADMEPersonaVerdicts -update) -->\n"
	personaTableEnd   = "<!-- persona-verdicts:end -->\n"
)

// TestREADMEPersonaVerdicts certifies every persona of the default catalog through the real
// adapter, as `manager certify` does, and keeps the README's table of their verdicts true.
// Ratings are stable where no call was retried: the default personas answer in well under 2 s
// (the first latency band). A retried call waits the SDK's random backoff and client-side rate
// limit, which can move the mean latency across a band; such ratings are marked with * and
// their value is not compared.
func TestREADMEPersonaVerdicts(t *testing.T) {
	fakeAWSEnv(t)
	personas := bedrocksim.DefaultCatalog().Personas
	rows := make([]string, len(personas))
	var wg sync.WaitGroup
	for i, p := range personas {
		// One simulator, so one endpoint, per persona: the adapter may share an SDK client, and
		// with it the adaptive retryer's client-side rate limit, across models of one
		// endpoint, and one persona's throttling must not slow the others. A persona that
		// never answers gets Bedrock's ModelTimeoutException after the hold.
		endpoint := serveSim(t, bedrocksim.New(nil, bedrocksim.WithHoldLimit(200*time.Millisecond)))
		wg.Go(func() {
			model, err := bedrock.New(context.Background(), bedrock.Config{ModelID: p.ID, Region: "us-east-1", Endpoint: endpoint})
			if err != nil {
				t.Errorf("%s: %v", p.ID, err)
				return
			}
			report := certify.Run(context.Background(), model, certify.Options{ConsistencyInterval: 10 * time.Millisecond})
			rows[i] = personaRow(p.ID, report, certify.Judge(report.Results, certify.DefaultPolicy))
		})
	}
	wg.Wait()
	table := "| persona | status | category | score | rating | badge | skipped | failed |\n|---|---|---|---|---|---|---|---|\n" +
		strings.Join(rows, "")

	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, found := strings.Cut(string(readme), personaTableBegin)
	_, tail, foundEnd := strings.Cut(rest, personaTableEnd)
	if !found || !foundEnd {
		t.Fatalf("README.md lacks the markers %q and %q", personaTableBegin, personaTableEnd)
	}
	current, _, _ := strings.Cut(rest, personaTableEnd)
	if timingFree(current) == timingFree(table) {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(readmePath, []byte(head+personaTableBegin+table+personaTableEnd+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's persona table is stale; run go test ./cmd/manager -run TestREADMEPersonaVerdicts -update\n got:\n%s\nwant:\n%s", current, table)
}

// personaRow is one persona's line of the table.
func personaRow(id string, r certify.Report, v certify.Verdict) string {
	category := orNone(string(v.Category))
	if v.Temporary {
		category += " (temporary)"
	}
	rating := fmt.Sprintf("%.1f", v.Rating)
	if slices.ContainsFunc(r.Results, func(res certify.Result) bool { return res.Retries > 0 }) {
		rating += "*"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %.1f | %s | %s | %s | %s |\n", id, v.Status, category, v.Score, rating, v.Badge,
		checkList(r.Results, certify.CheckSkipped), checkList(r.Results, certify.CheckFailed))
}

// timingCell is a rating marked as depending on retry timing.
var timingCell = regexp.MustCompile(`\| [0-9.]+\* \|`)

// timingFree blanks the ratings that depend on retry timing, for comparing tables.
func timingFree(table string) string { return timingCell.ReplaceAllString(table, "| * |") }

// checkList names the checks with the status, or says how many when it is most of them.
func checkList(results []certify.Result, status certify.CheckStatus) string {
	names := namesWith(results, status)
	switch {
	case len(names) == 0:
		return "-"
	case len(names) > len(results)/2:
		return fmt.Sprintf("%d of %d", len(names), len(results))
	}
	return strings.Join(names, ", ")
}
