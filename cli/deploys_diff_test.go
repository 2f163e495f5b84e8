package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// diff answers GET /diff with the fake's pages: the first without a
// cursor, then the one after the page whose NextCursor is given.
func (a *fakeAPI) diff(w http.ResponseWriter, r *http.Request) {
	if !a.known(w, r) {
		return
	}
	a.mu.Lock()
	a.queries = append(a.queries, r.URL.RawQuery)
	a.mu.Unlock()
	cursor := r.URL.Query().Get("cursor")
	for i, p := range a.diffPages {
		if (i == 0 && cursor == "") || (i > 0 && a.diffPages[i-1].NextCursor == cursor) {
			writeJSON(w, 200, p)
			return
		}
	}
	writeErr(w, 400, dagdeck.EINVALID, "unknown cursor "+cursor)
}

// diffPages is a diff in two pages: a changed script, a new DAG, a mode
// change and a binary file.
func diffPages() []*dagdeck.DeployDiff {
	from := &dagdeck.Deploy{ID: "d1", Sequence: 1}
	to := &dagdeck.Deploy{ID: "d2", Sequence: 2}
	stat := dagdeck.DiffStat{Files: 4, Added: 1, Changed: 3}
	return []*dagdeck.DeployDiff{
		{From: from, To: to, Stat: stat, NextCursor: "dags/new.yaml", Files: []dagdeck.FileDiff{
			{Path: "dags/new.yaml", Part: "dags", Status: dagdeck.FileAdded, NewMode: "100644", Content: dagdeck.ContentText, Additions: 1,
				Hunks: []dagdeck.DiffHunk{{OldStart: 0, OldLines: 0, NewStart: 1, NewLines: 1, Lines: []string{"+dag_id: new"}}}},
		}},
		{From: from, To: to, Stat: stat, Files: []dagdeck.FileDiff{
			{Path: "include/logo.png", Part: "image", Status: dagdeck.FileModified, OldMode: "100644", NewMode: "100644", OldSize: 10, NewSize: 12, Content: dagdeck.ContentBinary},
			{Path: "include/report.sh", Part: "image", Status: dagdeck.FileModified, OldMode: "100644", NewMode: "100644", Content: dagdeck.ContentText, Additions: 2, Deletions: 1,
				Hunks: []dagdeck.DiffHunk{{OldStart: 1, OldLines: 2, NewStart: 1, NewLines: 3, Lines: []string{" set -e", "-echo v1", "+echo v2", "+echo done"}}}},
			{Path: "include/run.sh", Part: "image", Status: dagdeck.FileModeChanged, OldMode: "100644", NewMode: "100755", Content: dagdeck.ContentSame},
		}},
	}
}

func newDiffTest(t *testing.T, pages []*dagdeck.DeployDiff) (*fakeAPI, *testIO) {
	api := newFakeAPI(t)
	api.diffPages = pages
	return api, newTestFactory(t, api.start(), "")
}

func TestDeploysDiff_Unified(t *testing.T) {
	api, tio := newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "--deployment", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	want := `diff --git a/dags/new.yaml b/dags/new.yaml
new file mode 100644
--- /dev/null
+++ b/dags/new.yaml
@@ -0,0 +1 @@
+dag_id: new
diff --git a/include/logo.png b/include/logo.png
Binary files a/include/logo.png and b/include/logo.png differ
diff --git a/include/report.sh b/include/report.sh
--- a/include/report.sh
+++ b/include/report.sh
@@ -1,2 +1,3 @@
 set -e
-echo v1
+echo v2
+echo done
diff --git a/include/run.sh b/include/run.sh
old mode 100644
new mode 100755
`
	if got := tio.out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(tio.out.String(), "\x1b[") {
		t.Error("colours when stdout is not a terminal")
	}
	if len(api.queries) != 2 || !strings.Contains(api.queries[0], "contents=true") || !strings.Contains(api.queries[0], "from=%231") || strings.Contains(api.queries[0], "to=") {
		t.Errorf("queries = %v, want two pages with contents from #1 to the current deploy", api.queries)
	}
	if !strings.Contains(api.queries[1], "from=d1") || !strings.Contains(api.queries[1], "to=d2") {
		t.Errorf("the second page must name the deploys the first resolved: %s", api.queries[1])
	}
}

