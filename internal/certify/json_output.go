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

// maxAge bounds the age of a fictional person: older is not a plausible person.
const maxAge = 150

// inspectJSONOutput passes an answer whose JSON (the whole answer, or its only code fence with
// prose around it) is one object describing a person: "name" a non-empty string and "age" an
// integer from 0 to 150. Other keys are allowed.
func inspectJSONOutput(resp Response) error {
	doc, ok := extractJSON(resp.Text)
	if !ok {
		return fmt.Errorf("answer is not a JSON object%s: %s", trailingText(resp.Text), quoteAnswer(resp.Text))
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		// extractJSON returns valid JSON only.
		return fmt.Errorf("decode JSON: %w", err)
	}
	person, isObject := value.(map[string]any)
	switch {
	case value == nil:
		return errors.New("answer is JSON null, want an object")
	case !isObject:
		return fmt.Errorf("answer is not a JSON object: %s", quoteAnswer(resp.Text))
	}
	if name, ok := person["name"].(string); !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf(`"name" is %s, want a non-empty string`, describeJSON(person["name"]))
	}
	age, ok := person["age"].(json.Number)
	if !ok || !isIntegral(age) {
		return fmt.Errorf(`"age" is %s, want an integer`, describeJSON(person["age"]))
	}
	if f, _ := age.Float64(); f < 0 || f > maxAge {
		return fmt.Errorf(`"age" is %s, want 0 to %d`, age, maxAge)
	}
	return nil
}

// extractJSON returns the JSON an answer gives: the whole answer when it is JSON, else the
// contents of its only code fence when they are. Whatever it returns is valid JSON; an answer
// that mixes unfenced JSON with prose gives nothing, since no program could tell where the
// JSON ends.
func extractJSON(text string) (json.RawMessage, bool) {
	if trimmed := strings.TrimSpace(text); json.Valid([]byte(trimmed)) {
		return json.RawMessage(trimmed), true
	}
	if blocks := fencedBlocks(text); len(blocks) == 1 {
		if body := strings.TrimSpace(blocks[0]); json.Valid([]byte(body)) {
			return json.RawMessage(body), true
		}
	}
	return nil, false
}

// fencedBlocks returns the contents of the Markdown code fences of a text, in order. A fence
// left open (an answer cut short) runs to the end of the text.
func fencedBlocks(text string) []string {
	var blocks []string
	var body []string
	open := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if open {
				blocks = append(blocks, strings.Join(body, "\n"))
			}
			open, body = !open, nil
			continue
		}
		if open {
			body = append(body, line)
		}
	}
	if open {
		blocks = append(blocks, strings.Join(body, "\n"))
	}
	return blocks
}

// trailingText explains an answer that starts with a JSON value and goes on with prose.
func trailingText(text string) string {
	dec := json.NewDecoder(strings.NewReader(strings.TrimSpace(text)))
	var v any
	if dec.Decode(&v) != nil {
		return ""
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return " (text after the JSON object)"
	}
	return ""
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
