// Package certify runs a battery of checks against a model and judges the results into a verdict.
//
// It knows nothing of Kubernetes or SQL: it talks to models through the Model interface,
// which internal/bedrock implements over the AWS SDK.
package certify
