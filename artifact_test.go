package dagdeck_test

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestValidateDigest(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		digest string
		ok     bool
	}{
		{"sha256:" + hex, true},
		{dagdeck.DigestOf([]byte("x")), true},
		{"sha256:" + strings.ToUpper(hex), false},
		{"sha256:" + hex[1:], false},
		{"sha256:" + hex + "0", false},
		{"sha256:" + hex[1:] + "g", false},
		{"sha512:" + hex, false},
		{hex, false},
		{"sha256:" + hex[:63] + "/", false},
		{"", false},
	} {
		err := dagdeck.ValidateDigest(tc.digest)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateDigest(%q) = %v; want ok %v", tc.digest, err, tc.ok)
		} else if err != nil && dagdeck.ErrorCode(err) != dagdeck.EINVALID {
			t.Errorf("ValidateDigest(%q) = %v; want EINVALID", tc.digest, err)
		}
	}
}
