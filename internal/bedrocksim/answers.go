package bedrocksim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// reply is what a persona says before token limits and stop sequences apply:
// either text or one tool call.
type reply struct {
	text    string
	toolUse *toolUseBlock
}

var (
	oneWordSystemPattern = regexp.MustCompile(`(?i)exactly one word:\s*"?([\p{L}\p{N}_-]+)`)
	countPattern         = regexp.MustCompile(`(?i)count from (-?\d+) to (-?\d+)`)
	separatorPattern     = regexp.MustCompile(`(?i)separated by (\w+)`)
	arithmeticPattern    = regexp.MustCompile(`(?i)what is (-?\d+(?:\.\d+)?)\s*([-+*x×/])\s*(-?\d+(?:\.\d+)?)`)
	nameIntroPattern     = regexp.MustCompile(`(?i)\bmy name is (\p{L}[\p{L}'-]*)`)
	nameQuestionPattern  = regexp.MustCompile(`(?i)what(?:'s| is) my name`)
	essayPattern         = regexp.MustCompile(`(?i)\bessay\b|at least (\d+) words`)
	wordTargetPattern    = regexp.MustCompile(`(?i)at least (\d+) words`)
	topicPattern         = regexp.MustCompile(`(?i)\babout (?:the )?([^,.!?]+)`)
	jsonKeyPattern       = regexp.MustCompile(`["'“”]?(\w+)["'“”]?\s*\((?:a|an)\s+(string|integer|number|boolean)\)`)
	haikuPattern         = regexp.MustCompile(`(?i)\bhaiku\b`)
	colourPattern        = regexp.MustCompile(`(?i)\bcolou?r\b`)
	greetingPattern      = regexp.MustCompile(`(?i)^\s*(hi|hello|hey|good (morning|afternoon|evening))\s*[!.?]*\s*$`)
	sayHelloPattern      = regexp.MustCompile(`(?i)\bsay hello\b`)
	capitalFrancePattern = regexp.MustCompile(`(?i)capital of france`)
)

// longestCount bounds "Count from A to B" so a hostile prompt cannot make a huge answer.
const longestCount = 1000

// answer runs the rule engine over a validated conversation.
func (s *Server) answer(p Persona, req *converseRequest) reply {
	if p.Failures.EmptyAnswers {
		return reply{}
	}
	last := req.Messages[len(req.Messages)-1]
	if result, ok := toolResultText(last); ok {
		return reply{text: "According to the tool, the result is: " + result}
	}
	if spec, ok := chosenTool(req.ToolConfig, textOf(last)); ok {
		input := toolInput(spec.InputSchema.JSON, textOf(last), p.Failures.MalformedToolInput)
		return reply{toolUse: &toolUseBlock{ToolUseID: s.nextToolUseID(), Name: spec.Name, Input: input}}
	}
	if !p.Failures.IgnoresSystemPrompt {
		if m := oneWordSystemPattern.FindStringSubmatch(systemText(req.System)); m != nil {
			return reply{text: m[1]}
		}
	}
	if img, ok := imageOf(last); ok {
		return reply{text: describeImage(img, textOf(last))}
	}
	return reply{text: answerText(textOf(last), req.Messages)}
}

// answerText answers the certification battery's text prompts, and anything else plausibly.
func answerText(prompt string, history []message) string {
	switch {
	case greetingPattern.MatchString(prompt):
		return "Hello! How can I help you today?"
	case countPattern.MatchString(prompt):
		return countAnswer(prompt)
	case arithmeticPattern.MatchString(prompt):
		return arithmeticAnswer(prompt)
	case nameQuestionPattern.MatchString(prompt):
		if name, ok := rememberedName(history); ok {
			return name
		}
		return "I'm sorry, you haven't told me your name yet."
	case nameIntroPattern.MatchString(prompt):
		return fmt.Sprintf("Nice to meet you, %s! I'll remember your name.", nameIntroPattern.FindStringSubmatch(prompt)[1])
	case sayHelloPattern.MatchString(prompt):
		return "Hello, it's nice to meet you!"
	case essayPattern.MatchString(prompt):
		return essay(prompt)
	case jsonKeyPattern.MatchString(prompt):
		return jsonObjectAnswer(prompt)
	case haikuPattern.MatchString(prompt):
		return haiku(prompt)
	case capitalFrancePattern.MatchString(prompt):
		return "The capital of France is Paris."
	default:
		return "Here is a short answer in plain English: it is a simple idea, and I am happy to explain it clearly."
	}
}

