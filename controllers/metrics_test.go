package controllers

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/modelcert/modelcert-operator/internal/certify"
)

func TestTokenCounterAddsUpPerModelAndRegion(t *testing.T) {
	c := &tokenCounter{counts: map[tokenKey]*[2]float64{}}
	nova := tokenKey{modelID: "amazon.nova-lite-v1:0", region: "us-east-1"}
	c.add(nova, certify.Usage{InputTokens: 100, OutputTokens: 20})
	c.add(nova, certify.Usage{InputTokens: 5, OutputTokens: 1})
	c.add(tokenKey{modelID: "amazon.nova-lite-v1:0", region: "eu-west-1"}, certify.Usage{InputTokens: 7})
	want := `
# HELP modelcert_tokens_total Tokens spent by judged certification runs, by model, region and direction (input, output).
# TYPE modelcert_tokens_total counter
modelcert_tokens_total{direction="input",model_id="amazon.nova-lite-v1:0",region="eu-west-1"} 7
modelcert_tokens_total{direction="input",model_id="amazon.nova-lite-v1:0",region="us-east-1"} 105
modelcert_tokens_total{direction="output",model_id="amazon.nova-lite-v1:0",region="eu-west-1"} 0
modelcert_tokens_total{direction="output",model_id="amazon.nova-lite-v1:0",region="us-east-1"} 21
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
