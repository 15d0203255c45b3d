package bedrocksim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
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

// A persona answers in two steps, as a model would: it works out what to say (a draft:
// the sum, the capital, the count, …) from the request in general terms, then phrases it in
// one of its family's styles. It understands simple arithmetic, counting, a table of capitals,
// facts stated earlier in the conversation, haiku and essay requests, JSON keys, image colours
// and system prompts that demand one word; nothing depends on one wording of a question.

// kind is the kind of answer a draft holds; phrasing.go has the forms of each.
type kind int

const (
	kindGeneric kind = iota
	kindGreeting
	kindNumber   // arithmetic: answer is the result, about the expression
	kindCapital  // answer is the city, about the country
	kindCount    // answer is the count, already separated
	kindQuantity // answer is how many, about the things counted
	kindName     // answer is the name the user gave
	kindWord     // answer is the one word a system prompt demands
	kindColour   // answer is the colour of an image
	kindHaiku    // answer is three lines, about the topic
	kindEssay    // answer is the essay, about the topic
	kindJSON     // answer is a compact JSON object
)

// draft is what a persona means to say, before a style phrases it.
type draft struct {
	kind   kind
	answer string
	about  string
	// brief reports that the prompt asked for the answer alone ("just the number", "one word").
	brief bool
}

var (
	oneWordSystemPattern = regexp.MustCompile(`(?i)(?:(?:exactly|only|just) (?:one|a single) word|only (?:ever )?(?:say|reply with|respond with|answer with))[:\s]+["'“]?([\p{L}\p{N}_-]+)`)
	countPattern         = regexp.MustCompile(`(?i)\bcount (?:up )?(?:from (-?\d+) )?to (-?\d+)`)
	separatorPattern     = regexp.MustCompile(`(?i)separated by (\w+)|(comma|space|semicolon)-separated|(one per line)`)
	arithmeticPattern    = regexp.MustCompile(`(?i)(-?\d+(?:\.\d+)?)\s*(\+|-|−|\*|×|x|/|÷|plus|minus|times|multiplied by|divided by)\s*(-?\d+(?:\.\d+)?)`)
	quantityPattern      = regexp.MustCompile(`(?i)\bhow many (\p{L}+) (?:do|did|will) I have\b`)
	nameIntroPattern     = regexp.MustCompile(`(?i)\b(?:my name is|call me) (\p{L}[\p{L}'-]*)`)
	nameQuestionPattern  = regexp.MustCompile(`(?i)what(?:'s| is) my name`)
	capitalPattern       = regexp.MustCompile(`(?i)\bcapital(?: city)? of (?:the )?(\p{L}[\p{L} .]*?)\s*(?:[?!,;:]|\.(?:\s|$)|$)`)
	essayPattern         = regexp.MustCompile(`(?i)\bessay\b`)
	wordTargetPattern    = regexp.MustCompile(`(?i)at least (\d+) words`)
	topicPattern         = regexp.MustCompile(`(?i)\b(?:about|on) (?:the )?([^,.!?\n]+)`)
	jsonKeyPattern       = regexp.MustCompile(`["'“”]?(\w+)["'“”]?\s*\((?:a|an)\s+(string|integer|number|boolean)\)`)
	haikuPattern         = regexp.MustCompile(`(?i)\bhaiku\b`)
	colourPattern        = regexp.MustCompile(`(?i)\bcolou?r\b`)
	greetingPattern      = regexp.MustCompile(`(?i)^\s*(hi|hello|hey|good (morning|afternoon|evening))\b[\s!.?,]*(there)?[\s!.?]*$`)
	sayHelloPattern      = regexp.MustCompile(`(?i)\bsay hello\b`)
	briefPattern         = regexp.MustCompile(`(?i)\b(?:just|only) the (?:number|name|word|answer|city)\b|\bone word\b|\bsingle word\b`)
)

// longestCount bounds "Count from A to B" so a hostile prompt cannot make a huge answer.
const longestCount = 1000