func countAnswer(prompt string) string {
	m := countPattern.FindStringSubmatch(prompt)
	from, _ := strconv.Atoi(m[1])
	to, _ := strconv.Atoi(m[2])
	step := 1
	if to < from {
		step = -1
	}
	var numbers []string
	for n := from; len(numbers) < longestCount; n += step {
		numbers = append(numbers, strconv.Itoa(n))
		if n == to {
			break
		}
	}
	return strings.Join(numbers, separator(prompt))
}

func separator(prompt string) string {
	m := separatorPattern.FindStringSubmatch(prompt)
	if m == nil {
		return " "
	}
	switch strings.ToLower(m[1]) {
	case "comma", "commas":
		return ", "
	case "semicolon", "semicolons":
		return "; "
	case "newline", "newlines", "line", "lines":
		return "\n"
	case "dash", "dashes", "hyphen", "hyphens":
		return "-"
	default:
		return " "
	}
}

func arithmeticAnswer(prompt string) string {
	m := arithmeticPattern.FindStringSubmatch(prompt)
	a, _ := strconv.ParseFloat(m[1], 64)
	b, _ := strconv.ParseFloat(m[3], 64)
	var result string
	switch m[2] {
	case "+":
		result = formatNumber(a + b)
	case "-":
		result = formatNumber(a - b)
	case "*", "x", "×":
		result = formatNumber(a * b)
	case "/":
		if b == 0 {
			return "Division by zero is undefined."
		}
		result = formatNumber(a / b)
	}
	if strings.Contains(strings.ToLower(prompt), "just the number") {
		return result
	}
	return fmt.Sprintf("%s %s %s = %s.", m[1], m[2], m[3], result)
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// rememberedName finds the most recent "My name is X" in earlier user turns.
func rememberedName(history []message) (string, bool) {
	for i := len(history) - 2; i >= 0; i-- {
		if history[i].Role != roleUser {
			continue
		}
		if m := nameIntroPattern.FindStringSubmatch(textOf(history[i])); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// essaySentences are cycled to build a long text; the certification battery only
// checks length and truncation, not literary merit.
var essaySentences = []string{
	"The story of %s begins long before anyone wrote it down, in slow changes that took millions of years.",
	"Scientists study %s by reading layers of rock, ice and sediment that record what happened in each age.",
	"Early peoples depended on %s for food, travel and trade, and their myths often reflect that dependence.",
	"Over the centuries, sailors, merchants and explorers carried knowledge of %s from one culture to another.",
	"The modern understanding of %s owes much to careful measurement, patient observation and shared data.",
	"Changes in climate have shaped %s again and again, sometimes gradually and sometimes with sudden force.",
	"Every generation has asked new questions about %s, and each answer has opened further questions.",
	"Today, %s remains a subject of research, debate and wonder for scientists and ordinary people alike.",
}

func essay(prompt string) string {
	target := 600
	if m := wordTargetPattern.FindStringSubmatch(prompt); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n+100 > target && n <= 10_000 {
			target = n + 100
		}
	}
	topic := "the subject"
	if m := topicPattern.FindStringSubmatch(prompt); m != nil {
		// The sentences tell a history themselves: "the history of the ocean" becomes "the ocean".
		subject := strings.TrimPrefix(strings.TrimSpace(m[1]), "history of ")
		topic = "the " + strings.TrimPrefix(subject, "the ")
	}
	var b strings.Builder
	words := 0
	for i := 0; words < target; i++ {
		if i > 0 {
			b.WriteString(" ")
			if i%len(essaySentences) == 0 {
				b.WriteString("\n\n")
			}
		}
		sentence := fmt.Sprintf(essaySentences[i%len(essaySentences)], topic)
		if i == 0 {
			sentence = capitalise(sentence)
		}
		b.WriteString(sentence)
		words += len(strings.Fields(sentence))
	}
	return b.String()
}

// jsonObjectAnswer returns an object with the keys the prompt asks for, in its order.
func jsonObjectAnswer(prompt string) string {
	known := map[string]any{"name": "Ada Lovelace", "age": 36}
	var fields []string
	for _, m := range jsonKeyPattern.FindAllStringSubmatch(prompt, -1) {
		value, ok := known[m[1]]
		if !ok {
			value = valueFromSchema(map[string]any{"type": m[2]}, "example")
		}
		key, _ := json.Marshal(m[1])
		encoded, _ := json.Marshal(value)
		fields = append(fields, string(key)+": "+string(encoded))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

func haiku(prompt string) string {
	lower := strings.ToLower(prompt)
	if strings.Contains(lower, "sea") || strings.Contains(lower, "ocean") {
		return "Waves fold into foam\nsalt wind carries the gull's cry\nthe tide keeps its time"
	}
	return "Morning light arrives\nquiet thoughts drift like thin clouds\nthe day finds its shape"
}

func describeImage(img *imageBlock, prompt string) string {
	colour, err := dominantColour(img.Source.Bytes)
	if err != nil {
		return "I can't read this image; it does not look like a valid " + img.Format + " file."
	}
	if colourPattern.MatchString(prompt) {
		return capitalise(colour)
	}
	return "The image is mostly " + colour + "."
}

func textOf(m message) string {
	var parts []string
	for _, c := range m.Content {
		if c.Text != nil {
			parts = append(parts, *c.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func systemText(blocks []systemBlock) string {
	parts := make([]string, len(blocks))
	for i, b := range blocks {
		parts[i] = b.Text
	}
	return strings.Join(parts, "\n")
}

func imageOf(m message) (*imageBlock, bool) {
	for _, c := range m.Content {
		if c.Image != nil {
			return c.Image, true
		}
	}
	return nil, false
}

func toolResultText(m message) (string, bool) {
	for _, c := range m.Content {
		if c.ToolResult == nil {
			continue
		}
		var parts []string
		for _, rc := range c.ToolResult.Content {
			switch {
			case rc.Text != nil:
				parts = append(parts, *rc.Text)
			case rc.JSON != nil:
				parts = append(parts, string(rc.JSON))
			}
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

// chosenTool picks the tool to call: the one toolChoice forces, or with toolChoice
// auto the first tool whose name or description shares a word with the prompt.
func chosenTool(cfg *toolConfig, prompt string) (toolSpec, bool) {
	if cfg == nil {
		return toolSpec{}, false
	}
	var specs []toolSpec
	for _, t := range cfg.Tools {
		if t.ToolSpec != nil {
			specs = append(specs, *t.ToolSpec)
		}
	}
	if len(specs) == 0 {
		return toolSpec{}, false
	}
	if c := cfg.ToolChoice; c != nil && c.Tool != nil {
		for _, spec := range specs {
			if spec.Name == c.Tool.Name {
				return spec, true
			}
		}
		return toolSpec{}, false
	}
	if c := cfg.ToolChoice; c != nil && c.Any != nil {
		return specs[0], true
	}
	promptWords := significantWords(prompt)
	for _, spec := range specs {
		for w := range significantWords(spec.Name + " " + spec.Description) {
			if promptWords[w] {
				return spec, true
			}
		}
	}
	return toolSpec{}, false
}

// significantWords are the lower-cased words of four letters or more, split at
// anything that is not a letter (so "get_weather" yields "weather").
func significantWords(s string) map[string]bool {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) >= 4 {
			words[w] = true
		}
	}
	return words
}

func capitalise(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}
