package certify

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// weatherInputSchema is compiled once: the schema is a constant, so failing to compile it is
// a programming error caught by the package's tests.
var weatherInputSchema = mustCompileSchema(weatherToolSchema)

func mustCompileSchema(schema string) *jsonschema.Schema {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		panic(fmt.Sprintf("certify: parse tool schema: %v", err))
	}
	const url = "mem:///tool-input.json"
	compiler := jsonschema.NewCompiler()
	if err := compiler.AddResource(url, doc); err != nil {
		panic(fmt.Sprintf("certify: add tool schema: %v", err))
	}
	return compiler.MustCompile(url)
}

// toolUseCity is the city the tool-use prompt asks about.
const toolUseCity = "Paris"

// inspectToolUse passes when the model called the weather tool with input that matches its
// schema and names the city the user asked about (Paris, in any letter case, possibly with
// its country).
func inspectToolUse(resp Response) error {
	for _, call := range resp.ToolUses {
		if call.Name != weatherTool {
			continue
		}
		input, err := jsonschema.UnmarshalJSON(bytes.NewReader(call.Input))
		if err != nil {
			return fmt.Errorf("%s input is not JSON: %s", weatherTool, quoteAnswer(string(call.Input)))
		}
		if err := weatherInputSchema.Validate(input); err != nil {
			return fmt.Errorf("%s input %s does not match its schema: %s", weatherTool, quoteAnswer(string(call.Input)), violations(err))
		}
		// The schema made input an object with a string city.
		city, _ := input.(map[string]any)["city"].(string)
		if found, negated := mention(city, toolUseCity); !found || negated {
			return fmt.Errorf("%s city is %q, want %s", weatherTool, city, toolUseCity)
		}
		return nil
	}
	return fmt.Errorf("no call to %s (stop reason %q, %d tool calls)", weatherTool, resp.StopReason, len(resp.ToolUses))
}

// violations condenses a schema validation report to its findings on one line: the report's
// first line only names the schema, and each finding follows on a "- " line.
func violations(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	if len(lines) == 1 {
		return lines[0]
	}
	findings := make([]string, len(lines)-1)
	for i, line := range lines[1:] {
		findings[i] = strings.TrimPrefix(strings.TrimSpace(line), "- ")
	}
	return strings.Join(findings, "; ")
}