// answer runs the persona over a validated conversation. call numbers this model's runtime
// calls; with the request, it picks the phrasing, so that the same question asked twice may
// be worded differently, as a sampling model would.
func (s *Server) answer(p Persona, req *converseRequest, call int) reply {
	f := p.Failures
	ph := phrasingFor(p, req, call)
	last := req.Messages[len(req.Messages)-1]
	switch {
	case f.EmptyAnswers:
		return reply{}
	case f.CannedAnswer != "":
		return reply{text: f.CannedAnswer}
	case f.RefusesEverything:
		return reply{text: ph.pick(refusals)}
	case f.EchoesLastMessage:
		return reply{text: textOf(last)}
	case f.EchoesConversation:
		return reply{text: conversationText(req)}
	}
	if result, ok := toolResultText(last); ok {
		return reply{text: "According to the tool, the result is: " + result}
	}
	if spec, ok := chosenTool(req.ToolConfig, textOf(last)); ok {
		word := promptWord(textOf(last))
		if f.AnswersWrongly {
			word = wrongPlace(word)
		}
		input := toolInput(spec.InputSchema.JSON, word, f.MalformedToolInput)
		return reply{toolUse: &toolUseBlock{ToolUseID: s.nextToolUseID(), Name: spec.Name, Input: input}}
	}
	d := understand(p, req, ph.n)
	if f.AnswersWrongly {
		d = mistaken(d, req.Messages)
	}
	return reply{text: ph.phrase(d)}
}

// understand works out what a well-behaved model would answer; variant picks among equally
// good answers (which poem, which fictional person).
func understand(p Persona, req *converseRequest, variant uint64) draft {
	last := req.Messages[len(req.Messages)-1]
	prompt := textOf(last)
	if !p.Failures.IgnoresSystemPrompt {
		if m := oneWordSystemPattern.FindStringSubmatch(systemText(req.System)); m != nil {
			return draft{kind: kindWord, answer: m[1], brief: true}
		}
	}
	if img, ok := imageOf(last); ok {
		colour, err := dominantColour(img.Source.Bytes)
		if err != nil {
			return draft{answer: "I can't read this image; it does not look like a valid " + img.Format + " file."}
		}
		return draft{kind: kindColour, answer: colour, brief: colourPattern.MatchString(prompt)}
	}
	return understandText(prompt, req.Messages, variant)
}

// understandText answers a text prompt, given the conversation so far.
func understandText(prompt string, history []message, variant uint64) draft {
	brief := briefPattern.MatchString(prompt)
	switch {
	case greetingPattern.MatchString(prompt):
		return draft{kind: kindGreeting}
	case countPattern.MatchString(prompt):
		return draft{kind: kindCount, answer: countAnswer(prompt)}
	case quantityPattern.MatchString(prompt):
		noun := strings.ToLower(quantityPattern.FindStringSubmatch(prompt)[1])
		return draft{kind: kindQuantity, answer: strconv.Itoa(quantity(noun, history)), about: noun, brief: brief}
	case arithmeticPattern.MatchString(prompt):
		expr, value := arithmetic(prompt)
		return draft{kind: kindNumber, answer: value, about: expr, brief: brief}
	case nameQuestionPattern.MatchString(prompt):
		if name, ok := rememberedName(history); ok {
			return draft{kind: kindName, answer: name, brief: brief}
		}
		return draft{answer: "I'm sorry, you haven't told me your name yet."}
	case capitalPattern.MatchString(prompt):
		country := strings.TrimSpace(capitalPattern.FindStringSubmatch(prompt)[1])
		if city, ok := capitals[strings.ToLower(country)]; ok {
			return draft{kind: kindCapital, answer: city, about: titleCase(country), brief: brief}
		}
		return draft{answer: fmt.Sprintf("I'm not sure what the capital of %s is.", country)}
	case nameIntroPattern.MatchString(prompt):
		return draft{answer: fmt.Sprintf("Nice to meet you, %s! I'll remember your name.", nameIntroPattern.FindStringSubmatch(prompt)[1])}
	case sayHelloPattern.MatchString(prompt):
		return draft{kind: kindGreeting}
	case essayPattern.MatchString(prompt):
		return draft{kind: kindEssay, answer: essay(prompt), about: topicOf(prompt, "the subject")}
	case jsonKeyPattern.MatchString(prompt):
		return draft{kind: kindJSON, answer: jsonObjectAnswer(prompt, variant)}
	case haikuPattern.MatchString(prompt):
		topic := topicOf(prompt, "the day")
		return draft{kind: kindHaiku, answer: haiku(topic, variant), about: topic}
	}
	return draft{}
}

// refusals are how a persona that refuses everything declines.
var refusals = []string{
	"I'm sorry, but I can't help with that request.",
	"I apologize, but I'm unable to assist with that.",
	"As an AI language model, I cannot provide that information.",
}

