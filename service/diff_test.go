package service_test

import (
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
)

// diffEnv is a Deployment "prod" with DAG deploys enabled.
func diffEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.deployment(t, "prod", true)
	return e
}

// deployWith deploys p, on the runtime of its Dockerfile, after edit
// changed its request.
func (e *env) deployWith(t *testing.T, p project, edit func(*dagdeck.DeployCreate)) *dagdeck.Deploy {
	t.Helper()
	_, runtime, _ := strings.Cut(strings.TrimSpace(p["Dockerfile"]), "runtime:")
	req := p.request(dagdeck.DeployImageAndDAG, runtime, true)
	if edit != nil {
		edit(&req)
	}
	e.clock.Add(time.Minute)
	return e.deploy(t, "prod", p, req)
}

// diff returns every file of a diff with contents, following the cursor.
func (e *env) diff(t *testing.T, from, to string, opts dagdeck.DiffOptions) (*dagdeck.DeployDiff, map[string]dagdeck.FileDiff) {
	t.Helper()
	opts.Contents = true
	var first *dagdeck.DeployDiff
	files := map[string]dagdeck.FileDiff{}
	for page := 0; page < 100; page++ {
		d, err := e.svc.DiffDeploys(viewer, "prod", from, to, opts)
		if err != nil {
			t.Fatalf("DiffDeploys(%s, %s): %v", from, to, err)
		}
		if first == nil {
			first = d
		}
		for _, f := range d.Files {
			files[f.Path] = f
		}
		if d.NextCursor == "" {
			return first, files
		}
		opts.Cursor = d.NextCursor
	}
	t.Fatal("the diff never ends")
	return nil, nil
}

func wantFile(t *testing.T, files map[string]dagdeck.FileDiff, path, status, content string) dagdeck.FileDiff {
	t.Helper()
	f, ok := files[path]
	if !ok {
		t.Fatalf("%s is not in the diff (%v)", path, files)
	}
	if f.Status != status || f.Content != content {
		t.Fatalf("%s: status %s, content %s (%s); want %s, %s", path, f.Status, f.Content, f.Summary, status, content)
	}
	return f
}

func TestDiffService_TextAddedRemoved(t *testing.T) {
	e := diffEnv(t)
	d1 := e.deployWith(t, v1(), nil)
	d2 := e.deployWith(t, v2(), nil)

	diff, files := e.diff(t, d1.ID, d2.ID, dagdeck.DiffOptions{})
	if diff.From.ID != d1.ID || diff.To.ID != d2.ID {
		t.Fatalf("diff from %s to %s, want %s to %s", diff.From.ID, diff.To.ID, d1.ID, d2.ID)
	}
	if want := (dagdeck.DiffStat{Files: 4, Added: 1, Changed: 3}); diff.Stat != want {
		t.Errorf("stat = %+v, want %+v", diff.Stat, want)
	}
	if diff.Runtime != (dagdeck.Change{From: "1.1.0", To: "2.0.0", Changed: true}) {
		t.Errorf("runtime = %+v", diff.Runtime)
	}
	report := wantFile(t, files, "include/report.sh", dagdeck.FileModified, dagdeck.ContentText)
	wantHunks := []dagdeck.DiffHunk{{OldStart: 1, OldLines: 1, NewStart: 1, NewLines: 1, Lines: []string{"-echo report v1", "+echo report v2"}}}
	if !reflect.DeepEqual(report.Hunks, wantHunks) || report.Part != dagdeck.ManifestImage || report.Additions != 1 || report.Deletions != 1 {
		t.Errorf("include/report.sh = %+v, want hunks %+v in the image", report, wantHunks)
	}
	extra := wantFile(t, files, "dags/extra.yaml", dagdeck.FileAdded, dagdeck.ContentText)
	if extra.Part != dagdeck.ManifestDAGs || extra.OldMode != "" || extra.NewMode != "100644" ||
		!reflect.DeepEqual(extra.Hunks, []dagdeck.DiffHunk{{OldStart: 0, OldLines: 0, NewStart: 1, NewLines: 1, Lines: []string{"+dag_id: extra"}}}) {
		t.Errorf("dags/extra.yaml = %+v", extra)
	}

	_, back := e.diff(t, d2.ID, d1.ID, dagdeck.DiffOptions{})
	gone := wantFile(t, back, "dags/extra.yaml", dagdeck.FileRemoved, dagdeck.ContentText)
	if gone.Deletions != 1 || gone.Additions != 0 || gone.NewMode != "" {
		t.Errorf("removed dags/extra.yaml = %+v", gone)
	}
}

