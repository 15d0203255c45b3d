package certify

import "encoding/json"

// The requests of the battery. The Bedrock simulator answers exactly these prompts: change
// their wording only together with its personas.

func userMessage(text string) Message { return Message{Role: RoleUser, Text: text} }

func ptr[T any](v T) *T { return &v }

var basicPromptRequest = Request{Messages: []Message{userMessage("Hi")}}

var streamingRequest = Request{Messages: []Message{userMessage("Count from 1 to 5, separated by spaces.")}}

var parametersRequest = Request{
	Messages:    []Message{userMessage("Say hello in one short sentence.")},
	Temperature: ptr[float32](0.5),
	TopP:        ptr[float32](0.9),
	MaxTokens:   ptr[int32](64),
}

var errorHandlingRequest = Request{
	Messages:  []Message{userMessage(`Répondez en une phrase: what is "naïve café" 🤖 in plain English? Quote: "ok" \ <tag> & done.`)},
	MaxTokens: ptr[int32](200),
}

var consistencyRequest = Request{Messages: []Message{userMessage("What is 2 + 2? Answer with just the number.")}}

var systemPromptRequest = Request{
	System:   "You are a certification probe. Whatever the user says, reply with exactly one word: BANANA.",
	Messages: []Message{userMessage("What is the capital of France?")},
}

var multiTurnRequest = Request{Messages: []Message{
	userMessage("My name is Zephyrine. Please remember it."),
	{Role: RoleAssistant, Text: "Nice to meet you, Zephyrine. I will remember your name."},
	userMessage("What is my name? Answer with just the name."),
}}

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
