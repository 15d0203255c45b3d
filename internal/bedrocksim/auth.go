package bedrocksim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ExpiredAccessKey is the access key id that the simulator treats as expired
// credentials: every request signed with it fails with ExpiredTokenException.
const ExpiredAccessKey = "EXPIRED"

// sigV4 is the parsed Authorization header of a SigV4-signed request.
type sigV4 struct {
	accessKeyID, date, region, service string
	signedHeaders                      []string
	signature                          string
}

// parseSigV4 reads "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/bedrock/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=…".
func parseSigV4(r *http.Request) (sigV4, *apiError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return sigV4{}, unrecognizedClientError()
	}
	algorithm, params, ok := strings.Cut(header, " ")
	if !ok || algorithm != "AWS4-HMAC-SHA256" {
		return sigV4{}, invalidSignatureError()
	}
	var sig sigV4
	for _, param := range strings.Split(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		switch name {
		case "Credential":
			scope := strings.Split(value, "/")
			if len(scope) != 5 || scope[0] == "" || scope[2] == "" || scope[4] != "aws4_request" {
				return sigV4{}, invalidSignatureError()
			}
			sig.accessKeyID, sig.date, sig.region, sig.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			sig.signedHeaders = strings.Split(value, ";")
		case "Signature":
			sig.signature = value
		}
	}
	if sig.accessKeyID == "" {
		return sigV4{}, invalidSignatureError()
	}
	return sig, nil
}

// authenticate returns the region a request is signed for. With known keys (WithAccessKeys)
// it also checks the signature as AWS does: an unknown access key is
// UnrecognizedClientException, a signature made with another secret InvalidSignatureException.
// Without them any key is accepted and only the credential scope is read.
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	sig, apiErr := parseSigV4(r)
	if apiErr != nil {
		return "", apiErr
	}
	if sig.accessKeyID == ExpiredAccessKey {
		return "", expiredTokenError()
	}
	if s.accessKeys == nil {
		return sig.region, nil
	}
	secret, known := s.accessKeys[sig.accessKeyID]
	if !known {
		return "", unrecognizedClientError()
	}
	if !validSignature(r, sig, secret) {
		return "", invalidSignatureError()
	}
	return sig.region, nil
}

// validSignature signs a copy of the request's signed parts with the known secret, using the
// SDK's own signer, and compares the signatures. The body is read and put back.
func validSignature(r *http.Request, sig sigV4, secret string) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || signedAt.Format("20060102") != sig.date {
		return false
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	u, err := url.Parse("http://" + r.Host + r.URL.RequestURI())
	if err != nil {
		return false
	}
	clone := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}, ContentLength: r.ContentLength}
	for _, name := range sig.signedHeaders {
		if name != "host" && name != "content-length" {
			clone.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	creds := aws.Credentials{AccessKeyID: sig.accessKeyID, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, clone, payloadHash, sig.service, sig.region, signedAt); err != nil {
		return false
	}
	want, apiErr := parseSigV4(clone)
	return apiErr == nil && subtle.ConstantTimeCompare([]byte(want.signature), []byte(sig.signature)) == 1
}
