package bedrock

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// STS limits on what names an assumed-role session.
const (
	maxSessionName = 64
	// sessionHashLen is the hex digits of a hash that keep a truncated session name unique.
	sessionHashLen = 8
)

// Session tag keys naming the object a session certifies; STS allows '.', '/' and '-' in keys.
const (
	SessionTagNamespace = "modelcert.io/namespace"
	SessionTagName      = "modelcert.io/name"
)

// sessionNameChars is the character set STS allows in RoleSessionName.
var sessionNameChars = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// ObjectSession names the assumed-role session of one object (modelcert-<namespace>-<name>)
// and tags it with the object's namespace and name, so that CloudTrail shows which
// certification made each call. A name over STS's 64 characters is cut and ends in a hash of
// the whole, so that two long names stay distinct.
func ObjectSession(namespace, name string) (sessionName string, tags map[string]string) {
	sessionName = "modelcert-" + namespace + "-" + name
	if len(sessionName) > maxSessionName {
		sum := sha256.Sum256([]byte(sessionName))
		sessionName = sessionName[:maxSessionName-sessionHashLen-1] + "-" + hex.EncodeToString(sum[:])[:sessionHashLen]
	}
	return sessionName, map[string]string{SessionTagNamespace: namespace, SessionTagName: name}
}
