package cli

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestRow_PaintedCellsKeepTheirCodesOnly(t *testing.T) {
	var b strings.Builder
	p := palette{on: true}
	row(&b, p.status(dagdeck.DeployFailed), "evil \x1b[2J title", p.failed("bad \x1b]0;x\x07"))
	got := b.String()
	if !strings.Contains(got, "\x1b[31mFAILED\x1b[0m") {
		t.Errorf("the status lost its colour: %q", got)
	}
	if !strings.Contains(got, "evil ^[[2J title") || !strings.Contains(got, "bad ^[]0;x^G") || strings.Count(got, "\x1b") != 4 {
		t.Errorf("control characters from text reached the terminal: %q", got)
	}
}