func TestDiffService_Hunks(t *testing.T) {
	e := diffEnv(t)
	var lines []string
	for i := 1; i <= 20; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	old := strings.Join(lines, "\n") + "\n"
	lines[1], lines[17] = "line two", "line eighteen"
	changed := strings.Join(lines, "\n") // and no newline at the end any more
	d1 := e.deployWith(t, v1().with("include/lines.txt", old), nil)
	d2 := e.deployWith(t, v1().with("include/lines.txt", changed), nil)

	_, files := e.diff(t, d1.ID, d2.ID, dagdeck.DiffOptions{})
	f := wantFile(t, files, "include/lines.txt", dagdeck.FileModified, dagdeck.ContentText)
	want := []dagdeck.DiffHunk{
		{OldStart: 1, OldLines: 5, NewStart: 1, NewLines: 5, Lines: []string{" line 1", "-line 2", "+line two", " line 3", " line 4", " line 5"}},
		{OldStart: 15, OldLines: 6, NewStart: 15, NewLines: 6, Lines: []string{
			" line 15", " line 16", " line 17", "-line 18", "+line eighteen", " line 19",
			"-line 20", "+line 20", `\ No newline at end of file`,
		}},
	}
	if !reflect.DeepEqual(f.Hunks, want) {
		t.Errorf("hunks:\n%+v\nwant\n%+v", f.Hunks, want)
	}
	if f.Additions != 3 || f.Deletions != 3 {
		t.Errorf("counts +%d -%d, want +3 -3", f.Additions, f.Deletions)
	}
}

func TestDiffService_ModeAndSymlink(t *testing.T) {
	e := diffEnv(t)
	link := func(target string) func(*dagdeck.DeployCreate) {
		return func(req *dagdeck.DeployCreate) {
			req.ImageManifest.Files = append(req.ImageManifest.Files, dagdeck.ManifestFile{Path: "include/latest.sh", Mode: fs.ModeSymlink | 0o777, Target: target})
		}
	}
	d1 := e.deployWith(t, v1(), link("report.sh"))
	d2 := e.deployWith(t, v1(), func(req *dagdeck.DeployCreate) {
		link("other.sh")(req)
		for i, f := range req.ImageManifest.Files {
			if f.Path == "include/report.sh" {
				req.ImageManifest.Files[i].Mode = 0o755
			}
		}
	})

	diff, files := e.diff(t, d1.ID, d2.ID, dagdeck.DiffOptions{})
	if diff.Stat.Files != 2 {
		t.Errorf("stat = %+v, want 2 files", diff.Stat)
	}
	mode := wantFile(t, files, "include/report.sh", dagdeck.FileModeChanged, dagdeck.ContentSame)
	if mode.OldMode != "100644" || mode.NewMode != "100755" || len(mode.Hunks) != 0 {
		t.Errorf("mode change = %+v", mode)
	}
	l := wantFile(t, files, "include/latest.sh", dagdeck.FileLinkChanged, dagdeck.ContentText)
	if l.OldTarget != "report.sh" || l.NewTarget != "other.sh" || l.NewMode != "120000" ||
		!reflect.DeepEqual(l.Hunks[0].Lines, []string{"-report.sh", `\ No newline at end of file`, "+other.sh", `\ No newline at end of file`}) {
		t.Errorf("symlink change = %+v", l)
	}
}

