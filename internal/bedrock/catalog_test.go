package bedrock

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modelcert/modelcert-operator/internal/bedrocksim"
	"github.com/modelcert/modelcert-operator/internal/certify"
)

func TestListFoundationModels(t *testing.T) {
	_, endpoint := startSim(t)
	models, err := ListFoundationModels(context.Background(), Config{Region: "eu-west-1", Endpoint: endpoint,
		Credentials: Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}})
	if err != nil {
		t.Fatalf("ListFoundationModels: %v", err)
	}
	byID := map[string]FoundationModel{}
	for _, m := range models {
		byID[m.ID] = m
	}
	want := map[string]FoundationModel{
		"amazon.nova-lite-v1:0": {ID: "amazon.nova-lite-v1:0", Provider: "Amazon", InputModalities: []string{"TEXT", "IMAGE"},
			OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "ACTIVE"},
		"amazon.titan-text-express-v1": {ID: "amazon.titan-text-express-v1", Provider: "Amazon", InputModalities: []string{"TEXT"},
			OutputModalities: []string{"TEXT"}, InferenceTypes: []string{"ON_DEMAND"}, Lifecycle: "LEGACY"},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, byID[id]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
	if _, ok := byID["meta.llama3-8b-instruct-v1:0"]; ok {
		t.Error("eu-west-1 lists meta.llama3-8b-instruct-v1:0, which the catalog offers elsewhere only")
	}
}

// A refused call keeps its category, as a run's would, so the set can say why a region failed.
func TestListFoundationModelsClassifiesErrors(t *testing.T) {
	srv := httptest.NewServer(bedrocksim.New(nil, bedrocksim.WithAccessKeys(map[string]string{"AKIDKNOWN": "known-secret"})))
	t.Cleanup(srv.Close)
	_, err := ListFoundationModels(context.Background(), Config{Region: "us-east-1", Endpoint: srv.URL, MaxAttempts: 1,
		Credentials: Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "nope"}})
	var me *certify.ModelError
	if !errors.As(err, &me) || me.Category != certify.CategoryAuthentication {
		t.Fatalf("err = %v, want an AUTHENTICATION_ERROR", err)
	}
	if _, err := ListFoundationModels(context.Background(), Config{Endpoint: srv.URL}); err == nil {
		t.Error("ListFoundationModels without a region succeeded")
	}
}
