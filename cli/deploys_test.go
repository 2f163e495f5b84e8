package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// historyAPI returns a fake with 5 deploys: #4 failed, #5 a rollback to #3.
func historyAPI(t *testing.T) *fakeAPI {
	api := newFakeAPI(t)
	user := dagdeck.Actor{ID: "u1", Kind: "user", Name: "ana"}
	for i := range 4 {
		d := dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployDeployed, CreatedBy: user,
			CreatedAt: testTime.Add(time.Duration(i) * time.Hour), ImageTag: dagdeck.ImageTagFor(testTime.Add(time.Duration(i) * time.Hour)),
			RuntimeVersion: "1.1.0", DagBundleVersion: dagdeck.BundleVersionFor(testTime), Description: "change number " + string(rune('A'+i)),
			Rollback: dagdeck.RollbackEligibility{Eligible: true}}
		if i == 0 {
			d.Rollback = dagdeck.RollbackEligibility{Reason: dagdeck.ReasonExpired}
			d.Description = strings.Repeat("a long description ", 10)
		}
		if i == 3 {
			d.Status, d.Rollback = dagdeck.DeployFailed, dagdeck.RollbackEligibility{Reason: dagdeck.ReasonFailed}
		}
		api.addDeploy(d)
	}
	api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployDeployed, CreatedBy: user, CreatedAt: testTime.Add(4 * time.Hour),
		ImageTag: api.deploys[2].ImageTag, RuntimeVersion: "1.1.0", Description: "undo D", RollbackFromID: "d3",
		Rollback: dagdeck.RollbackEligibility{Eligible: true}})
	api.deployment.CurrentDeployID = "d5"
	return api
}