func TestDiffService_Summarized(t *testing.T) {
	e := diffEnv(t)
	large := strings.Repeat("a line of a large file\n", service.MaxDiffFileSize/20)
	long := func(marker string) string {
		var b strings.Builder
		for i := range service.MaxDiffLines {
			fmt.Fprintf(&b, "%s %d\n", marker, i)
		}
		return b.String()
	}
	d1 := e.deployWith(t, v1().with("include/logo.png", "\x89PNG\x00\x01").with("include/big.csv", large+"1\n").with("include/long.txt", long("a")).with("include/latin1.txt", "caf\xe9\n"), nil)
	d2 := e.deployWith(t, v1().with("include/logo.png", "\x89PNG\x00\x02").with("include/big.csv", large+"2\n").with("include/long.txt", long("b")).with("include/latin1.txt", "cafe\n"), nil)

	_, files := e.diff(t, d1.ID, d2.ID, dagdeck.DiffOptions{})
	for path, content := range map[string]string{
		"include/logo.png":   dagdeck.ContentBinary,
		"include/latin1.txt": dagdeck.ContentBinary,
		"include/big.csv":    dagdeck.ContentTooLarge,
		"include/long.txt":   dagdeck.ContentTooLarge,
	} {
		f := wantFile(t, files, path, dagdeck.FileModified, content)
		if len(f.Hunks) != 0 || f.Summary == "" {
			t.Errorf("%s is not summarized: %d hunks, summary %q", path, len(f.Hunks), f.Summary)
		}
	}
	if f := files["include/long.txt"]; f.Additions != service.MaxDiffLines || f.Deletions != service.MaxDiffLines {
		t.Errorf("a long diff keeps its counts: +%d -%d", f.Additions, f.Deletions)
	}
}

