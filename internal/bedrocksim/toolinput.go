package bedrocksim

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"
)

// toolInput builds a tool call's input from the tool's JSON schema: enums take their
// first value, strings the word given (see promptWord), numbers and booleans fixed
// values. A malformed input drops the first required property, or when nothing is
// required gives the first property the wrong type.
func toolInput(schema json.RawMessage, word string, malformed bool) json.RawMessage {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil || root == nil {
		root = map[string]any{}
	}
	input := objectFromSchema(root, word)
	if malformed {
		breakInput(root, input)
	}
	encoded, _ := json.Marshal(input)
	return encoded
}

func valueFromSchema(node map[string]any, word string) any {
	if enum, ok := node["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch schemaType(node) {
	case "string":
		return word
	case "integer":
		return 1
	case "number":
		return 1.5
	case "boolean":
		return true
	case "array":
		items, _ := node["items"].(map[string]any)
		return []any{valueFromSchema(items, word)}
	case "null":
		return nil
	default:
		if _, ok := node["properties"]; ok {
			return objectFromSchema(node, word)
		}
		return word
	}
}

func objectFromSchema(node map[string]any, word string) map[string]any {
	props, _ := node["properties"].(map[string]any)
	object := make(map[string]any, len(props))
	for name, p := range props {
		child, _ := p.(map[string]any)
		object[name] = valueFromSchema(child, word)
	}
	return object
}

// schemaType reads "type", which JSON Schema allows to be a list such as ["string", "null"].
func schemaType(node map[string]any) string {
	switch t := node["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

func breakInput(schema, input map[string]any) {
	var required []string
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			if name, ok := r.(string); ok {
				if _, present := input[name]; present {
					required = append(required, name)
				}
			}
		}
	}
	if len(required) > 0 {
		slices.Sort(required)
		delete(input, required[0])
		return
	}
	names := make([]string, 0, len(input))
	for name := range input {
		names = append(names, name)
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	if _, isString := input[names[0]].(string); isString {
		input[names[0]] = 42
	} else {
		input[names[0]] = "not-a-valid-value"
	}
}

// promptWord is the word a string argument most likely refers to: the last
// capitalised word that does not start the prompt ("Paris" in "What is the weather
// in Paris right now?"), else the last long word, capitalised.
func promptWord(prompt string) string {
	words := strings.FieldsFunc(prompt, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && r != '\'' })
	for i := len(words) - 1; i > 0; i-- {
		if r := []rune(words[i]); unicode.IsUpper(r[0]) {
			return words[i]
		}
	}
	for i := len(words) - 1; i >= 0; i-- {
		if len([]rune(words[i])) >= 4 {
			return capitalise(words[i])
		}
	}
	return "Example"
}
