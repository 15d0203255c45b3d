package bedrocksim

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
)

func TestConverseRoundTrip(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")

	out, text := converse(t, client, "amazon.nova-lite-v1:0", &bedrockruntime.ConverseInput{
		Messages: []types.Message{userMessage("Count from 1 to 5, separated by spaces.")},
	})
	if text != "1 2 3 4 5" {
		t.Errorf("text = %q, want %q", text, "1 2 3 4 5")
	}
	if out.StopReason != types.StopReasonEndTurn {
		t.Errorf("stopReason = %q, want end_turn", out.StopReason)
	}
	wantUsage := &types.TokenUsage{InputTokens: aws.Int32(8), OutputTokens: aws.Int32(5), TotalTokens: aws.Int32(13)}
	if diff := cmp.Diff(wantUsage, out.Usage, cmp.AllowUnexported(types.TokenUsage{})); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if out.Metrics == nil || out.Metrics.LatencyMs == nil {
		t.Errorf("metrics.latencyMs missing")
	}
	if got, want := s.Calls("amazon.nova-lite-v1:0"), (CallCounts{Converse: 1}); got != want {
		t.Errorf("Calls = %+v, want %+v", got, want)
	}
}

func TestConverseLimits(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-west-2")
	essay := "Write a long essay about the history of the ocean, at least 500 words."

	tests := []struct {
		name       string
		model      string
		prompt     string
		config     *types.InferenceConfiguration
		wantStop   types.StopReason
		wantOutput int32
		wantText   string
	}{
		{name: "maxTokens truncates", model: "amazon.nova-lite-v1:0", prompt: essay,
			config: &types.InferenceConfiguration{MaxTokens: aws.Int32(10)}, wantStop: types.StopReasonMaxTokens, wantOutput: 10},
		{name: "ignoresMaxTokens answers past the limit", model: "sim.ignores-max-tokens-v1", prompt: essay,
			config: &types.InferenceConfiguration{MaxTokens: aws.Int32(10)}, wantStop: types.StopReasonEndTurn, wantOutput: 600},
		{name: "stop sequence cuts", model: "amazon.nova-lite-v1:0", prompt: "Count from 1 to 20, separated by commas.",
			config:   &types.InferenceConfiguration{StopSequences: []string{", 4"}},
			wantStop: types.StopReasonStopSequence, wantOutput: 3, wantText: "1, 2, 3"},
		{name: "limit before stop sequence wins", model: "amazon.nova-lite-v1:0", prompt: "Count from 1 to 20, separated by commas.",
			config:   &types.InferenceConfiguration{MaxTokens: aws.Int32(2), StopSequences: []string{", 4"}},
			wantStop: types.StopReasonMaxTokens, wantOutput: 2, wantText: "1, 2,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, text := converse(t, client, tt.model, &bedrockruntime.ConverseInput{
				Messages: []types.Message{userMessage(tt.prompt)}, InferenceConfig: tt.config,
			})
			if out.StopReason != tt.wantStop {
				t.Errorf("stopReason = %q, want %q", out.StopReason, tt.wantStop)
			}
			if got := *out.Usage.OutputTokens; got < tt.wantOutput || (tt.wantStop != types.StopReasonEndTurn && got != tt.wantOutput) {
				t.Errorf("outputTokens = %d, want %d", got, tt.wantOutput)
			}
			if tt.wantText != "" && text != tt.wantText {
				t.Errorf("text = %q, want %q", text, tt.wantText)
			}
		})
	}
}

