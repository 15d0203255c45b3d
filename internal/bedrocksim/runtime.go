package bedrocksim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"
)

// maxRequestBytes bounds a Converse request body; images make them large, but not this large.
const maxRequestBytes = 32 << 20

// runtimeRequest is a routed, authenticated Converse or ConverseStream call.
type runtimeRequest struct {
	op         operation
	rawModelID string
	modelID    string
	viaProfile bool
	region     string
	call       int // 1-based number among this model's runtime calls
	started    time.Time
}

// outcome is a reply after stop sequences and token limits, ready to send.
type outcome struct {
	reply
	stopReason string
	usage      usage
}

func (s *Server) serveRuntime(w http.ResponseWriter, r *http.Request, rr runtimeRequest) {
	p, req, apiErr := s.admit(r, rr)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	if !s.wait(w, r, p.LatencyFixed+s.jitterFor(p.LatencyJitter)) {
		return
	}
	if p.Failures.NeverAnswers {
		// Hold until the client gives up, which is what this persona is for.
		if s.wait(w, r, s.holdLimit) {
			modelTimeoutError().write(w)
		}
		return
	}
	out := shape(p, req, s.answer(p, req, rr.call))
	if rr.op == opConverseStream {
		_ = writeStream(w, p, out, rr.started) // a failed write means the client went away
		return
	}
	var resp converseResponse
	resp.Output.Message = message{Role: roleAssistant, Content: []contentBlock{out.contentBlock()}}
	resp.StopReason = out.stopReason
	resp.Usage = out.usage
	resp.Metrics.LatencyMs = time.Since(rr.started).Milliseconds()
	writeJSON(w, resp)
}

// admit applies, in order, the checks that can refuse a call:
// model and region, permissions, inference type, throttling, then the request itself.
func (s *Server) admit(r *http.Request, rr runtimeRequest) (Persona, *converseRequest, *apiError) {
	p, ok := s.catalog.Load().Persona(rr.modelID)
	if !ok {
		return Persona{}, nil, invalidModelIDError()
	}
	// A profile of another geography or region does not exist for the caller; a plain model id
	// must be offered in the region.
	if rr.viaProfile {
		if _, _, callable := s.profileCall(rr.rawModelID, rr.region); !callable {
			return Persona{}, nil, invalidModelIDError()
		}
	} else if !p.OfferedIn(rr.region) {
		return Persona{}, nil, invalidModelIDError()
	}
	if p.Failures.AccessDenied {
		action := "bedrock:InvokeModel"
		if rr.op == opConverseStream {
			action = "bedrock:InvokeModelWithResponseStream"
		}
		return Persona{}, nil, accessDeniedError(action, modelARN(rr.region, p.ID))
	}
	if p.Failures.AccessNotGranted {
		return Persona{}, nil, accessNotGrantedError()
	}
	if !rr.viaProfile && !p.OnDemand() {
		return Persona{}, nil, onDemandUnsupportedError(rr.rawModelID)
	}
	if throttled(rr.call, p.Failures.ThrottleRate) {
		return Persona{}, nil, throttlingError()
	}
	var req converseRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBytes)).Decode(&req); err != nil {
		return Persona{}, nil, validationError("Malformed input request: %v, please reformat your input and try again.", err)
	}
	if err := validateConverse(p, &req, rr.op == opConverseStream); err != nil {
		return Persona{}, nil, err
	}
	return p, &req, nil
}

// throttled spreads throttling evenly: call n is throttled when it completes another
// whole multiple of the rate, so rate 0.3 throttles calls 1, 4, 7, 11, ... Unlike a
// shared random source this is repeatable even when calls run concurrently, and the
// SDK's retry of a throttled call succeeds.
func throttled(call int, rate float64) bool {
	if call <= 0 || rate <= 0 {
		return false
	}
	const scale = 1_000_000
	perMillion := int64(math.Round(rate * scale))
	ceilDiv := func(a int64) int64 { return (a + scale - 1) / scale }
	n := int64(call)
	return ceilDiv(n*perMillion) > ceilDiv((n-1)*perMillion)
}

