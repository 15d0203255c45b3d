package bedrocksim

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// fastCatalog is the default catalog without latency, so tests only wait where they mean to.
func fastCatalog(t testing.TB) *Catalog {
	t.Helper()
	c := DefaultCatalog()
	for i := range c.Personas {
		c.Personas[i].LatencyFixed, c.Personas[i].LatencyJitter = 0, 0
	}
	return c
}

// startSim serves the catalog on a loopback port for the duration of the test.
func startSim(t testing.TB, c *Catalog, opts ...Option) (*Server, string) {
	t.Helper()
	s := New(c, opts...)
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop simulator: %v", err)
		}
	})
	return s, url
}

// sdkConfig is what a real client would use, with fake static credentials and no retries.
func sdkConfig(t testing.TB, url, region, accessKey string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, "fake-secret", "")),
		config.WithRetryMaxAttempts(1),
		config.WithBaseEndpoint(url),
	)
	if err != nil {
		t.Fatalf("load SDK config: %v", err)
	}
	return cfg
}

func runtimeClient(t testing.TB, url, region string) *bedrockruntime.Client {
	return bedrockruntime.NewFromConfig(sdkConfig(t, url, region, "AKIDSIMULATOR"))
}

func controlClient(t testing.TB, url, region string) *bedrock.Client {
	return bedrock.NewFromConfig(sdkConfig(t, url, region, "AKIDSIMULATOR"))
}

func userMessage(text string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}
}

func assistantMessage(text string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}
}

// converse sends one user prompt and returns the text of the reply.
func converse(t testing.TB, client *bedrockruntime.Client, modelID string, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, string) {
	t.Helper()
	in.ModelId = aws.String(modelID)
	out, err := client.Converse(context.Background(), in)
	if err != nil {
		t.Fatalf("Converse(%s): %v", modelID, err)
	}
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("Converse(%s) output is %T, want a message", modelID, out.Output)
	}
	var text string
	for _, block := range msg.Value.Content {
		if tb, ok := block.(*types.ContentBlockMemberText); ok {
			text += tb.Value
		}
	}
	return out, text
}

// asError is errors.As for a typed SDK error, failing the test when err is not one.
func asError[E error](t testing.TB, err error) E {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) is not a %T", err, err, target)
	}
	return target
}

func documentOf(v any) document.Interface { return document.NewLazyDocument(v) }

// solidPNG is an 8x8 PNG of one colour.
func solidPNG(t testing.TB, r, g, b uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			img.Set(x, y, color.RGBA{R: r, G: g, B: b, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("encode PNG: %v", err)
	}
	return buf.Bytes()
}

// each maps a slice, for comparing the ids in SDK outputs.
func each[T any](items []T, f func(T) string) []string {
	var out []string
	for _, item := range items {
		out = append(out, f(item))
	}
	return out
}