func TestConverseBattery(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "eu-west-1")
	banana := []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are a test fixture. Whatever the user says, reply with exactly one word: BANANA."}}

	tests := []struct {
		name  string
		model string
		in    bedrockruntime.ConverseInput
		want  string // a pattern the answer matches: personas phrase answers in several ways
	}{
		{"system prompt obeyed", "amazon.nova-lite-v1:0",
			bedrockruntime.ConverseInput{System: banana, Messages: []types.Message{userMessage("What is the capital of France?")}}, "BANANA"},
		{"system prompt ignored", "sim.ignores-system-prompt-v1",
			bedrockruntime.ConverseInput{System: banana, Messages: []types.Message{userMessage("What is the capital of France?")}}, "Paris"},
		{"multi-turn recall", "anthropic.claude-3-haiku-20240307-v1:0",
			bedrockruntime.ConverseInput{Messages: []types.Message{
				userMessage("My name is Zephyrine. Please remember it."),
				assistantMessage("Nice to meet you, Zephyrine!"),
				userMessage("What is my name? Answer with just the name."),
			}}, "Zephyrine"},
		{"empty answers", "sim.empty-answers-v1",
			bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("Hi")}}, "^$"},
		{"image colour", "anthropic.claude-3-haiku-20240307-v1:0",
			bedrockruntime.ConverseInput{Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: solidPNG(t, 0, 0, 230)}}},
				&types.ContentBlockMemberText{Value: "What colour is this image? Answer with one word."},
			}}}}, "(?i)blue"},
		{"arithmetic", "amazon.titan-text-express-v1",
			bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("What is 2 + 2? Answer with just the number.")}}, `(?i)\b(4|four)\b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, text := converse(t, client, tt.model, &tt.in)
			if !regexp.MustCompile(tt.want).MatchString(text) {
				t.Errorf("text = %q, want it to match %q", text, tt.want)
			}
		})
	}
}

func TestConverseToolUse(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"city": map[string]any{"type": "string"},
			"unit": map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
			"days": map[string]any{"type": "integer"},
		},
		"required": []any{"city", "unit"},
	}
	in := func() *bedrockruntime.ConverseInput {
		return &bedrockruntime.ConverseInput{
			Messages: []types.Message{userMessage("What is the weather in Paris right now?")},
			ToolConfig: &types.ToolConfiguration{
				Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
					Name:        aws.String("get_weather"),
					InputSchema: &types.ToolInputSchemaMemberJson{Value: documentOf(schema)},
				}}},
				ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_weather")}},
			},
		}
	}
	type weatherInput struct {
		City *string `document:"city"`
		Unit *string `document:"unit"`
		Days *int    `document:"days"`
	}
	tests := []struct {
		model string
		want  weatherInput
	}{
		{"amazon.nova-lite-v1:0", weatherInput{City: aws.String("Paris"), Unit: aws.String("celsius"), Days: aws.Int(1)}},
		{"sim.malformed-tool-input-v1", weatherInput{Unit: aws.String("celsius"), Days: aws.Int(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			out, _ := converse(t, client, tt.model, in())
			if out.StopReason != types.StopReasonToolUse {
				t.Errorf("stopReason = %q, want tool_use", out.StopReason)
			}
			msg := out.Output.(*types.ConverseOutputMemberMessage).Value
			toolUse, ok := msg.Content[0].(*types.ContentBlockMemberToolUse)
			if !ok {
				t.Fatalf("content[0] is %T, want a toolUse block", msg.Content[0])
			}
			if aws.ToString(toolUse.Value.Name) != "get_weather" || aws.ToString(toolUse.Value.ToolUseId) == "" {
				t.Errorf("toolUse name %q id %q", aws.ToString(toolUse.Value.Name), aws.ToString(toolUse.Value.ToolUseId))
			}
			var got weatherInput
			if err := toolUse.Value.Input.UnmarshalSmithyDocument(&got); err != nil {
				t.Fatalf("decode tool input: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tool input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConverseFailureModes(t *testing.T) {
	_, url := startSim(t, fastCatalog(t), WithHoldLimit(50*time.Millisecond))
	prompt := []types.Message{userMessage("Hi")}
	tests := []struct {
		name      string
		model     string
		region    string
		check     func(t *testing.T, err error)
		wantInMsg string
	}{
		{"unknown model", "no.such-model-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.ValidationException](t, err) },
			"The provided model identifier is invalid."},
		{"wrong region", "sim.wrong-region-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.ValidationException](t, err) },
			"The provided model identifier is invalid."},
		{"throttled", "sim.throttled-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.ThrottlingException](t, err) },
			"Too many requests"},
		{"access denied", "sim.access-denied-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.AccessDeniedException](t, err) },
			"is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/sim.access-denied-v1"},
		{"no model access", "sim.no-model-access-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.AccessDeniedException](t, err) },
			"You don't have access to the model with the specified model ID."},
		{"inference profile required", "sim.inference-profile-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.ValidationException](t, err) },
			"Invocation of model ID sim.inference-profile-v1 with on-demand throughput isn't supported."},
		{"never answers until the hold limit", "sim.never-answers-v1", "us-east-1", func(t *testing.T, err error) { asError[*types.ModelTimeoutException](t, err) },
			"Model has timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := runtimeClient(t, url, tt.region)
			_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(tt.model), Messages: prompt})
			if err == nil {
				t.Fatal("Converse succeeded, want an error")
			}
			tt.check(t, err)
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
			}
		})
	}
}

func TestConverseNeverAnswersReleasesWhenClientGivesUp(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started := time.Now()
	_, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("sim.never-answers-v1"), Messages: []types.Message{userMessage("Hi")}})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("Converse = %v, want the client's deadline to end it", err)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("Converse took %s after the deadline", elapsed)
	}
	if got := s.Calls("sim.never-answers-v1").Converse; got != 1 {
		t.Errorf("Converse calls = %d, want 1", got)
	}
}

func TestConverseThrottleScheduleIsRepeatable(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	var throttledCalls []int
	for call := 1; call <= 10; call++ {
		_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("sim.throttled-v1"), Messages: []types.Message{userMessage("Hi")}})
		if err != nil {
			asError[*types.ThrottlingException](t, err)
			throttledCalls = append(throttledCalls, call)
		}
	}
	if diff := cmp.Diff([]int{1, 4, 7}, throttledCalls); diff != "" {
		t.Errorf("throttled calls (-want +got):\n%s", diff)
	}
	if got := s.Calls("sim.throttled-v1").Converse; got != 10 {
		t.Errorf("Converse calls = %d, want 10", got)
	}
}

func TestConverseInferenceProfile(t *testing.T) {
	s, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	for _, id := range []string{"us.sim.inference-profile-v1", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.sim.inference-profile-v1"} {
		if _, text := converse(t, client, id, &bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("Hi")}}); text == "" {
			t.Errorf("Converse(%s) answered nothing", id)
		}
	}
	if got := s.Calls("sim.inference-profile-v1").Converse; got != 2 {
		t.Errorf("Converse calls = %d, want 2", got)
	}
}

func TestConverseValidation(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	hi := []types.Message{userMessage("Hi")}
	tests := []struct {
		name    string
		model   string
		in      bedrockruntime.ConverseInput
		wantMsg string
	}{
		{"temperature above 1", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: hi, InferenceConfig: &types.InferenceConfiguration{Temperature: aws.Float32(1.5)}}, "inferenceConfig.temperature"},
		{"topP below 0", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: hi, InferenceConfig: &types.InferenceConfiguration{TopP: aws.Float32(-0.5)}}, "inferenceConfig.topP"},
		{"maxTokens 0", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: hi, InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(0)}}, "inferenceConfig.maxTokens"},
		{"no messages", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: []types.Message{}}, "must start with a user message"},
		{"starts with assistant", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: []types.Message{assistantMessage("Hello")}}, "must start with a user message"},
		{"does not alternate", "amazon.nova-lite-v1:0", bedrockruntime.ConverseInput{Messages: []types.Message{userMessage("Hi"), userMessage("Hi")}}, "must alternate"},
		{"system prompt unsupported", "amazon.titan-text-express-v1", bedrockruntime.ConverseInput{Messages: hi,
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}}}, "doesn't support system messages"},
		{"image unsupported", "amazon.nova-micro-v1:0", bedrockruntime.ConverseInput{Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: solidPNG(t, 255, 0, 0)}}},
		}}}}, "image content block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ModelId = aws.String(tt.model)
			_, err := client.Converse(context.Background(), &tt.in)
			v := asError[*types.ValidationException](t, err)
			if !strings.Contains(v.ErrorMessage(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", v.ErrorMessage(), tt.wantMsg)
			}
		})
	}
}

func TestShutdownReleasesHeldRequests(t *testing.T) {
	s := New(fastCatalog(t))
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	client := runtimeClient(t, url, "us-east-1")
	result := make(chan error, 1)
	go func() {
		_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("sim.never-answers-v1"), Messages: []types.Message{userMessage("Hi")}})
		result <- err
	}()
	for s.Calls("sim.never-answers-v1").Converse == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	asError[*types.ServiceUnavailableException](t, <-result)
}

// TestRefusalsInBedrocksWords sends each feature to a persona without it and expects the
// ValidationException text Bedrock sends.
func TestRefusalsInBedrocksWords(t *testing.T) {
	_, url := startSim(t, fastCatalog(t))
	client := runtimeClient(t, url, "us-east-1")
	weather := types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name: aws.String("get_weather"), InputSchema: &types.ToolInputSchemaMemberJson{Value: documentOf(map[string]any{"type": "object"})}}}}}
	forced := func(choice types.ToolChoice) *types.ToolConfiguration {
		tc := weather
		tc.ToolChoice = choice
		return &tc
	}
	hello := []types.Message{userMessage("What is the weather in Paris?")}
	const llama4 = "us.meta.llama4-maverick-17b-instruct-v1:0"
	tests := []struct {
		name, model string
		stream      bool
		in          bedrockruntime.ConverseInput
		want        string
	}{
		{"system prompt", "mistral.mistral-7b-instruct-v0:2", false,
			bedrockruntime.ConverseInput{Messages: hello, System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}}},
			"This model doesn't support system messages. Try again without a system message or use a model that supports system messages."},
		{"tool use", "meta.llama3-8b-instruct-v1:0", false, bedrockruntime.ConverseInput{Messages: hello, ToolConfig: &weather},
			"This model doesn't support tool use."},
		{"tool use in streaming mode", llama4, true, bedrockruntime.ConverseInput{Messages: hello, ToolConfig: &weather},
			"This model doesn't support tool use in streaming mode."},
		{"toolChoice.tool", llama4, false, bedrockruntime.ConverseInput{Messages: hello,
			ToolConfig: forced(&types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_weather")}})},
			"This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again."},
		{"toolChoice.any", llama4, false, bedrockruntime.ConverseInput{Messages: hello,
			ToolConfig: forced(&types.ToolChoiceMemberAny{Value: types.AnyToolChoice{}})},
			"This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again."},
		{"image", "meta.llama3-8b-instruct-v1:0", false, bedrockruntime.ConverseInput{Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng,
				Source: &types.ImageSourceMemberBytes{Value: solidPNG(t, 255, 0, 0)}}}, &types.ContentBlockMemberText{Value: "Colour?"}}}}},
			"This model doesn't support the image content block that you provided. Update the content block and try again."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.ModelId = aws.String(tc.model)
			var err error
			if tc.stream {
				_, err = client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
					ModelId: in.ModelId, Messages: in.Messages, System: in.System, ToolConfig: in.ToolConfig})
			} else {
				_, err = client.Converse(context.Background(), &in)
			}
			if ve := asError[*types.ValidationException](t, err); aws.ToString(ve.Message) != tc.want {
				t.Fatalf("message = %q, want %q", aws.ToString(ve.Message), tc.want)
			}
		})
	}
	// The same model takes tools in Converse when it may choose.
	if _, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(llama4), Messages: hello, ToolConfig: &weather}); err != nil {
		t.Fatalf("Converse with tools, auto choice: %v", err)
	}
}
