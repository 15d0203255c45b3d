package store

import "testing"

func TestMaskDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://app:s3cret@db:5432/certs?sslmode=disable", "postgres://app:xxxxx@db:5432/certs?sslmode=disable"},
		{"postgresql://app@db/certs", "postgresql://app@db/certs"},
		{"postgres://db/certs?user=app&password=s3cret", "postgres://db/certs?password=xxxxx&user=app"},
		{"host=db user=app password=s3cret dbname=certs", "host=db user=app password=xxxxx dbname=certs"},
		{`host=db password = 'it\'s s3cret' dbname=certs`, "host=db password = xxxxx dbname=certs"},
		{"host=db user=app", "host=db user=app"},
		// Malformed: an unescaped '/' and '@' in the password, a bad port.
		{"postgres://app:s3/cr@t@db:port/certs", "postgres://app:xxxxx@db:port/certs"},
		{"postgres://app:s3cret@db:99999999999/certs?password=s3cret", "postgres://app:xxxxx@db:99999999999/certs?password=xxxxx"},
		{"", ""},
	} {
		if got := MaskDSN(tc.dsn); got != tc.want {
			t.Errorf("MaskDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}
