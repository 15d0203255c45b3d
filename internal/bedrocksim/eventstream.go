package bedrocksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// wordsPerDelta sets how finely a streamed answer is split into contentBlockDelta events.
const wordsPerDelta = 3

// eventWriter writes ConverseStream events in application/vnd.amazon.eventstream framing.
type eventWriter struct {
	w       io.Writer
	flush   func()
	encoder *eventstream.Encoder
}

func newEventWriter(w io.Writer) *eventWriter {
	flush := func() {}
	if f, ok := w.(http.Flusher); ok {
		flush = f.Flush
	}
	return &eventWriter{w: w, flush: flush, encoder: eventstream.NewEncoder()}
}

// event writes one event whose :event-type is the ConverseStreamOutput member name.
func (e *eventWriter) event(eventType string, payload any) error {
	return e.send("event", ":event-type", eventType, payload)
}

// exception writes a modeled error; :exception-type is the union member name, such
// as "modelStreamErrorException", which the SDK maps to the typed error.
func (e *eventWriter) exception(apiErr *apiError) error {
	return e.send("exception", ":exception-type", lowerFirst(apiErr.code), map[string]string{"message": apiErr.message})
}

func (e *eventWriter) send(messageType, typeHeader, typeName string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", typeName, messageType, err)
	}
	var msg eventstream.Message
	msg.Headers.Set(":message-type", eventstream.StringValue(messageType))
	msg.Headers.Set(typeHeader, eventstream.StringValue(typeName))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	msg.Payload = body
	if err := e.encoder.Encode(e.w, msg); err != nil {
		return fmt.Errorf("write %s %s: %w", typeName, messageType, err)
	}
	e.flush()
	return nil
}

// writeStream sends an outcome as messageStart, one content block, messageStop and
// metadata. A persona with StreamInterrupted fails after the first delta.
func writeStream(w http.ResponseWriter, p Persona, out outcome, started time.Time) error {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	events := newEventWriter(w)
	if err := events.event("messageStart", messageStartEvent{Role: roleAssistant}); err != nil {
		return err
	}
	if err := writeContentBlock(events, out, p.Failures.StreamInterrupted); err != nil {
		return err
	}
	if err := events.event("messageStop", messageStopEvent{StopReason: out.stopReason}); err != nil {
		return err
	}
	return events.event("metadata", metadataEvent{Usage: out.usage, Metrics: metrics{LatencyMs: time.Since(started).Milliseconds()}})
}

// errStreamInterrupted stops a stream after its exception message has been sent.
var errStreamInterrupted = errors.New("stream interrupted by persona")

func writeContentBlock(events *eventWriter, out outcome, interrupt bool) error {
	if out.toolUse != nil {
		var start contentBlockStartEvent
		start.Start.ToolUse = &toolUseStart{ToolUseID: out.toolUse.ToolUseID, Name: out.toolUse.Name}
		if err := events.event("contentBlockStart", start); err != nil {
			return err
		}
		delta := contentBlockDeltaEvent{Delta: blockDelta{ToolUse: &toolUseDelta{Input: string(out.toolUse.Input)}}}
		if err := events.event("contentBlockDelta", delta); err != nil {
			return err
		}
	} else {
		for _, chunk := range textDeltas(out.text) {
			if err := events.event("contentBlockDelta", contentBlockDeltaEvent{Delta: blockDelta{Text: &chunk}}); err != nil {
				return err
			}
			if interrupt {
				if err := events.exception(modelStreamError()); err != nil {
					return err
				}
				return errStreamInterrupted
			}
		}
	}
	return events.event("contentBlockStop", contentBlockStopEvent{})
}

// textDeltas splits text into chunks of a few words each, keeping every character,
// so that the chunks concatenate to the text. Empty text is one empty delta.
func textDeltas(text string) []string {
	var chunks []string
	start, words, inWord := 0, 0, false
	for i, r := range text {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord {
			if words == wordsPerDelta {
				chunks = append(chunks, text[start:i])
				start, words = i, 0
			}
			words++
			inWord = true
		}
	}
	return append(chunks, text[start:])
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