// conversationText is everything the request says, system prompt first.
func conversationText(req *converseRequest) string {
	parts := []string{systemText(req.System)}
	for _, m := range req.Messages {
		parts = append(parts, textOf(m))
	}
	return strings.TrimSpace(strings.Join(parts, "\n\n"))
}

func countAnswer(prompt string) string {
	m := countPattern.FindStringSubmatch(prompt)
	from := 1
	if m[1] != "" {
		from, _ = strconv.Atoi(m[1])
	}
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
	switch strings.ToLower(m[1] + m[2] + m[3]) {
	case "comma", "commas":
		return ", "
	case "semicolon", "semicolons":
		return "; "
	case "newline", "newlines", "line", "lines", "one per line":
		return "\n"
	case "dash", "dashes", "hyphen", "hyphens":
		return "-"
	default:
		return " "
	}
}

// arithmetic evaluates the first "A op B" of the prompt, returning it as written and its value.
func arithmetic(prompt string) (expr, value string) {
	m := arithmeticPattern.FindStringSubmatch(prompt)
	a, _ := strconv.ParseFloat(m[1], 64)
	b, _ := strconv.ParseFloat(m[3], 64)
	expr = m[0]
	switch strings.ToLower(m[2]) {
	case "+", "plus":
		return expr, formatNumber(a + b)
	case "-", "−", "minus":
		return expr, formatNumber(a - b)
	case "*", "x", "×", "times", "multiplied by":
		return expr, formatNumber(a * b)
	}
	if b == 0 {
		return expr, "undefined"
	}
	return expr, formatNumber(a / b)
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// smallNumberWords are the number words quantity reads besides digits.
var smallNumberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}

var (
	amountPattern = regexp.MustCompile(`(?i)\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:more\s+|new\s+|other\s+|extra\s+)?(\p{L}+)(?:\s+(\p{L}+))?`)
	lossPattern   = regexp.MustCompile(`(?i)\b(?:gave away|give away|lost|sold|gave)\s*$`)
)

// quantity adds up what the user said they have of noun across the conversation: "I have 3
// cats" and later "I adopted 2 more cats" make 5; "I gave away 1 cat" takes one away.
func quantity(noun string, history []message) int {
	singular := strings.TrimSuffix(noun, "s")
	total := 0
	for _, m := range history {
		if m.Role != roleUser {
			continue
		}
		text := textOf(m)
		for _, idx := range amountPattern.FindAllStringSubmatchIndex(text, -1) {
			// The thing counted is the next word, or the one after an adjective ("3 black cats").
			things := []string{strings.ToLower(text[idx[4]:idx[5]])}
			if idx[6] >= 0 {
				things = append(things, strings.ToLower(text[idx[6]:idx[7]]))
			}
			if !slices.Contains(things, noun) && !slices.Contains(things, singular) {
				continue
			}
			amount := text[idx[2]:idx[3]]
			n, err := strconv.Atoi(amount)
			if err != nil {
				n = smallNumberWords[strings.ToLower(amount)]
			}
			if lossPattern.MatchString(text[:idx[0]]) {
				n = -n
			}
			total += n
		}
	}
	return total
}

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

// capitals is what a persona knows of geography, by lower-case country name.
var capitals = map[string]string{
	"japan": "Tokyo", "france": "Paris", "italy": "Rome", "germany": "Berlin", "spain": "Madrid",
	"portugal": "Lisbon", "united kingdom": "London", "uk": "London", "england": "London",
	"ireland": "Dublin", "united states": "Washington, D.C.", "usa": "Washington, D.C.", "canada": "Ottawa",
	"mexico": "Mexico City", "brazil": "Brasília", "argentina": "Buenos Aires", "peru": "Lima",
	"australia": "Canberra", "china": "Beijing", "india": "New Delhi", "south korea": "Seoul",
	"egypt": "Cairo", "kenya": "Nairobi", "russia": "Moscow", "greece": "Athens", "norway": "Oslo",
	"sweden": "Stockholm", "poland": "Warsaw", "netherlands": "Amsterdam", "turkey": "Ankara",
}