func TestDeploysDiff_Stat(t *testing.T) {
	_, tio := newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "#2", "-d", "etl", "--stat"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	want := ` dags/new.yaml     | 1 +
 include/logo.png  | Bin 10 B -> 12 B
 include/report.sh | 3 ++-
 include/run.sh    | 0
 4 files changed, 3 insertions(+), 1 deletion(-)
`
	if got := tio.out.String(); got != want {
		t.Errorf("--stat:\n%s\nwant:\n%s", got, want)
	}
}

func TestDeploysDiff_NameOnlyPart(t *testing.T) {
	api, tio := newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "--name-only", "--dags"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if got, want := tio.out.String(), "dags/new.yaml\ninclude/logo.png\ninclude/report.sh\ninclude/run.sh\n"; got != want {
		t.Errorf("--name-only = %q, want %q", got, want)
	}
	if q := api.queries[0]; strings.Contains(q, "contents") || !strings.Contains(q, "part=dags") || !strings.Contains(q, "limit=1000") {
		t.Errorf("--name-only --dags asked %s; want no contents, part=dags, the largest page", q)
	}
}

func TestDeploysDiff_JSON(t *testing.T) {
	_, tio := newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var got dagdeck.DeployDiff
	if err := json.Unmarshal(tio.out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, tio.out)
	}
	if len(got.Files) != 4 || got.NextCursor != "" || got.Stat.Files != 4 || got.Files[2].Hunks[0].Lines[1] != "-echo v1" {
		t.Errorf("JSON = %+v, want the 4 files of both pages with their hunks", got)
	}
}

func TestDeploysDiff_ExitCode(t *testing.T) {
	_, tio := newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "--exit-code", "--name-only"); code != 1 {
		t.Errorf("--exit-code with differences: exit %d, want 1", code)
	}
	if tio.errOut.Len() != 0 {
		t.Errorf("--exit-code printed an error: %s", tio.errOut)
	}
	same := []*dagdeck.DeployDiff{{From: &dagdeck.Deploy{ID: "d1"}, To: &dagdeck.Deploy{ID: "d1"}, Files: []dagdeck.FileDiff{}}}
	_, tio = newDiffTest(t, same)
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "--exit-code"); code != 0 || tio.out.Len() != 0 {
		t.Errorf("--exit-code without differences: exit %d, output %q; want 0 and nothing", code, tio.out)
	}
	_, tio = newDiffTest(t, diffPages())
	if code := tio.run("deploys", "diff", "#1", "-d", "etl"); code != 0 {
		t.Errorf("differences without --exit-code: exit %d, want 0", code)
	}
}

