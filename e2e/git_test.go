package e2e

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

var (
	git     = apitest.Git
	gitTry  = apitest.GitTry
	withTok = apitest.WithToken
)

// gitProject is a project with an executable script and a symlink, so the
// repository's file modes are tested too.
func gitProject(t *testing.T, dir, report string) {
	t.Helper()
	WriteProject(t, dir, project("1.1.0", report))
	link := filepath.Join(dir, "include", "latest.sh")
	os.Remove(link)
	if err := os.Symlink("report.sh", link); err != nil {
		t.Fatal(err)
	}
}

// TestE2E_Git follows a Deployment with the real git client, in both
// protocol versions: clone, deploy, fetch, rollback, pull --ff-only,
// shallow clone and fetch, fetch by SHA, a worktree per commit compared
// with `deploys download`, trailers, access and push refusal.
func TestE2E_Git(t *testing.T) {
	testenv.Tool(t, "git", "apt-get install -y git")
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")
	var viewer struct {
		Secret string `json:"secret"`
	}
	s.JSON(t, dir, &viewer, "token", "create", "--name", "airflow", "--role", "viewer")
	var dep dagdeck.Deployment
	s.JSON(t, dir, &dep, "deployment", "inspect", "etl")
	if dep.GitURL != s.URL+"/git/etl.git" {
		t.Fatalf("gitUrl = %q, want %s/git/etl.git", dep.GitURL, s.URL)
	}
	if out := s.MustRun(t, dir, "deployment", "inspect", "etl"); !strings.Contains(out, "git clone "+dep.GitURL) {
		t.Fatalf("deployment inspect shows no clone command:\n%s", out)
	}
	url := withTok(dep.GitURL, viewer.Secret)

	proj := filepath.Join(dir, "proj")
	var ds []*dagdeck.Deploy
	deployGit := func(report string) *dagdeck.Deploy {
		gitProject(t, proj, report)
		var d dagdeck.Deploy
		s.JSON(t, dir, &d, "deploy", proj, "--deployment", "etl", "--description", report)
		if len(d.BundleCommit) != 40 {
			t.Fatalf("deploy %d has bundleCommit %q", d.Sequence, d.BundleCommit)
		}
		ds = append(ds, &d)
		return &d
	}
	d1 := deployGit("v1")

	// 401 with a Basic challenge: git asks for credentials (prompts are off).
	if out, err := gitTry(dir, "ls-remote", dep.GitURL); err == nil || !strings.Contains(out, "could not read Username") {
		t.Fatalf("ls-remote without a token: %v\n%s", err, out)
	}
	if out, err := gitTry(dir, "ls-remote", withTok(s.URL+"/git/nope.git", viewer.Secret)); err == nil || !strings.Contains(out, "not found") {
		t.Fatalf("ls-remote of an unknown repository: %v\n%s", err, out)
	}

	clones := map[string]string{}
	for _, proto := range []string{"0", "2"} {
		clones[proto] = filepath.Join(dir, "clone-v"+proto)
		git(t, dir, "-c", "protocol.version="+proto, "clone", "-q", url, clones[proto])
		if head := git(t, clones[proto], "rev-parse", "HEAD"); head != d1.BundleCommit {
			t.Fatalf("v%s clone HEAD %s, want %s", proto, head, d1.BundleCommit)
		}
	}
	d2 := deployGit("v2")
	var rb dagdeck.RollbackResult
	s.JSON(t, dir, &rb, "rollback", d1.BundleCommit[:8], "--deployment", "etl", "--description", "v2 broke it", "--yes")
	d3 := rb.Deploy
	ds = append(ds, d3)
	for proto, c := range clones {
		git(t, c, "-c", "protocol.version="+proto, "pull", "-q", "--ff-only")
		if got := git(t, c, "rev-list", "HEAD"); got != d3.BundleCommit+"\n"+d2.BundleCommit+"\n"+d1.BundleCommit {
			t.Fatalf("v%s history after pull:\n%s", proto, got)
		}
	}
	c := clones["2"]
	if git(t, c, "rev-parse", "HEAD^{tree}") != git(t, c, "rev-parse", d1.BundleCommit+"^{tree}") {
		t.Fatal("the rollback's tree differs from the tree of the deploy it restored")
	}
	trailers := git(t, c, "log", "-1", "--format=%(trailers)", "HEAD")
	for _, want := range []string{"Dagdeck-Deploy: " + d3.ID, "Dagdeck-Sequence: 3", "Dagdeck-Runtime: 1.1.0", "Dagdeck-Image: " + d3.ImageRepository + ":" + d3.ImageTag, "Dagdeck-Rollback-Of: " + d1.ID} {
		if !strings.Contains(trailers, want) {
			t.Fatalf("trailers lack %q:\n%s", want, trailers)
		}
	}
	if subject := git(t, c, "log", "-1", "--format=%s", d2.BundleCommit); subject != "v2" {
		t.Fatalf("subject of #2 = %q", subject)
	}
	if tags := git(t, c, "tag"); tags != "deploy-1\ndeploy-2\ndeploy-3" {
		t.Fatalf("tags = %q", tags)
	}

	// "Which deploy did this Airflow run use?" — its bundle version.
	var found dagdeck.Deploy
	s.JSON(t, dir, &found, "deploys", "inspect", d2.BundleCommit[:7])
	if found.ID != d2.ID {
		t.Fatalf("deploys inspect <commit prefix> found %s, want %s", found.ID, d2.ID)
	}
	if table := s.MustRun(t, dir, "deploys", "list", "--deployment", "etl"); !strings.Contains(table, d2.BundleCommit[:10]) {
		t.Fatalf("deploys list lacks the short commit:\n%s", table)
	}

	testGitShallow(t, dir, url, ds)
	testGitWorktrees(t, s, dir, url, ds)

	git(t, c, "commit", "-q", "--allow-empty", "-m", "try to push")
	if out, err := gitTry(c, "push", "origin", "HEAD:main"); err == nil || !strings.Contains(out, "dagdeck deploy") {
		t.Fatalf("push: %v\n%s", err, out)
	}
}

