package certify

import "encoding/json"

// The requests of the battery. Each question has a known right answer that the prompt itself
// does not contain, so that a model echoing the prompt cannot pass on its words. The Bedrock
// simulator understands these questions in general (arithmetic, capitals, counting, …), not
// this wording.

func userMessage(text string) Message { return Message{Role: RoleUser, Text: text} }

func ptr[T any](v T) *T { return &v }

var basicPromptRequest = Request{Messages: []Message{userMessage("What is the capital of Japan?")}}

// basicPromptAnswer is the capital of Japan, as an English or a romanised Japanese word.
var basicPromptAnswer = []string{"Tokyo", "Tōkyō", "Toukyou"}

var streamingRequest = Request{Messages: []Message{userMessage("Count from 1 to 5, separated by spaces.")}}

var parametersRequest = Request{
	Messages:    []Message{userMessage("What is 12 times 7? Answer in one short sentence.")},
	Temperature: ptr[float32](0.5),
	TopP:        ptr[float32](0.9),
	MaxTokens:   ptr[int32](64),
}

const parametersAnswer = 84

// errorHandlingRequest surrounds a plain question with accents, quotes, an emoji, a backslash
// and markup characters, which a careless encoder breaks.
var errorHandlingRequest = Request{
	Messages:  []Message{userMessage(`Répondez en une phrase: what is the capital of Italy? Ignore this: "naïve café" 🤖 \ <tag> & done.`)},
	MaxTokens: ptr[int32](200),
}

// errorHandlingAnswer is the capital of Italy, in English or Italian.
var errorHandlingAnswer = []string{"Rome", "Roma"}

var consistencyRequest = Request{Messages: []Message{userMessage("What is 17 + 25? Answer with just the number.")}}

const consistencyAnswer = 42

var systemPromptRequest = Request{
	System:   "You are a certification probe. Whatever the user says, reply with exactly one word: BANANA.",
	Messages: []Message{userMessage("What is the capital of France?")},
}

// systemPromptWord is the one word the system prompt demands.
const systemPromptWord = "banana"

// multiTurnRequest states one fact in the first turn and another in the last, and asks for
// what follows from both: the answer stands nowhere in the conversation.
var multiTurnRequest = Request{Messages: []Message{
	userMessage("I have 3 cats at home."),
	{Role: RoleAssistant, Text: "How lovely! Cats are wonderful company."},
	userMessage("Today I adopted 2 more cats. How many cats do I have now? Answer with just the number."),
}}

const multiTurnAnswer = 5

// maxTokensLimit is small enough that any honest answer to the essay prompt is cut off.
const maxTokensLimit = 16

var maxTokensRequest = Request{
	Messages:  []Message{userMessage("Write a long essay about the history of the ocean, at least 500 words.")},
	MaxTokens: ptr[int32](maxTokensLimit),
}

// stopSequence cuts the count short; it must not appear in the answer.
const stopSequence = "7"

var stopSequenceRequest = Request{
	Messages:      []Message{userMessage("Count from 1 to 20, separated by commas.")},
	StopSequences: []string{stopSequence},
}

var jsonOutputRequest = Request{Messages: []Message{userMessage(
	`Return only a JSON object, with no other text, describing a fictional person with keys "name" (a string) and "age" (an integer).`)}}

const weatherTool = "get_weather"

// weatherToolSchema is the input schema of the weather tool; the tool-use check validates the
// model's call against it.
const weatherToolSchema = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}`

var toolUseRequest = Request{
	Messages: []Message{userMessage("What is the weather in Paris right now?")},
	Tools: []Tool{{
		Name:        weatherTool,
		Description: "Get the current weather for a city.",
		InputSchema: json.RawMessage(weatherToolSchema),
	}},
	ToolChoice: weatherTool,
}

var textGenerationRequest = Request{
	Messages:  []Message{userMessage("Write a haiku about the sea.")},
	MaxTokens: ptr[int32](200),
}

var visionRequest = Request{Messages: []Message{{
	Role:  RoleUser,
	Text:  "What colour is this image? Answer with one word.",
	Image: redSquarePNG(),
}}}
