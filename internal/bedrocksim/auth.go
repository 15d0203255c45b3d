package bedrocksim

import (
	"net/http"
	"strings"
)

// ExpiredAccessKey is the access key id that the simulator treats as expired
// credentials: every request signed with it fails with ExpiredTokenException.
const ExpiredAccessKey = "EXPIRED"

// regionOf reads the region from the SigV4 credential scope in
// "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/bedrock/aws4_request, ...".
// Signatures are not verified: the simulator only needs the region.
func regionOf(r *http.Request) (string, *apiError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return "", unrecognizedClientError()
	}
	algorithm, params, ok := strings.Cut(header, " ")
	if !ok || algorithm != "AWS4-HMAC-SHA256" {
		return "", invalidSignatureError()
	}
	for _, param := range strings.Split(params, ",") {
		value, ok := strings.CutPrefix(strings.TrimSpace(param), "Credential=")
		if !ok {
			continue
		}
		scope := strings.Split(value, "/")
		if len(scope) != 5 || scope[0] == "" || scope[2] == "" || scope[4] != "aws4_request" {
			return "", invalidSignatureError()
		}
		if scope[0] == ExpiredAccessKey {
			return "", expiredTokenError()
		}
		return scope[2], nil
	}
	return "", invalidSignatureError()
}
