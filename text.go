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

// ValidateText returns EINVALID, naming what the text is, if s contains a
// control character; with lines, newlines and tabs are allowed (free text
// such as descriptions and notes), without, nothing is (names).
func ValidateText(what, s string, lines bool) error {
	for i, r := range s {
		if unicode.IsControl(r) && !(lines && (r == '\n' || r == '\t')) {
			return Errorf(EINVALID, "%s contains the control character %U at byte %d; %s", what, r, i, allowedControls(lines))
		}
	}
	return nil
}

func allowedControls(lines bool) string {
	if lines {
		return "only newlines and tabs are allowed"
	}
	return "none is allowed"
}
