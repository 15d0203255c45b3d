package store

import (
	"net/url"
	"regexp"
	"strings"
)

const maskedPassword = "xxxxx"

var (
	// keywordPassword matches password=... in key=value connection strings, quoted or not.
	keywordPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
	// queryPassword matches a password query parameter in a URL.
	queryPassword = regexp.MustCompile(`([?&]password=)[^&#]*`)
)

// MaskDSN returns dsn with any password replaced, for logs and errors. It also handles
// connection strings too malformed to parse, since those are the ones that end up in errors.
func MaskDSN(dsn string) string {
	scheme, rest, isURL := strings.Cut(dsn, "://")
	if !isURL {
		return keywordPassword.ReplaceAllString(dsn, "${1}"+maskedPassword)
	}
	if u, err := url.Parse(dsn); err == nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), maskedPassword)
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", maskedPassword)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	// Unparseable, perhaps for an unescaped character in the password: mask everything from
	// the first ':' to the last '@', erring towards hiding too much.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, has := strings.Cut(rest[:at], ":"); has {
			rest = user + ":" + maskedPassword + rest[at:]
		}
	}
	return scheme + "://" + queryPassword.ReplaceAllString(rest, "${1}"+maskedPassword)
}
