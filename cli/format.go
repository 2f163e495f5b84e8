package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/humanize"
)

// newTable returns a tabwriter for aligned columns; call Flush when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes one table row; in plain string cells tabs and newlines become
// spaces and other control characters are shown visibly (see visible);
// painted cells are printed as they are.
func row(w io.Writer, cells ...any) {
	w.Write(appendRow(make([]byte, 0, 256), cells...))
}

// appendRow appends the line row writes to b.
func appendRow(b []byte, cells ...any) []byte {
	for i, c := range cells {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, cellText(c)...)
	}
	return append(b, '\n')
}

// cellText is a table cell's text: a painted cell as it is, anything else
// shown visibly.
func cellText(c any) string {
	switch c := c.(type) {
	case painted:
		return string(c)
	case string:
		return cell(c)
	}
	return cell(fmt.Sprint(c))
}

// field writes one "Key: value" line of a details view, aligned by the
// tabwriter; value is shown as a table cell is.
func field(w io.Writer, key string, value any) {
	if value == "" {
		value = "-"
	}
	fmt.Fprintf(w, "%s:\t%s\n", key, cellText(value))
}

// cell returns s for one line of a table: tabs and newlines become spaces
// and other control characters are shown visibly.
func cell(s string) string {
	if printableASCII(s) {
		return s // the common case, without a copy
	}
	return visible(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		return r
	}, s))
}

// printableASCII reports whether s has only bytes from space to "~".
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// visible returns s with every control character but newline and tab
// written in caret notation, as `cat -v` does: ESC is "^[", CR "^M", DEL
// "^?", and a C1 character such as CSI (U+009B) "M-^[". Text from the
// server (names, descriptions, messages) goes through it before it reaches
// a terminal, so stored escape sequences cannot rewrite the screen.
func visible(s string) string {
	if !strings.ContainsFunc(s, needsCaret) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !needsCaret(r):
			b.WriteRune(r)
		case r == 0x7f:
			b.WriteString("^?")
		case r < 0x20:
			b.WriteByte('^')
			b.WriteRune(r + 0x40)
		default: // C1: 0x80–0x9f
			b.WriteString("M-^")
			b.WriteRune(r - 0x80 + 0x40)
		}
	}
	return b.String()
}

// needsCaret reports whether visible rewrites r.
func needsCaret(r rune) bool {
	return r != '\n' && r != '\t' && (r < 0x20 || (r >= 0x7f && r <= 0x9f))
}

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if len(s) <= n && singleSpaced(s) {
		return s // short, one line, spaced once: as it is, without a copy
	}
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// singleSpaced reports whether s is printable ASCII whose words are
// separated by single spaces, with none at either end: what truncate
// would make of it.
func singleSpaced(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		case c < ' ' || c > '~':
			return false
		}
	}
	return true
}

// formatTime renders t in local time with how long ago it was:
// "2026-11-26 15:05 (3h ago)".
func formatTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04") + " (" + ago(now.Sub(t)) + ")"
}

// formatTimePtr is formatTime for an optional time.
func formatTimePtr(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return formatTime(*t, now)
}

// ago renders a duration in the past as "just now", "5m ago", "3h ago", "12d ago".
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in " + span(-d)
	case d < time.Minute:
		return "just now"
	}
	return span(d) + " ago"
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// formatBytes renders a byte count with a binary unit: "512 B", "1.5 MiB".
func formatBytes(n int64) string { return humanize.Bytes(n) }

// yesNo renders a boolean as "yes" or "no".
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// trimNewline removes a trailing "\n" or "\r\n".
func trimNewline(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// plural returns "1 file" or "3 files".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// checkActivation tells what the runtime did with a deploy that is now
// current: a note on stderr while a separate runtime has yet to switch,
// and an error (exit 1) when it could not — the deploy is recorded and
// current either way, and the history says so until a runtime runs it.
func checkActivation(errOut io.Writer, d *dagdeck.Deploy) error {
	if d == nil || d.Activation == nil {
		return nil
	}
	switch d.Activation.State {
	case dagdeck.ActivationPending:
		fmt.Fprintf(errOut, "Deploy #%d is current; the Deployment's runtime switches to it at its next poll.\n", d.Sequence)
	case dagdeck.ActivationFailed:
		return fmt.Errorf("deploy #%d is recorded and current, but the runtime could not switch to it: %s (`dagdeck deployment inspect` shows it until a runtime runs it)", d.Sequence, visible(d.Activation.Error))
	}
	return nil
}