func TestDeploysList(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	tio.f.now = func() time.Time { return testTime.Add(5 * time.Hour) }
	if code := tio.run("deploys", "list", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	lines := strings.Split(strings.TrimSpace(tio.out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("want header + 5 rows:\n%s", tio.out)
	}
	wantCells := [][]string{
		{"SEQ", "ID", "TIME", "USER", "TYPE", "IMAGE TAG", "RUNTIME", "DAG BUNDLE", "STATUS", "ROLLBACK", "DESCRIPTION"},
		{"5 ", "d5", "(1h ago)", "ana", "deploy-2026-11-26T16-05-09", "DEPLOYED", "CURRENT", "↩ #3 undo D"},
		{"4 ", "(2h ago)", "FAILED", "FAILED", "change number D"},
		{"3 ", "(3h ago)", "DEPLOYED", "yes", "change number C"},
		{"1 ", "(5h ago)", "EXPIRED", "a long description a long description a long desc…"},
	}
	for i, cells := range wantCells {
		line := lines[[]int{0, 1, 2, 3, 5}[i]]
		for _, c := range cells {
			if !strings.Contains(line, c) {
				t.Errorf("row %q lacks %q", line, c)
			}
		}
	}
	for i, line := range lines {
		if current := strings.HasPrefix(line, "* "); current != (i == 1) {
			t.Errorf("row %d marked current = %v: %q", i, current, line)
		}
	}
	if strings.Contains(tio.out.String(), "\x1b") {
		t.Errorf("colours when stdout is not a terminal:\n%s", tio.out)
	}
}

func TestDeploysList_Colors(t *testing.T) {
	t.Parallel()
	for _, noColor := range []string{"", "1"} {
		api := historyAPI(t)
		tio := newTestFactory(t, api.start(), "")
		tio.f.stdoutTTY = func() bool { return true }
		env := map[string]string{"DAGDECK_SERVER": tio.f.getenv("DAGDECK_SERVER"), "NO_COLOR": noColor}
		tio.f.getenv = func(k string) string { return env[k] }
		if code := tio.run("deploys", "list", "-d", "etl"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		out := tio.out.String()
		colored := strings.Contains(out, "\x1b[32mDEPLOYED\x1b[0m") && strings.Contains(out, "\x1b[31mFAILED\x1b[0m") && strings.Contains(out, "\x1b[01m*\x1b[0m")
		if colored != (noColor == "") || (noColor != "" && strings.Contains(out, "\x1b")) {
			t.Fatalf("NO_COLOR=%q: colored %v:\n%q", noColor, colored, out)
		}
		// Painted cells keep the columns aligned: ID starts at the same byte
		// in every row.
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		col := strings.Index(lines[0], "ID")
		for _, line := range lines[1:] {
			if !strings.HasPrefix(line[col:], "d") {
				t.Fatalf("NO_COLOR=%q: misaligned row %q (ID at %d)", noColor, line, col)
			}
		}
	}
}

func TestDeploysList_CurrentBelowAFailedDeploy(t *testing.T) {
	t.Parallel()
	ds := []*dagdeck.Deploy{
		{ID: "d3", Sequence: 3, Status: dagdeck.DeployFailed, Rollback: dagdeck.RollbackEligibility{Reason: dagdeck.ReasonFailed}},
		{ID: "d2", Sequence: 2, Status: dagdeck.DeployDeployed, Rollback: dagdeck.RollbackEligibility{Eligible: true}},
		{ID: "d1", Sequence: 1, Status: dagdeck.DeployDeployed, Rollback: dagdeck.RollbackEligibility{Eligible: true}},
	}
	var out strings.Builder
	f := &factory{out: &out, now: func() time.Time { return testTime }, stdoutTTY: func() bool { return false }, getenv: func(string) string { return "" }}
	f.printHistory(&out, ds, "d2")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for i, want := range []string{"FAILED", "CURRENT", "yes"} {
		if !strings.Contains(lines[i+1], want) || (want != "CURRENT" && strings.Contains(lines[i+1], "CURRENT")) {
			t.Errorf("row %q: want %s", lines[i+1], want)
		}
	}
}

func TestDeploysList_Limit(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploys", "list", "-d", "etl", "-n", "3"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	out := tio.out.String()
	if !strings.Contains(out, "Showing the newest 3 deploys; pass --all") || strings.Contains(out, "\n2 ") {
		t.Fatalf("output:\n%s", out)
	}
	// The rollback row's target (#3) is listed, #1 is not.
	if !strings.Contains(out, "↩ #3") {
		t.Fatalf("rollback not marked:\n%s", out)
	}
}

func TestDeploysList_AllJSON(t *testing.T) {
	t.Parallel()
	for _, paged := range []bool{false, true} {
		api := historyAPI(t)
		api.paged = paged
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("deploys", "list", "-d", "etl", "-n", "1", "--all", "-o", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		var out struct{ Deploys []*dagdeck.Deploy }
		if err := json.Unmarshal(tio.out.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, d := range out.Deploys {
			seqs = append(seqs, d.Sequence)
		}
		if len(seqs) != 5 || seqs[0] != 5 || seqs[4] != 1 {
			t.Fatalf("sequences %v", seqs)
		}
		// One streamed answer; an older server's pages (of 2) are followed.
		want := map[bool]int{false: 1, true: 3}[paged]
		if got := api.count("GET /api/v1/deployments/etl/deploys"); got != want {
			t.Fatalf("paged %v: %d requests, want %d", paged, got, want)
		}
	}
}

// TestDeploysList_AllEveryRowOnce: --all prints every deploy of a long
// history once, newest first, under one header, streamed or paged.
func TestDeploysList_AllEveryRowOnce(t *testing.T) {
	t.Parallel()
	for _, paged := range []bool{false, true} {
		api := newFakeAPI(t)
		api.paged, api.pageSize = paged, 500
		const n = 1234
		for i := range n {
			at := testTime.Add(time.Duration(i) * time.Minute)
			api.addDeploy(dagdeck.Deploy{Type: dagdeck.DeployImageAndDAG, Status: dagdeck.DeployDeployed, CreatedAt: at,
				ImageTag: dagdeck.ImageTagFor(at), RuntimeVersion: "1.1.0", Description: fmt.Sprint("change ", i+1)})
		}
		tio := newTestFactory(t, api.start(), "")
		if code := tio.run("deploys", "list", "-d", "etl", "--all"); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		lines := strings.Split(strings.TrimSuffix(tio.out.String(), "\n"), "\n")
		if len(lines) != n+1 || !strings.Contains(lines[0], "SEQ") {
			t.Fatalf("paged %v: %d lines, first %q", paged, len(lines), lines[0])
		}
		for i, line := range lines[1:] {
			seq := n - i
			if f := strings.Fields(line); f[0] != fmt.Sprint(seq) || !strings.HasSuffix(line, fmt.Sprint("change ", seq)) {
				t.Fatalf("paged %v: line %d is %q, want #%d", paged, i+1, line, seq)
			}
		}
	}
}

func TestHistoryDescription_RollbackOfUnlisted(t *testing.T) {
	t.Parallel()
	d := &dagdeck.Deploy{RollbackFromID: "zz", Description: "back"}
	if got := historyDescription(d, map[string]int64{}); got != "↩ rollback of zz back" {
		t.Fatalf("got %q", got)
	}
}

func TestDeploysInspect(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	api.deploys[4].Git = &dagdeck.Git{CommitSHA: "abc123", Branch: "main", RemoteURL: "git@x:y.git"}
	api.deploys[4].DescriptionEdits = []dagdeck.DescriptionEdit{{At: testTime, By: dagdeck.Actor{Name: "alice"}, Before: "undo", After: "undo D"}}
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("deploys", "inspect", "#5", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	for _, want := range []string{"Deploy:              #5 (d5)", "Deployment:          etl (dep1)", "Current:             yes", `by alice: "undo" → "undo D"`, "Rollback of:         #3 (d3)", "Git commit:          abc123", "Created by:          ana (user u1)", "Can roll back to:    yes", "Failure reason:      -"} {
		if !strings.Contains(tio.out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, tio.out)
		}
	}
}

func TestDeploysDownload(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	path := filepath.Join(t.TempDir(), "dags.tar.gz")
	if code := tio.run("deploys", "download", "d2", "-d", "etl", "--part", "image", "-O", path); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, tarGz(t, "README", "archive of d2 image")) {
		t.Fatalf("file %q, %v", b, err)
	}
}

func TestDeploysDownload_ErrTruncatedArchive(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"file", "-"} {
		t.Run(output, func(t *testing.T) {
			api := historyAPI(t)
			api.truncateArchive = true
			tio := newTestFactory(t, api.start(), "")
			dir := t.TempDir()
			path := output
			if output == "file" {
				path = filepath.Join(dir, "failed.tgz")
			}
			code := tio.run("deploys", "download", "d2", "-d", "etl", "-O", path)
			if code == 0 || !strings.Contains(tio.errOut.String(), "the archive is incomplete or corrupt") || strings.Contains(tio.errOut.String(), "Wrote") {
				t.Fatalf("exit %d, stderr %q; want a non-zero exit saying the archive is corrupt", code, tio.errOut)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("left %d files behind: %v", len(entries), entries)
			}
		})
	}
}

// TestDeploysDownload_WholeCodeByDefault downloads part=all to a file named
// after the Deployment, the sequence number and the id, without colons.
// It changes the working directory, so it does not run in parallel.
func TestDeploysDownload_WholeCodeByDefault(t *testing.T) {
	api := historyAPI(t)
	api.deploys[2].ID = "01hx3k9abcdefgh"
	url := api.start()
	t.Chdir(t.TempDir())
	tests := []struct {
		args     []string
		wantFile string
		wantBody string
	}{
		{[]string{"#3"}, "etl-3-01hx3k9a.tar.gz", "archive of 01hx3k9abcdefgh all"},
		{[]string{"#3", "--part", "dags"}, "etl-3-01hx3k9a-dags.tar.gz", "archive of 01hx3k9abcdefgh dags"},
		{[]string{"d2", "--part", "image"}, "etl-2-d2-image.tar.gz", "archive of d2 image"},
	}
	for _, tt := range tests {
		tio := newTestFactory(t, url, "")
		args := append([]string{"deploys", "download", "-d", "etl"}, tt.args...)
		if tt.args[0] == "d2" {
			args = append([]string{"deploys", "download"}, tt.args...) // the Deployment found from the id
		}
		if code := tio.run(args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, tio.errOut)
		}
		if b, err := os.ReadFile(tt.wantFile); err != nil || !bytes.Equal(b, tarGz(t, "README", tt.wantBody)) {
			t.Fatalf("%q: file %s: %q, %v", args, tt.wantFile, b, err)
		}
		if !strings.Contains(tio.errOut.String(), "Wrote "+tt.wantFile) {
			t.Fatalf("stderr %q", tio.errOut)
		}
	}
}

// TestDeploysList_AllStreamed: --all prints the same JSON document as a
// bounded listing would, and the table's header once, whatever the paging.
func TestDeploysList_AllStreamed(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	url := api.start()
	bounded := newTestFactory(t, url, "")
	if code := bounded.run("deploys", "list", "-d", "etl", "-n", "100", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, bounded.errOut)
	}
	streamed := newTestFactory(t, url, "")
	if code := streamed.run("deploys", "list", "-d", "etl", "-n", "2", "--all", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, streamed.errOut)
	}
	if streamed.out.String() != bounded.out.String() {
		t.Fatalf("streamed JSON:\n%s\nwant:\n%s", streamed.out, bounded.out)
	}
	table := newTestFactory(t, url, "")
	if code := table.run("deploys", "list", "-d", "etl", "-n", "2", "--all"); code != 0 {
		t.Fatalf("exit %d: %s", code, table.errOut)
	}
	if got := strings.Count(table.out.String(), "SEQ"); got != 1 {
		t.Fatalf("header printed %d times:\n%s", got, table.out)
	}
	if got := strings.Count(table.out.String(), "\n"); got != 6 {
		t.Fatalf("%d lines; want a header and 5 deploys:\n%s", got, table.out)
	}
}
