package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/ui"
)

// genProject is the reference project generator shared by the team:
// $DAGDECK_GENPROJECT, or shared/tools/genproject.py beside the repository.
func genProject(b *testing.B, args ...string) {
	b.Helper()
	script := os.Getenv("DAGDECK_GENPROJECT")
	if script == "" {
		script = filepath.Join("..", "..", "shared", "tools", "genproject.py")
	}
	if _, err := os.Stat(script); err != nil {
		b.Skipf("no reference project generator (%v); set DAGDECK_GENPROJECT", err)
	}
	if out, err := exec.Command("python3", append([]string{script}, args...)...).CombinedOutput(); err != nil {
		b.Fatalf("genproject %v: %v\n%s", args, err, out)
	}
}

// BenchmarkDiff measures the diff from a deploy of the reference project
// (2,000 text files, 100 MB, by genproject.py) to a deploy after a 1 %
// mutation (OnePercent) and to one after every file changed (AllFiles):
//   - APIFirstPage: GET /diff with contents, the first page (20 files, as
//     the web UI shows), over HTTP;
//   - APIFileList: GET /diff without contents, every changed file;
//   - UIFirstScreen: the web UI's diff page, both of the above and the HTML.
//
// The web UI's target is a first screen under 300 ms.
func BenchmarkDiff(b *testing.B) {
	project := b.TempDir()
	genProject(b, project, "--files", "2000", "--mb", "100")
	s := newDiffBenchServer(b)
	s.run(b, "deployment", "create", "--name", "bench")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "base", "-f")
	genProject(b, project, "--mutate", "1", "--seed", "7")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "one percent", "-f")
	genProject(b, project, "--mutate", "100", "--seed", "8")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "every file", "-f")
	for _, tt := range []struct{ name, to string }{{"OnePercent", "#2"}, {"AllFiles", "#3"}} {
		b.Run(tt.name, func(b *testing.B) { benchmarkDiff(b, s, "#1", tt.to) })
	}
}

func benchmarkDiff(b *testing.B, s *benchServer, from, to string) {
	ctx := context.Background()
	c := client.New(s.url, s.token)
	first, err := c.DiffDeploys(ctx, "bench", from, to, dagdeck.DiffOptions{Contents: true, Limit: 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s → %s: %d files changed, %d on the first page", from, to, first.Stat.Files, len(first.Files))
	b.Run("APIFirstPage", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.DiffDeploys(ctx, "bench", from, to, dagdeck.DiffOptions{Contents: true, Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("APIFileList", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.DiffDeploys(ctx, "bench", from, to, dagdeck.DiffOptions{Limit: service.MaxDiffPage}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("UIFirstScreen", func(b *testing.B) {
		web := s.webSession(b)
		page := s.url + "/deployments/bench/diff?" + url.Values{"from": {from}, "to": {to}}.Encode()
		for b.Loop() {
			res, err := web.Get(page)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "diff-hunks") {
				b.Fatalf("diff page: %d", res.StatusCode)
			}
		}
	})
}

// newDiffBenchServer is a benchServer with the web UI mounted.
func newDiffBenchServer(b *testing.B) *benchServer {
	b.Helper()
	db, fs := apitest.LocalStores(b)
	logger := slog.New(slog.DiscardHandler)
	s := &benchServer{svc: service.New(db, fs, service.WithLogger(logger)), artifacts: fs}
	var err error
	if s.token, err = s.svc.EnsureAdminToken(context.Background()); err != nil {
		b.Fatal(err)
	}
	web := ui.New(s.svc.Services(), ui.WithLogger(logger))
	srv := server.New(s.svc.Services(), logger)
	srv.AddAuthenticator(web.Authenticate)
	srv.Mount("/", web)
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	b.Cleanup(web.Close)
	s.url = ts.URL
	return s
}

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// webSession logs in to the web UI with the admin token and returns a
// client that carries the session cookie.
func (s *benchServer) webSession(b *testing.B) *http.Client {
	b.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.url + "/login")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfFieldRE.FindSubmatch(body)
	if m == nil {
		b.Fatal("no CSRF token on the login page")
	}
	res, err = c.PostForm(s.url+"/login", url.Values{"csrf_token": {string(m[1])}, "method": {"token"}, "token": {s.token}, "next": {"/deployments"}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %d", res.StatusCode)
	}
	return c
}
