package bedrocksim

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
)

// style is a way of phrasing answers seen in real model families.
type style int

const (
	terse    style = iota // the answer and little else
	chatty                // a sentence or two around it
	markdown              // bold, headings, italics
	fenced                // code fences and inline code
)

var allStyles = []style{terse, chatty, markdown, fenced}

// familyStyles are the styles each model family answers in, by model id prefix; other
// families (and sim.* personas) use them all.
var familyStyles = []struct {
	prefix string
	styles []style
}{
	{"amazon.titan", []style{terse, chatty}},
	{"amazon.nova", []style{markdown, terse, chatty}},
	{"anthropic.", []style{chatty, markdown, fenced}},
	{"meta.", []style{chatty, terse}},
	{"mistral.", []style{markdown, chatty, fenced}},
}

// phrasing picks one form among several: which style, which wording.
type phrasing struct {
	style style
	n     uint64
}

// phrasingFor derives the phrasing of one answer from the persona, the call number and the
// request, so that it is repeatable run to run yet varies between calls.
func phrasingFor(p Persona, req *converseRequest, call int) phrasing {
	h := fnv.New64a()
	h.Write([]byte(p.ID + "\x00" + strconv.Itoa(call) + "\x00" + systemText(req.System)))
	for _, m := range req.Messages {
		h.Write([]byte("\x00" + textOf(m)))
	}
	n := h.Sum64()
	styles := allStyles
	for _, f := range familyStyles {
		if strings.HasPrefix(p.ID, f.prefix) {
			styles = f.styles
			break
		}
	}
	return phrasing{style: styles[n%uint64(len(styles))], n: n / uint64(len(styles))}
}

func (ph phrasing) pick(forms []string) string { return forms[ph.n%uint64(len(forms))] }

// forms are the wordings of each kind of answer, by style. {answer} is the draft's answer,
// {about} what it answers; a capital letter ({Answer}) capitalises it; {words} is a number
// spelt out; {title}, {italic}, {slashed} and {pretty} format poems, essays and JSON.
var forms = map[kind]map[style][]string{
	kindGreeting: {
		terse:    {"Hello! How can I help?"},
		chatty:   {"Hello! How can I help you today?", "Hi there! What can I do for you?"},
		markdown: {"Hello! 👋 How can I help you today?"},
		fenced:   {"Hi! What would you like to work on?"},
	},
	kindNumber: {
		terse:    {"{about} = {answer}", "{answer}."},
		chatty:   {"{About} is {answer}.", "Sure! {about} equals {words}.", "The result of {about} is {answer}. Let me know if you need help with anything else!"},
		markdown: {"{about} = **{answer}**", "**Answer:** {answer}"},
		fenced:   {"```\n{about} = {answer}\n```"},
	},
	kindCapital: {
		terse:    {"{answer}.", "{answer}"},
		chatty:   {"The capital of {about} is {answer}.", "The capital of {about} is {answer}, a city with a long and rich history.", "Sure! {answer} is the capital of {about}."},
		markdown: {"**{answer}** is the capital of {about}.", "The capital of {about} is **{answer}**."},
		fenced:   {"The capital of {about} is `{answer}`."},
	},
	// Asked to count, models mostly just count; some fence it.
	kindCount: {terse: {"{answer}"}, chatty: {"{answer}"}, markdown: {"{answer}"}, fenced: {"```\n{answer}\n```"}},
	kindQuantity: {
		terse:    {"{answer}."},
		chatty:   {"You now have {answer} {about}.", "That makes {words} {about} in total."},
		markdown: {"You have **{answer}** {about}."},
		fenced:   {"You have `{answer}` {about}."},
	},
	kindName: {
		terse:    {"{answer}."},
		chatty:   {"Your name is {answer}.", "You told me your name is {answer}."},
		markdown: {"Your name is **{answer}**."},
		fenced:   {"Your name is `{answer}`."},
	},
	kindColour: {
		terse:    {"The image is {answer}."},
		chatty:   {"The image is mostly {answer}.", "It's a solid {answer} image."},
		markdown: {"The image is **{answer}**."},
		fenced:   {"The image is `{answer}`."},
	},
	kindHaiku: {
		terse:    {"{answer}", "{slashed}"},
		chatty:   {"Here's a haiku about {about}:\n\n{answer}", "{answer}\n\nI hope you enjoy it!"},
		markdown: {"**{title}**\n\n{italic}"},
		fenced:   {"```\n{answer}\n```"},
	},
	kindEssay: {
		terse:    {"{answer}"},
		chatty:   {"Certainly! Here is an essay about {about}:\n\n{answer}"},
		markdown: {"# {title}\n\n{answer}"},
		fenced:   {"{answer}"},
	},
	kindJSON: {
		terse:    {"{answer}"},
		chatty:   {"Here is the JSON object:\n\n```json\n{pretty}\n```\n\nLet me know if you need anything else!"},
		markdown: {"```json\n{pretty}\n```"},
		fenced:   {"```json\n{answer}\n```"},
	},
	kindGeneric: {
		terse:    {"It is a simple idea, easy to explain in plain English."},
		chatty:   {"Here is a short answer in plain English: it is a simple idea, and I am happy to explain it clearly.", "Good question! In short, it depends on the details, but I'm happy to go through them with you."},
		markdown: {"**In short:** it's a straightforward idea, and I can explain it step by step if you like."},
		fenced:   {"In plain terms: it's a straightforward idea, and I can explain it step by step if you like."},
	},
}

