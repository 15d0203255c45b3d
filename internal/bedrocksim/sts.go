package bedrocksim

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AssumeRoleCall is what one AssumeRole request asked for, as STS would log it in CloudTrail.
type AssumeRoleCall struct {
	// SignedBy is the access key id that signed the request (the base credentials).
	SignedBy        string
	RoleARN         string
	RoleSessionName string
	ExternalID      string
	Tags            map[string]string
}

// AssumeRoleCalls returns the AssumeRole requests the simulator granted, oldest first.
func (s *Server) AssumeRoleCalls() []AssumeRoleCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AssumeRoleCall, len(s.assumeRoleCalls))
	for i, c := range s.assumeRoleCalls {
		c.Tags = maps.Clone(c.Tags)
		out[i] = c
	}
	return out
}

// STS's rules for the parameters the simulator checks, as the AssumeRole API documents them.
var (
	roleSessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern      = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	tagKeyPattern          = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValuePattern        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

// stsSessionDuration is how long the credentials handed out are valid (STS's default).
const stsSessionDuration = time.Hour

// isSTS says whether a request is an STS query-protocol call (a form POSTed to the root).
func isSTS(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == "") &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// serveSTS answers AssumeRole: the credentials it hands out are accepted by the simulator's
// Bedrock endpoints (also when it verifies signatures). Other STS actions are refused.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	signedBy, authErr := s.authenticateKey(r)
	if authErr != nil {
		writeSTSError(w, authErr)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeSTSError(w, &apiError{http.StatusBadRequest, "MalformedInput", err.Error()})
		return
	}
	form := r.PostForm
	if action := form.Get("Action"); action != "AssumeRole" {
		writeSTSError(w, &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, form.Get("Version"))})
		return
	}
	call := AssumeRoleCall{SignedBy: signedBy, RoleARN: form.Get("RoleArn"), RoleSessionName: form.Get("RoleSessionName"),
		ExternalID: form.Get("ExternalId"), Tags: map[string]string{}}
	for i := 1; form.Has("Tags.member." + strconv.Itoa(i) + ".Key"); i++ {
		prefix := "Tags.member." + strconv.Itoa(i)
		key, value := form.Get(prefix+".Key"), form.Get(prefix+".Value")
		if !tagKeyPattern.MatchString(key) || strings.HasPrefix(strings.ToLower(key), "aws:") || !tagValuePattern.MatchString(value) {
			writeSTSError(w, stsValidationError("1 validation error detected: Value at 'tags.%d.member.key' failed to satisfy constraint", i))
			return
		}
		call.Tags[key] = value
	}
	switch {
	case !strings.HasPrefix(call.RoleARN, "arn:") || !strings.Contains(call.RoleARN, ":role/"):
		writeSTSError(w, stsValidationError("%s is invalid", call.RoleARN))
		return
	case !roleSessionNamePattern.MatchString(call.RoleSessionName):
		writeSTSError(w, stsValidationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", call.RoleSessionName))
		return
	case form.Has("ExternalId") && (len(call.ExternalID) < 2 || len(call.ExternalID) > 1224 || !externalIDPattern.MatchString(call.ExternalID)):
		writeSTSError(w, stsValidationError("1 validation error detected: Value at 'externalId' failed to satisfy constraint"))
		return
	}

	n := s.requestSeq.Add(1)
	keyID, secret := fmt.Sprintf("ASIASIM%013d", n), fmt.Sprintf("sim-session-secret-%d", n)
	s.mu.Lock()
	s.assumeRoleCalls = append(s.assumeRoleCalls, call)
	if s.accessKeys != nil {
		s.issuedKeys[keyID] = secret
	}
	s.mu.Unlock()

	roleName := call.RoleARN[strings.LastIndex(call.RoleARN, "/")+1:]
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>sim-session-token-%d</SessionToken>`+
		`<Expiration>%s</Expiration></Credentials>`+
		`<AssumedRoleUser><AssumedRoleId>AROASIMULATOR:%s</AssumedRoleId><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn></AssumedRoleUser>`+
		`<PackedPolicySize>%d</PackedPolicySize></AssumeRoleResult>`+
		`<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		keyID, secret, n, time.Now().Add(stsSessionDuration).UTC().Format(time.RFC3339),
		xmlText(call.RoleSessionName), simAccountID, xmlText(roleName), xmlText(call.RoleSessionName),
		len(call.Tags), w.Header().Get("X-Amzn-Requestid"))
}

func stsValidationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// writeSTSError writes an error the way STS's query protocol does: XML, Sender or Receiver.
func writeSTSError(w http.ResponseWriter, e *apiError) {
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.status)
	_, _ = fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		kind, e.code, xmlText(e.message), w.Header().Get("X-Amzn-Requestid"))
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
