package cli

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestVisible(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"plain text, é ✓", "plain text, é ✓"},
		{"\x1b[2Jcleared", "^[[2Jcleared"},
		{"\x1b]0;pwned\x07title", "^[]0;pwned^Gtitle"},
		{"ok\rFAKE", "ok^MFAKE"},
		{"del\x7f", "del^?"},
		{"csi\u009b2J", "csiM-^[2J"},
		{"keeps\nlines\tand tabs", "keeps\nlines\tand tabs"},
	} {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := cell("two\nlines\tand\x1b[1m"); got != "two lines and^[[1m" {
		t.Errorf("cell = %q", got)
	}
}

// TestDeploysList_ControlCharactersShownVisibly stores (as an older server
// could have) a description with escape sequences: the history and the
// details view show them as ^[ and write no raw control character.
func TestDeploysList_ControlCharactersShownVisibly(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployFailed, CreatedAt: testTime,
		CreatedBy: dagdeck.Actor{Name: "eve\x1b[8m"}, Description: "\x1b[2J\x1b]0;pwned\x07hidden\rFAKE", FailureReason: "cancelled by eve\x1b[0m"})
	for _, args := range [][]string{{"deploys", "list", "-d", "etl"}, {"deploys", "inspect", "#6", "-d", "etl"}} {
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, tio.errOut)
		}
		out := tio.out.String()
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Fatalf("%v wrote raw control characters:\n%q", args, out)
		}
		for _, want := range []string{"^[[2J^[]0;pwned^Ghidden", "eve^[[8m"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
}