func validateConverse(p Persona, req *converseRequest, stream bool) *apiError {
	if stream && !p.Streaming {
		return validationError("The model is unsupported for streaming.")
	}
	if len(req.Messages) == 0 || req.Messages[0].Role != roleUser {
		return validationError("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	for i, m := range req.Messages {
		if m.Role != roleUser && m.Role != roleAssistant {
			return validationError("1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", m.Role, i+1)
		}
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return validationError("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.")
		}
		if len(m.Content) == 0 {
			return validationError("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		if _, hasImage := imageOf(m); hasImage && !p.Vision {
			return validationError("This model doesn't support the image content block that you provided. Update the content block and try again.")
		}
	}
	if len(req.System) > 0 && !p.SystemPrompt {
		return validationError("This model doesn't support system messages. Try again without a system message or use a model that supports system messages.")
	}
	if req.ToolConfig != nil && !p.ToolUse {
		return validationError("This model doesn't support tool use.")
	}
	if req.ToolConfig != nil && stream && slices.Contains(p.Refuses, RefusesStreamingToolUse) {
		return validationError("This model doesn't support tool use in streaming mode.")
	}
	if choice := req.ToolConfig.choiceField(); choice != "" && slices.Contains(p.Refuses, RefusesToolChoice) {
		return validationError("This model doesn't support the toolConfig.toolChoice.%s field. Remove toolConfig.toolChoice.%s and try again.", choice, choice)
	}
	if req.ToolConfig != nil && req.ToolConfig.ToolChoice != nil && req.ToolConfig.ToolChoice.Tool != nil {
		if _, ok := chosenTool(req.ToolConfig, ""); !ok {
			return validationError("The tool %q named in toolChoice is not in toolConfig.tools.", req.ToolConfig.ToolChoice.Tool.Name)
		}
	}
	if cfg := req.InferenceConfig; cfg != nil {
		if cfg.MaxTokens != nil && *cfg.MaxTokens < 1 {
			return validationError("1 validation error detected: Value '%d' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1", *cfg.MaxTokens)
		}
		if err := validateUnitInterval("inferenceConfig.temperature", cfg.Temperature); err != nil {
			return err
		}
		if err := validateUnitInterval("inferenceConfig.topP", cfg.TopP); err != nil {
			return err
		}
	}
	return nil
}

func validateUnitInterval(field string, v *float64) *apiError {
	switch {
	case v == nil:
		return nil
	case *v < 0:
		return validationError("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", *v, field)
	case *v > 1:
		return validationError("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have value less than or equal to 1", *v, field)
	}
	return nil
}

// shape applies stop sequences and maxTokens to a reply and counts its tokens. A stop
// sequence wins only if it comes before the token limit, as in a real generation.
func shape(p Persona, req *converseRequest, rep reply) outcome {
	out := outcome{reply: rep, stopReason: stopEndTurn}
	if rep.toolUse != nil {
		out.stopReason = stopToolUse
		out.usage = newUsage(inputTokens(req), countWords(string(rep.toolUse.Input)))
		return out
	}
	var cfg inferenceConfig
	if req.InferenceConfig != nil {
		cfg = *req.InferenceConfig
	}
	text, stopped := cutAtStopSequence(rep.text, cfg.StopSequences)
	if stopped {
		out.stopReason = stopStopSequence
	}
	if cfg.MaxTokens != nil && !p.Failures.IgnoresMaxTokens {
		if truncated, cut := truncateWords(text, *cfg.MaxTokens); cut {
			text, out.stopReason = truncated, stopMaxTokens
		}
	}
	out.text = text
	out.usage = newUsage(inputTokens(req), countWords(text))
	return out
}

func newUsage(input, output int) usage {
	return usage{InputTokens: input, OutputTokens: output, TotalTokens: input + output}
}

func (o outcome) contentBlock() contentBlock {
	if o.toolUse != nil {
		return contentBlock{ToolUse: o.toolUse}
	}
	text := o.text
	return contentBlock{Text: &text}
}

func modelARN(region, modelID string) string {
	return fmt.Sprintf("arn:aws:bedrock:%s::foundation-model/%s", region, modelID)
}

// wait sleeps for d and reports whether the request should go on. When the server
// shuts down first it answers ServiceUnavailableException, so that no client is left
// with an empty response; when the client has gone there is nobody to answer.
func (s *Server) wait(w http.ResponseWriter, r *http.Request, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		serviceUnavailableError().write(w)
		return false
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		internalError(fmt.Errorf("encode response: %w", err)).write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