// testGitShallow: shallow clone and fetch (git-sync), fetch by SHA
// (GitDagBundle with a commit as tracking_ref), in both protocols.
func testGitShallow(t *testing.T, dir, url string, ds []*dagdeck.Deploy) {
	t.Helper()
	for _, proto := range []string{"0", "2"} {
		p := []string{"-c", "protocol.version=" + proto}
		shallow := filepath.Join(dir, "shallow-v"+proto)
		git(t, dir, append(p, "clone", "-q", "--depth", "1", url, shallow)...)
		if n := git(t, shallow, "rev-list", "--count", "HEAD"); n != "1" {
			t.Fatalf("v%s shallow clone has %s commits", proto, n)
		}
		git(t, shallow, append(p, "fetch", "-q", "--depth", "1", "origin", ds[0].BundleCommit)...)
		git(t, shallow, "checkout", "-q", ds[0].BundleCommit)
		git(t, shallow, append(p, "fetch", "-q", "--unshallow")...)
		if n := git(t, shallow, "rev-list", "--count", "origin/main"); n != "3" {
			t.Fatalf("v%s unshallowed clone has %s commits", proto, n)
		}
		one := filepath.Join(dir, "one-v"+proto)
		git(t, dir, "init", "-q", one)
		git(t, one, append(p, "fetch", "-q", url, ds[1].BundleCommit)...)
		if got := git(t, one, "rev-parse", "FETCH_HEAD"); got != ds[1].BundleCommit {
			t.Fatalf("v%s fetch by SHA got %s", proto, got)
		}
	}
}

// testGitWorktrees checks out every commit in a bare clone, as
// GitDagBundle does, and compares it byte for byte (content, executable
// bit, symlinks) with what `deploys download` gives.
func testGitWorktrees(t *testing.T, s *Server, dir, url string, ds []*dagdeck.Deploy) {
	t.Helper()
	bare := filepath.Join(dir, "bare.git")
	git(t, dir, "clone", "-q", "--bare", url, bare)
	for _, d := range ds {
		wt := filepath.Join(dir, "wt", d.BundleCommit)
		git(t, bare, "worktree", "add", "-q", "--detach", wt, d.BundleCommit)
		got := readWorktree(t, wt)
		want := map[string]string{}
		for _, part := range []string{"image", "dags"} {
			archive := filepath.Join(dir, d.ID+"-"+part+".tar.gz")
			s.MustRun(t, dir, "deploys", "download", d.ID, "--deployment", "etl", "--part", part, "-O", archive)
			for p, v := range readArchive(t, archive) {
				if part == "dags" || !strings.HasPrefix(p, "dags/") {
					want[p] = v
				}
			}
		}
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("deploy #%d: worktree has %d files, downloads %d", d.Sequence, len(got), len(want))
		}
		for p, v := range want {
			if got[p] != v {
				t.Fatalf("deploy #%d %s: worktree %q, download %q", d.Sequence, p, got[p], v)
			}
		}
	}
}

// readWorktree returns path → "link:<target>", "exec:<content>" or
// "file:<content>" for a checkout.
func readWorktree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".git" {
			return nil
		}
		if info.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			out[filepath.ToSlash(rel)] = "link:" + target
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = kindOf(info.Mode()) + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func kindOf(m os.FileMode) string {
	if m&0o111 != 0 {
		return "exec:"
	}
	return "file:"
}

// readArchive reads a tar.gz the way readWorktree reads a checkout.
func readArchive(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch h.Typeflag {
		case tar.TypeSymlink:
			out[name] = "link:" + h.Linkname
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = kindOf(os.FileMode(h.Mode)) + string(b)
		}
	}
}