// topicOf is what a prompt asks to write about ("the history of the ocean" → "the ocean").
func topicOf(prompt, fallback string) string {
	m := topicPattern.FindStringSubmatch(prompt)
	if m == nil {
		return fallback
	}
	subject := strings.TrimPrefix(strings.TrimSpace(m[1]), "history of ")
	return "the " + strings.TrimPrefix(subject, "the ")
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
	topic := topicOf(prompt, "the subject")
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

// fictionalPeople fill a JSON object that asks for a person.
var fictionalPeople = []struct {
	name string
	age  int
}{{"Ada Quill", 36}, {"Marco Vento", 41}, {"Lena Okafor", 29}, {"Tomas Reyes", 52}}

// jsonObjectAnswer returns an object with the keys the prompt asks for, in its order.
func jsonObjectAnswer(prompt string, variant uint64) string {
	person := fictionalPeople[variant%uint64(len(fictionalPeople))]
	known := map[string]any{"name": person.name, "age": person.age}
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

// haikus are a persona's poems by topic word; a topic it has none for gets a poem that names it.
var haikus = map[string][]string{
	"sea": {
		"Waves fold into foam\nsalt wind carries the gull's cry\nthe tide keeps its time",
		"Grey swell, endless sea\nthe shore forgets each footprint\nfoam returns to blue",
		"Moonlight on the waves\na lone boat rocks in the dark\nthe ocean breathes slow",
	},
	"mountains": {
		"Granite peaks stand still\nsnow hides the narrow high pass\neagles own the sky",
		"Cold summit at dawn\nclouds gather below my boots\nthe ridge holds its breath",
	},
}

// haikuTopics map the words of a topic to the poems for it.
var haikuTopics = map[string]string{"sea": "sea", "ocean": "sea", "waves": "sea", "mountain": "mountains", "mountains": "mountains"}

func haiku(topic string, variant uint64) string {
	for _, w := range strings.Fields(strings.ToLower(topic)) {
		if poems, ok := haikus[haikuTopics[w]]; ok {
			return poems[variant%uint64(len(poems))]
		}
	}
	subject := strings.TrimPrefix(topic, "the ")
	return fmt.Sprintf("Quiet thoughts of %s\ndrift like thin clouds through the day\nthe light finds its shape", subject)
}

// wrongCapitals are the near misses of the fluent-but-wrong persona: a big city, not the capital.
var wrongCapitals = map[string]string{
	"Tokyo": "Osaka", "Paris": "Lyon", "Rome": "Milan", "Berlin": "Munich", "Madrid": "Barcelona",
	"Canberra": "Sydney", "Ottawa": "Toronto", "Washington, D.C.": "New York", "Ankara": "Istanbul",
}

// mistaken turns a right draft into a fluent wrong one: the same form, the wrong content.
func mistaken(d draft, history []message) draft {
	switch d.kind {
	case kindNumber:
		if n, err := strconv.ParseFloat(d.answer, 64); err == nil {
			d.answer = formatNumber(n + 1 + float64(len(d.about)%4))
		}
	case kindQuantity:
		// It forgets the earlier turns and counts only the last one.
		d.answer = strconv.Itoa(quantity(d.about, history[len(history)-1:]))
	case kindCapital:
		d.answer = wrongPlace(d.answer)
	case kindCount:
		sep := separatorOf(d.answer)
		numbers := strings.Split(d.answer, sep)
		if len(numbers) > 3 {
			numbers = slices.Delete(numbers, 3, 4)
		}
		d.answer = strings.Join(numbers, sep)
	case kindName:
		d.answer = "Alex"
	case kindWord:
		if strings.EqualFold(d.answer, "apple") {
			d.answer = "PEAR"
		} else {
			d.answer = "APPLE"
		}
	case kindColour:
		d.answer = otherColour(d.answer)
	case kindHaiku:
		d.about = "the mountains"
		d.answer = haiku(d.about, uint64(len(d.answer)))
	case kindJSON:
		d.answer = strings.NewReplacer(`"name"`, `"fullName"`, `"age"`, `"years"`).Replace(d.answer)
	}
	return d
}

// wrongPlace is a plausible place that is not the one meant.
func wrongPlace(place string) string {
	if wrong, ok := wrongCapitals[place]; ok {
		return wrong
	}
	if place == "London" {
		return "Paris"
	}
	return "London"
}

// separatorOf finds how a count was separated.
func separatorOf(count string) string {
	for _, sep := range []string{", ", "; ", "\n", "-", " "} {
		if strings.Contains(count, sep) {
			return sep
		}
	}
	return " "
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

// titleCase capitalises each word: "south korea" → "South Korea".
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = capitalise(w)
	}
	return strings.Join(words, " ")
}