// briefForms word an answer the prompt wants alone ("just the number", "one word"), by kind.
// Even then chattier models add a word or some formatting.
var briefForms = map[kind]map[style][]string{
	kindNumber: {
		terse: {"{answer}", "{answer}."}, chatty: {"The answer is {answer}.", "{Words}."},
		markdown: {"**{answer}**"}, fenced: {"```\n{answer}\n```"},
	},
	kindQuantity: {
		terse: {"{answer}"}, chatty: {"You now have {answer} {about}.", "{Words}."},
		markdown: {"**{answer}**"}, fenced: {"`{answer}`"},
	},
	kindCapital: {terse: {"{answer}"}, chatty: {"{answer}."}, markdown: {"**{answer}**"}, fenced: {"`{answer}`"}},
	kindName:    {terse: {"{answer}"}, chatty: {"Your name is {answer}."}, markdown: {"**{answer}**"}, fenced: {"`{answer}`"}},
	kindWord:    {terse: {"{answer}", "{answer}."}, chatty: {"{answer}!"}, markdown: {"**{answer}**"}, fenced: {"`{answer}`"}},
	kindColour: {
		terse: {"{Answer}", "{Answer}."}, chatty: {"The image is {answer}.", "It's {answer}."},
		markdown: {"**{Answer}**"}, fenced: {"`{answer}`"},
	},
}

// phrase words a draft in the phrasing's style.
func (ph phrasing) phrase(d draft) string {
	if d.kind == kindGeneric && d.answer != "" {
		return d.answer
	}
	byStyle := forms[d.kind]
	if brief, ok := briefForms[d.kind]; ok && (d.brief || forms[d.kind] == nil) {
		byStyle = brief
	}
	form := ph.pick(byStyle[ph.style])
	lines := strings.Split(d.answer, "\n")
	italic := make([]string, len(lines))
	for i, l := range lines {
		italic[i] = "*" + l + "*"
	}
	return strings.NewReplacer(
		"{answer}", d.answer, "{Answer}", capitalise(d.answer),
		"{about}", d.about, "{About}", capitalise(d.about),
		"{words}", spellNumber(d.answer), "{Words}", capitalise(spellNumber(d.answer)),
		"{title}", titleCase(strings.TrimPrefix(d.about, "the ")),
		"{italic}", strings.Join(italic, "\n"), "{slashed}", strings.Join(lines, " / "),
		"{pretty}", prettyJSON(d.answer),
	).Replace(form)
}

// prettyJSON indents a JSON text, or returns it as it is when it is not JSON.
func prettyJSON(text string) string {
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(text), "", "  ") != nil {
		return text
	}
	return buf.String()
}

var (
	unitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tensWords = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// spellNumber writes a whole number from 0 to 999 in English words ("eighty-four"); anything
// else stays as it is.
func spellNumber(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 999 {
		return s
	}
	var parts []string
	if n >= 100 {
		parts = append(parts, unitWords[n/100]+" hundred")
		if n %= 100; n == 0 {
			return parts[0]
		}
		parts = append(parts, "and")
	}
	switch {
	case n < 20:
		parts = append(parts, unitWords[n])
	case n%10 == 0:
		parts = append(parts, tensWords[n/10])
	default:
		parts = append(parts, tensWords[n/10]+"-"+unitWords[n%10])
	}
	return strings.Join(parts, " ")
}
