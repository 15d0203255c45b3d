package bedrocksim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/httpbinding"
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
	sig, apiErr := s.verify(r)
	return sig.region, apiErr
}

// authenticateKey returns the access key id that signed a request, checked as authenticate does.
func (s *Server) authenticateKey(r *http.Request) (string, *apiError) {
	sig, apiErr := s.verify(r)
	return sig.accessKeyID, apiErr
}

// verify parses a request's signature and, with known keys, checks it; the credentials
// AssumeRole handed out are known too.
func (s *Server) verify(r *http.Request) (sigV4, *apiError) {
	sig, apiErr := parseSigV4(r)
	if apiErr != nil {
		return sigV4{}, apiErr
	}
	if sig.accessKeyID == ExpiredAccessKey {
		return sigV4{}, expiredTokenError()
	}
	if s.accessKeys == nil {
		return sig, nil
	}
	secret, known := s.accessKeys[sig.accessKeyID]
	if !known {
		s.mu.Lock()
		secret, known = s.issuedKeys[sig.accessKeyID]
		s.mu.Unlock()
	}
	if !known {
		return sigV4{}, unrecognizedClientError()
	}
	if !validSignature(r, sig, secret) {
		return sigV4{}, invalidSignatureError()
	}
	return sig, nil
}

// validSignature computes the request's SigV4 signature with the known secret, from the
// headers the client says it signed, and compares it with the one sent. It builds the
// canonical request itself rather than re-signing with an SDK's signer, since clients differ in
// what they sign: the JavaScript SDK over HTTP/2 signs ":authority" where others sign "host".
// The body is read and put back.
func validSignature(r *http.Request, sig sigV4, secret string) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	amzDate := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, sig.date) {
		return false
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		payloadHash = hexSHA256(body)
	}
	var headers strings.Builder
	for _, name := range sig.signedHeaders {
		headers.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	canonicalRequest := strings.Join([]string{
		r.Method,
		// Services other than S3 escape the (already escaped) path once more.
		httpbinding.EscapePath(r.URL.EscapedPath(), false),
		canonicalQuery(r.URL.Query()),
		headers.String(),
		strings.Join(sig.signedHeaders, ";"),
		payloadHash,
	}, "\n")
	scope := strings.Join([]string{sig.date, sig.region, sig.service, "aws4_request"}, "/")
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonicalRequest))
	key := []byte("AWS4" + secret)
	for _, part := range []string{sig.date, sig.region, sig.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	return subtle.ConstantTimeCompare([]byte(want), []byte(sig.signature)) == 1
}

// canonicalHeaderValue is a signed header's value as SigV4 canonicalises it: values joined by
// commas, spaces trimmed and runs of spaces collapsed. The host is the request's authority.
func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host", ":authority":
		return r.Host
	case "content-length":
		if r.Header.Get("Content-Length") == "" && r.ContentLength >= 0 {
			return strconv.FormatInt(r.ContentLength, 10)
		}
	}
	values := r.Header.Values(name)
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalQuery sorts the query by name and value and escapes both as RFC 3986 says.
func canonicalQuery(query url.Values) string {
	escape := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var pairs []string
	for name, values := range query {
		for _, v := range values {
			pairs = append(pairs, escape(name)+"="+escape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
