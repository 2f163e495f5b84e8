// Package bench measures dagdeck against the targets of DESIGN §8 with Go
// benchmarks (go test -bench . ./bench). Nothing here asserts a time: the
// figures are reported, not judged, so they never make a test flaky.
//
// The reference project has 2,000 files and 100 MB. Deploys run the real
// CLI code in-process against a real server (SQLite, file artifacts) on
// 127.0.0.1, so the figures include packing, hashing, HTTP and fsync, but
// not the process start of the CLI.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/cli"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/localruntime"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

const (
	projectFiles = 2000
	fileSize     = 50 << 10 // 2,000 × 50 KiB ≈ 100 MB
)

// benchServer is a real server that counts the bytes uploaded to it.
type benchServer struct {
	url       string
	token     string
	svc       *service.Service
	artifacts *file.Store
	uploaded  atomic.Int64
	// gitSent counts the bytes of git responses (the git endpoint's packs).
	gitSent atomic.Int64
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	ctx := context.Background()
	db, fs := apitest.LocalStores(b)
	logger := slog.New(slog.DiscardHandler)
	s := &benchServer{svc: service.New(db, fs, service.WithLogger(logger)), artifacts: fs}
	var err error
	if s.token, err = s.svc.EnsureAdminToken(ctx); err != nil {
		b.Fatal(err)
	}
	h := server.New(s.svc.Services(), logger).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/v1/artifacts/") {
			s.uploaded.Add(r.ContentLength)
		}
		if strings.HasPrefix(r.URL.Path, "/git/") {
			w = &countingWriter{ResponseWriter: w, n: &s.gitSent}
		}
		h.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

// run runs one CLI command in-process and fails on a non-zero exit.
func (s *benchServer) run(b *testing.B, args ...string) {
	b.Helper()
	root := cli.NewRootCommand("bench")
	root.SetArgs(append(args, "--server", s.url, "--token", s.token))
	var stderr strings.Builder
	root.SetOut(io.Discard)
	root.SetErr(&stderr)
	if code := cli.Execute(context.Background(), root); code != 0 {
		b.Fatalf("dagdeck %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
}

// writeProject writes the reference project: a Dockerfile, 1,900 files
// under include/ and 100 DAG files.
func writeProject(b testing.TB, dir string) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, fileSize)
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("Dockerfile", []byte("FROM quay.io/dagdeck/runtime:2.0.0\n"))
	for i := 0; i < projectFiles-1; i++ {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		write(fileName(i), buf)
	}
}

// fileName is the path of the project's i-th file: every 20th is a DAG file.
func fileName(i int) string {
	if i%20 == 0 {
		return fmt.Sprintf("dags/dag%04d.dat", i)
	}
	return fmt.Sprintf("include/pkg%02d/module%04d.dat", i%20, i)
}

// touch changes n files of the project (a new line at their end).
func touch(b testing.TB, dir string, n, round int) {
	b.Helper()
	for i := 0; i < n; i++ {
		name := filepath.Join(dir, fileName((i*97+round)%(projectFiles-1)))
		f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(f, "change %d\n", round)
		f.Close()
	}
}

// BenchmarkFirstDeploy: CLI start → DEPLOYED for the 100 MB project on an
// empty server (target ≤ 1 s).
func BenchmarkFirstDeploy(b *testing.B) {
	project := b.TempDir()
	writeProject(b, project)
	for b.Loop() {
		b.StopTimer()
		s := newBenchServer(b)
		s.run(b, "deployment", "create", "--name", "bench")
		b.StartTimer()
		s.run(b, "deploy", project, "--deployment", "bench", "--description", "first", "-f")
	}
}

// BenchmarkDeployOnePercentChange: a deploy after changing 1 % of the
// files (target ≤ 0.3 s, uploading ≤ 2 % of the bytes). It reports the
// uploaded fraction as upload-%.
func BenchmarkDeployOnePercentChange(b *testing.B) {
	project := b.TempDir()
	writeProject(b, project)
	s := newBenchServer(b)
	s.run(b, "deployment", "create", "--name", "bench")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "base", "-f")
	total := int64(projectFiles * fileSize)
	s.uploaded.Store(0)
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		touch(b, project, projectFiles/100, round)
		b.StartTimer()
		s.run(b, "deploy", project, "--deployment", "bench", "--description", "one percent", "-f")
	}
	b.ReportMetric(100*float64(s.uploaded.Load())/float64(total)/float64(round), "upload-%")
}

// BenchmarkRollback: the rollback request until the embedded local runtime
// has switched new tasks to the rolled-back code (target ≤ 50 ms median,
// independent of project size). It alternates between two deploys, so
// both code versions stay materialized, as recent deploys are.
func BenchmarkRollback(b *testing.B) {
	for _, tt := range []struct {
		name  string
		write func(testing.TB, string)
	}{
		{"Project100MB", writeProject},
		{"ProjectSmall", writeSmallProject},
	} {
		b.Run(tt.name, func(b *testing.B) {
			project := b.TempDir()
			tt.write(b, project)
			s := newBenchServer(b)
			rt, err := localruntime.New(localruntime.Config{DataDir: b.TempDir(), Backend: s.svc.LocalRuntimeBackend(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			s.svc.SetRuntime(rt)
			if err := rt.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { rt.Close() })
			s.run(b, "deployment", "create", "--name", "bench")
			s.run(b, "deploy", project, "--deployment", "bench", "--description", "v1", "-f")
			touch(b, project, 1, 1)
			s.run(b, "deploy", project, "--deployment", "bench", "--description", "v2", "-f")
			page, err := s.svc.ListDeploys(adminCtx(s), "bench", "", 2)
			if err != nil {
				b.Fatal(err)
			}
			targets := []string{page.Deploys[1].ID, page.Deploys[0].ID}
			i := 0
			for b.Loop() {
				if _, err := s.svc.Rollback(adminCtx(s), "bench", targets[i%2], dagdeck.RollbackRequest{Description: "bench"}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// writeSmallProject writes a 20-file project for comparison.
func writeSmallProject(b testing.TB, dir string) {
	b.Helper()
	for i := 0; i < 20; i++ {
		p := filepath.Join(dir, fileName(i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM quay.io/dagdeck/runtime:2.0.0\n"), 0o644); err != nil {
		b.Fatal(err)
	}
}

func adminCtx(s *benchServer) context.Context {
	return dagdeck.NewContextWithActor(context.Background(), &dagdeck.Actor{ID: "bench", Kind: dagdeck.ActorToken, Name: "bench", Role: dagdeck.RoleAdmin})
}

func serviceDeployment(name string, dagDeploy *bool) dagdeck.DeploymentCreate {
	return dagdeck.DeploymentCreate{Name: name, IsDagDeployEnabled: dagDeploy}
}
