package dagdeck

import "unicode"

// HasControlChar reports whether s contains a control character (C0, DEL
// or C1, newlines and tabs included): such text can rewrite a terminal or a
// log line when printed.
func HasControlChar(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