func TestDeploysDiff_Colour(t *testing.T) {
	for _, tt := range []struct {
		name    string
		noColor string
		want    bool
		term    string
	}{{"Terminal", "", true, "xterm"}, {"NoColor", "1", false, "xterm"}, {"DumbTerminal", "", false, "dumb"}} {
		t.Run(tt.name, func(t *testing.T) {
			api, tio := newDiffTest(t, diffPages())
			tio.f.stdoutTTY = func() bool { return true }
			server := tio.f.getenv("DAGDECK_SERVER")
			tio.f.getenv = func(k string) string {
				return map[string]string{"DAGDECK_SERVER": server, "NO_COLOR": tt.noColor, "TERM": tt.term}[k]
			}
			if code := tio.run("deploys", "diff", "#1", "-d", "etl"); code != 0 {
				t.Fatalf("exit %d: %s (%v)", code, tio.errOut, api.requests)
			}
			out := tio.out.String()
			if got := strings.Contains(out, ansiGreen+"+echo v2"+ansiReset); got != tt.want {
				t.Errorf("coloured added line: %v, want %v:\n%q", got, tt.want, out)
			}
			if got := strings.Contains(out, ansiRed+"-echo v1"+ansiReset); got != tt.want {
				t.Errorf("coloured removed line: %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDeploysDiff_ControlCharacters: on a terminal a file's escape
// sequences are shown visibly, as in every other output; piped, the diff
// keeps the bytes that patch needs.
func TestDeploysDiff_ControlCharacters(t *testing.T) {
	pages := []*dagdeck.DeployDiff{{From: &dagdeck.Deploy{ID: "d1", Sequence: 1}, To: &dagdeck.Deploy{ID: "d2", Sequence: 2}, Stat: dagdeck.DiffStat{Files: 1, Changed: 1},
		Files: []dagdeck.FileDiff{{Path: "include/x\x1b]0;owned\x07.sh", Part: "image", Status: dagdeck.FileModified, OldMode: "100644", NewMode: "100644", Content: dagdeck.ContentText, Additions: 1, Deletions: 1,
			Hunks: []dagdeck.DiffHunk{{OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 1, Lines: []string{"-echo old", "+echo \x1b[2J"}}}}}}}
	for _, tty := range []bool{true, false} {
		api, tio := newDiffTest(t, pages)
		tio.f.stdoutTTY = func() bool { return tty }
		if code := tio.run("deploys", "diff", "#1", "-d", "etl"); code != 0 {
			t.Fatalf("exit %d: %s (%v)", code, tio.errOut, api.requests)
		}
		out := tio.out.String()
		if tty && (strings.ContainsRune(out, 0x07) || strings.Contains(out, "\x1b[2J") || !strings.Contains(out, "+echo ^[[2J") || !strings.Contains(out, "x^[]0;owned^G.sh")) {
			t.Errorf("on a terminal, control characters reached it raw:\n%q", out)
		}
		if !tty && !strings.Contains(out, "+echo \x1b[2J\n") {
			t.Errorf("piped, the diff's bytes changed:\n%q", out)
		}
	}
}

func TestDeploysDiff_Usage(t *testing.T) {
	for _, args := range [][]string{
		{"deploys", "diff", "-d", "etl"},
		{"deploys", "diff", "#1", "#2", "#3", "-d", "etl"},
		{"deploys", "diff", "#1", "-d", "etl", "--dags", "--image"},
	} {
		_, tio := newDiffTest(t, diffPages())
		if code := tio.run(args...); code == 0 || !strings.Contains(tio.errOut.String(), "Usage:") {
			t.Errorf("%v: exit %d, %s; want a usage error", args, code, tio.errOut)
		}
	}
}

func TestDeploysDiff_RuntimeAndImage(t *testing.T) {
	pages := []*dagdeck.DeployDiff{{
		From: &dagdeck.Deploy{ID: "d1"}, To: &dagdeck.Deploy{ID: "d2"}, Files: []dagdeck.FileDiff{},
		Runtime:     dagdeck.Change{From: "1.1.0", To: "2.0.0", Changed: true},
		PinnedImage: dagdeck.Change{From: "", To: "registry.example.com/etl@sha256:abc", Changed: true},
	}}
	_, tio := newDiffTest(t, pages)
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "--exit-code"); code != 1 {
		t.Errorf("a runtime change with --exit-code: exit %d, want 1", code)
	}
	if got, want := tio.out.String(), "runtime 1.1.0 → 2.0.0\nimage - → registry.example.com/etl@sha256:abc\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	_, tio = newDiffTest(t, pages)
	if code := tio.run("deploys", "diff", "#1", "-d", "etl", "--exit-code", "--dags"); code != 0 || tio.out.Len() != 0 {
		t.Errorf("the DAG bundle alone did not change: exit %d, output %q", code, tio.out)
	}
}
