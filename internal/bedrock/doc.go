// Package bedrock implements certify.Model over the AWS SDK's Bedrock control plane and Bedrock Runtime.
package bedrock
