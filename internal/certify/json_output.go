package certify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// inspectJSONOutput passes when the answer is one JSON object with a string "name" and an
// integral "age". A surrounding Markdown code fence is tolerated: models add it habitually.
func inspectJSONOutput(resp Response) error {
	dec := json.NewDecoder(strings.NewReader(stripCodeFence(resp.Text)))
	dec.UseNumber()
	var person map[string]any
	if err := dec.Decode(&person); err != nil {
		return fmt.Errorf("answer is not a JSON object: %s", quoteAnswer(resp.Text))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("answer has text after the JSON object: %s", quoteAnswer(resp.Text))
	}
	if person == nil {
		return errors.New("answer is JSON null, want an object")
	}
	if _, ok := person["name"].(string); !ok {
		return fmt.Errorf(`"name" is %s, want a string`, describeJSON(person["name"]))
	}
	age, ok := person["age"].(json.Number)
	if !ok || !isIntegral(age) {
		return fmt.Errorf(`"age" is %s, want an integer`, describeJSON(person["age"]))
	}
	return nil
}

// stripCodeFence removes a ``` or ```json fence around text.
func stripCodeFence(text string) string {
	text = strings.TrimSpace(text)
	body, ok := strings.CutPrefix(text, "```")
	if !ok {
		return text
	}
	// The opening fence runs to the end of its line, language tag included.
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	} else {
		body = strings.TrimPrefix(body, "json")
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(body), "```"))
}

func isIntegral(n json.Number) bool {
	f, err := n.Float64()
	return err == nil && !math.IsInf(f, 0) && f == math.Trunc(f)
}

// describeJSON names a decoded JSON value for a failure message.
func describeJSON(v any) string {
	if v == nil {
		return "missing or null"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%T", v)
	}
	return Ellipsis(strings.TrimSpace(buf.String()), maxQuotedAnswer)
}
