package bench

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// countingWriter counts the bytes of a response.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// gitRef serves a bare repository with git http-backend (CGI) on 127.0.0.1.
func gitRef(b *testing.B, bare string) string {
	b.Helper()
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		b.Skip("git is not installed")
	}
	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1"},
	}
	ts := httptest.NewServer(h)
	b.Cleanup(ts.Close)
	return ts.URL + "/" + filepath.Base(bare)
}

// peakRSS resets (reset true) or reads this process's peak resident set,
// in MB: the in-process server's memory while git clones from it.
func peakRSS(b *testing.B, reset bool) float64 {
	if reset {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		return 0
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkGitClone: a full clone of a Deployment holding the reference
// project (2,000 files, 100 MB) in two deploys, from dagdeck and, in the
// same run, from git http-backend serving a repository with the same
// commits (packed by git repack -adf, as a git server keeps it). Target:
// dagdeck ≤ 1.5 × http-backend, server RSS < 200 MB.
func BenchmarkGitClone(b *testing.B) {
	s := newBenchServer(b)
	project := b.TempDir()
	genProject(b, project, "--files", "2000", "--mb", "100")
	s.run(b, "deployment", "create", "--name", "bench")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "first", "-f")
	genProject(b, project, "--mutate", "1", "--seed", "2")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "second", "-f")
	url := apitest.WithToken(s.url+"/git/bench.git", s.token)

	dir := b.TempDir()
	bare := filepath.Join(dir, "ref.git")
	apitest.Git(b, dir, "clone", "-q", "--bare", url, bare)
	apitest.Git(b, bare, "repack", "-adf", "-q")
	ref := gitRef(b, bare)

	// Both servers are measured in every iteration, in alternating order, so
	// that the load of a shared machine weighs on both alike.
	var ours, theirs time.Duration
	var peak float64
	for i := 0; b.Loop(); i++ {
		for k := range 2 {
			dst := filepath.Join(dir, fmt.Sprintf("c%d-%d.git", i, k))
			start := time.Now()
			if (i+k)%2 == 0 {
				s.gitSent.Store(0)
				peakRSS(b, true)
				apitest.Git(b, dir, "clone", "-q", "--bare", url, dst)
				peak = max(peak, peakRSS(b, false))
				ours += time.Since(start)
			} else {
				apitest.Git(b, dir, "clone", "-q", "--bare", ref, dst)
				theirs += time.Since(start)
			}
			b.StopTimer()
			os.RemoveAll(dst)
			b.StartTimer()
		}
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "dagdeck-s")
	b.ReportMetric(theirs.Seconds()/float64(b.N), "http-backend-s")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "ratio")
	b.ReportMetric(float64(s.gitSent.Load())/1e6, "MB-sent")
	b.ReportMetric(peak, "peak-RSS-MB")
}

// BenchmarkGitFetchAfterDeploy: bytes a fetch transfers after a 1 % deploy
// (genproject --mutate 1), against the zlib-compressed size of the changed
// files. Target: ≤ 2×.
func BenchmarkGitFetchAfterDeploy(b *testing.B) {
	s := newBenchServer(b)
	project := b.TempDir()
	genProject(b, project, "--files", "2000", "--mb", "100")
	s.run(b, "deployment", "create", "--name", "bench")
	s.run(b, "deploy", project, "--deployment", "bench", "--description", "first", "-f")
	url := apitest.WithToken(s.url+"/git/bench.git", s.token)
	clone := filepath.Join(b.TempDir(), "clone")
	apitest.Git(b, project, "clone", "-q", url, clone)
	var sent, changed int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		before := snapshot(b, project)
		genProject(b, project, "--mutate", "1", "--seed", strconv.Itoa(10+i))
		changed += compressedChanges(b, project, before)
		s.run(b, "deploy", project, "--deployment", "bench", "--description", "1%", "-f")
		s.gitSent.Store(0)
		b.StartTimer()
		apitest.Git(b, clone, "fetch", "-q", "origin")
		sent += s.gitSent.Load()
	}
	b.ReportMetric(float64(sent)/float64(b.N), "fetch-bytes")
	b.ReportMetric(float64(changed)/float64(b.N), "changed-zlib-bytes")
	b.ReportMetric(float64(sent)/float64(changed), "ratio")
}

// snapshot returns the project's files and contents.
func snapshot(b *testing.B, dir string) map[string][]byte {
	b.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[p] = data
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// compressedChanges returns the zlib-compressed size of the files that
// differ from before.
func compressedChanges(b *testing.B, dir string, before map[string][]byte) int64 {
	b.Helper()
	var total int64
	for p, data := range snapshot(b, dir) {
		if bytes.Equal(before[p], data) {
			continue
		}
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		total += int64(buf.Len())
	}
	return total
}
