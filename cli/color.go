package cli

import "github.com/dagdeck/dagdeck"

// ANSI colours used by the CLI, sparingly: status words and the marker of
// the current deploy.
const (
	colorNone  = "39" // the terminal's default foreground
	colorGreen = "32"
	colorRed   = "31"
	colorBold  = "1"
)

// palette paints text for stdout. The zero palette paints nothing.
//
// A painted table cell is longer than it looks, so the tabwriter would
// misalign it; every cell of a painted column is therefore wrapped in codes
// of the same length (colorNone for plain cells), header included.
type palette struct{ on bool }

// colors returns the palette for stdout. It is the one place that decides:
// colours only when stdout is a terminal, $NO_COLOR is unset or empty
// (https://no-color.org) and $TERM is not "dumb".
func (f *factory) colors() palette {
	return palette{on: f.stdoutTTY() && f.getenv("NO_COLOR") == "" && f.getenv("TERM") != "dumb"}
}

// painted is a table cell whose text was shown visibly (see cell) and
// then wrapped in colour codes: row and field print it as it is, while
// they escape every plain string, so only the palette's own codes reach
// the terminal.
type painted string

// paint shows s visibly and wraps it in the colour code (two digits) when
// the palette is on.
func (p palette) paint(code, s string) painted {
	s = cell(s)
	if !p.on {
		return painted(s)
	}
	if len(code) == 1 {
		code = "0" + code // keep every code two digits long, so widths match
	}
	return painted("\x1b[" + code + "m" + s + "\x1b[0m")
}

// plain paints s in the default colour: for the header and plain cells of
// a painted column.
func (p palette) plain(s string) painted { return p.paint(colorNone, s) }

// status paints a deploy status: DEPLOYED green, FAILED red.
func (p palette) status(s dagdeck.DeployStatus) painted {
	switch s {
	case dagdeck.DeployDeployed:
		return p.paint(colorGreen, string(s))
	case dagdeck.DeployFailed:
		return p.paint(colorRed, string(s))
	}
	return p.plain(string(s))
}

// failed paints a warning about a failure red.
func (p palette) failed(s string) painted { return p.paint(colorRed, s) }

// current paints the marker of the current deploy bold.
func (p palette) current(s string) painted { return p.paint(colorBold, s) }