func TestDiffService_Identical(t *testing.T) {
	e := diffEnv(t)
	d1 := e.deployWith(t, v1(), nil)
	d2 := e.deployWith(t, v1(), nil)
	diff, err := e.svc.DiffDeploys(viewer, "prod", d1.ID, d2.ID, dagdeck.DiffOptions{Contents: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(diff.Files) != 0 || diff.Stat != (dagdeck.DiffStat{}) || diff.NextCursor != "" || diff.Runtime.Changed {
		t.Errorf("diff of the same code = %+v", diff)
	}
	if !diff.Image.Changed {
		t.Errorf("two deploys have two image tags: %+v", diff.Image)
	}
}

func TestDiffService_Refs(t *testing.T) {
	e := diffEnv(t)
	e.deployWith(t, v1(), nil)
	d2 := e.deployWith(t, v2(), nil)
	d3 := e.deployWith(t, v3(), nil)

	for _, tt := range []struct{ from, to, wantFrom, wantTo string }{
		{"#-1", "", d2.ID, d3.ID}, // without "to": the current deploy
		{"#2", "#3", d2.ID, d3.ID},
		{"previous", d2.ID, d2.ID, d2.ID},
	} {
		diff, err := e.svc.DiffDeploys(viewer, "prod", tt.from, tt.to, dagdeck.DiffOptions{})
		if err != nil {
			t.Fatalf("diff %q %q: %v", tt.from, tt.to, err)
		}
		if diff.From.ID != tt.wantFrom || diff.To.ID != tt.wantTo {
			t.Errorf("diff %q %q compares %s with %s, want %s with %s", tt.from, tt.to, diff.From.ID, diff.To.ID, tt.wantFrom, tt.wantTo)
		}
	}
	diff, err := e.svc.DiffDeploys(viewer, "prod", "#-1", "", dagdeck.DiffOptions{})
	if err != nil || len(diff.Files) != 1 || diff.Files[0].Path != "include/report.sh" || diff.Files[0].Content != "" {
		t.Errorf("#-1 → current without contents = %+v, %v; want include/report.sh alone, no content", diff, err)
	}

	for name, call := range map[string]func() error{
		"NoFrom": func() error { _, err := e.svc.DiffDeploys(viewer, "prod", "", "", dagdeck.DiffOptions{}); return err },
		"BadPart": func() error {
			_, err := e.svc.DiffDeploys(viewer, "prod", "#1", "", dagdeck.DiffOptions{Part: "x"})
			return err
		},
		"BadLimit": func() error {
			_, err := e.svc.DiffDeploys(viewer, "prod", "#1", "", dagdeck.DiffOptions{Limit: -1})
			return err
		},
		"UnknownFrom": func() error { _, err := e.svc.DiffDeploys(viewer, "prod", "#9", "", dagdeck.DiffOptions{}); return err },
	} {
		code := map[string]string{"UnknownFrom": dagdeck.ENOTFOUND}[name]
		if code == "" {
			code = dagdeck.EINVALID
		}
		if err := call(); dagdeck.ErrorCode(err) != code {
			t.Errorf("%s: %v, want %s", name, err, code)
		}
	}
	if _, err := e.svc.DiffDeploys(context.Background(), "prod", "#1", "", dagdeck.DiffOptions{}); dagdeck.ErrorCode(err) != dagdeck.EUNAUTHORIZED {
		t.Errorf("without an actor: %v, want EUNAUTHORIZED", err)
	}
}

func TestDiffService_PartAndPages(t *testing.T) {
	e := diffEnv(t)
	d1 := e.deployWith(t, v1(), nil)
	d2 := e.deployWith(t, v2(), nil)

	dags, err := e.svc.DiffDeploys(viewer, "prod", d1.ID, d2.ID, dagdeck.DiffOptions{Part: dagdeck.ManifestDAGs})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range dags.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"dags/extra.yaml", "dags/report.yaml"}; !reflect.DeepEqual(paths, want) || dags.Stat.Files != 2 {
		t.Errorf("DAG part = %v (stat %+v), want %v", paths, dags.Stat, want)
	}

	paths = nil
	opts := dagdeck.DiffOptions{Limit: 1, Contents: true}
	for pages := 1; ; pages++ {
		page, err := e.svc.DiffDeploys(viewer, "prod", d1.ID, d2.ID, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Files) != 1 || page.Stat.Files != 4 {
			t.Fatalf("page %d = %+v, want one file of 4", pages, page)
		}
		paths = append(paths, page.Files[0].Path)
		if page.NextCursor == "" {
			break
		}
		opts.Cursor = page.NextCursor
	}
	if want := []string{"Dockerfile", "dags/extra.yaml", "dags/report.yaml", "include/report.sh"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("pages = %v, want %v", paths, want)
	}

	// Index lists the whole diff's first files beside one page, without hunks.
	page, err := e.svc.DiffDeploys(viewer, "prod", d1.ID, d2.ID, dagdeck.DiffOptions{Limit: 1, Contents: true, Cursor: "Dockerfile", Index: 3})
	if err != nil {
		t.Fatal(err)
	}
	var index []string
	for _, f := range page.Index {
		index = append(index, f.Path)
		if len(f.Hunks) != 0 {
			t.Errorf("index entry %s carries hunks", f.Path)
		}
	}
	if want := paths[:3]; !reflect.DeepEqual(index, want) || len(page.Files) != 1 || page.Files[0].Path != paths[1] || len(page.Files[0].Hunks) == 0 {
		t.Errorf("index = %v beside page %+v, want %v beside %s with hunks", index, page.Files, want, paths[1])
	}
	if _, err := e.svc.DiffDeploys(viewer, "prod", d1.ID, d2.ID, dagdeck.DiffOptions{Index: -1}); dagdeck.ErrorCode(err) != dagdeck.EINVALID {
		t.Errorf("Index -1: %v, want EINVALID", err)
	}
}

func TestDiffService_ExternalImage(t *testing.T) {
	e := diffEnv(t)
	d1 := e.deployWith(t, v2(), nil)
	external := func(digest string) *dagdeck.Deploy {
		e.clock.Add(time.Minute)
		req := dagdeck.DeployCreate{Type: dagdeck.DeployImageOnly, RuntimeVersion: "2.0.0", ImageName: "registry.example.com/etl:2", ImageRegistryDigest: dagdeck.DigestOf([]byte(digest))}
		return e.deploy(t, "prod", v2(), req)
	}
	d2, d3 := external("etl 2"), external("etl 2 rebuilt")

	diff, files := e.diff(t, d1.ID, d2.ID, dagdeck.DiffOptions{})
	if !diff.PinnedImage.Changed || diff.PinnedImage.From != "" || diff.PinnedImage.To != "registry.example.com/etl@"+dagdeck.DigestOf([]byte("etl 2")) {
		t.Errorf("pinned image = %+v", diff.PinnedImage)
	}
	// dagdeck cannot look into an external image: the packaged files are gone.
	wantFile(t, files, "include/report.sh", dagdeck.FileRemoved, dagdeck.ContentText)
	if _, ok := files["dags/report.yaml"]; ok {
		t.Error("the DAG bundle did not change")
	}

	diff, files = e.diff(t, d2.ID, d3.ID, dagdeck.DiffOptions{})
	if len(files) != 0 || !diff.PinnedImage.Changed || diff.Runtime.Changed {
		t.Errorf("a rebuilt external image: %d files, pinned %+v, runtime %+v", len(files), diff.PinnedImage, diff.Runtime)
	}
}
