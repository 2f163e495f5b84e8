// Command testreport reads `go test -json` on standard input and prints a
// compact report: one line per package, the whole output of every failed
// test, and at the end how many tests passed, failed and were skipped —
// with each skipped test's reason, so a skip is never silent. It exits 1
// when a test or a build failed.
//
// Usage: go test -json ./... | go run ./scripts/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string
}

// report accumulates the outcome of a run.
type report struct {
	out      io.Writer
	outputs  map[string][]string // package + test → output lines so far
	passed   int
	failed   []string
	failedPk []string // packages that failed outside any test (build, panic, timeout)
	skipped  []skip
	badBuild bool
}

type skip struct{ name, reason string }

func main() {
	r := &report{out: os.Stdout, outputs: map[string][]string{}}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(r.out, sc.Text()) // not JSON: go's own message
			continue
		}
		r.add(e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "testreport: read: %v\n", err)
		os.Exit(1)
	}
	r.summary()
	if len(r.failed) > 0 || len(r.failedPk) > 0 || r.badBuild {
		os.Exit(1)
	}
}

func (r *report) add(e event) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(r.out, e.Output)
	case "build-fail":
		r.badBuild = true
	case "output":
		r.outputs[key] = append(r.outputs[key], e.Output)
	case "pass":
		if e.Test == "" {
			fmt.Fprintf(r.out, "ok   %-50s %s\n", e.Package, seconds(e.Elapsed))
		} else {
			r.passed++
		}
		delete(r.outputs, key)
	case "skip":
		if e.Test != "" {
			r.skipped = append(r.skipped, skip{e.Package + " " + e.Test, skipReason(r.outputs[key])})
		} else {
			fmt.Fprintf(r.out, "?    %-50s [no test files]\n", e.Package)
		}
		delete(r.outputs, key)
	case "fail":
		if e.Test == "" {
			fmt.Fprintf(r.out, "FAIL %-50s %s\n", e.Package, seconds(e.Elapsed))
			// Output outside any test: a panic, a timeout, TestMain.
			fmt.Fprint(r.out, strings.Join(r.outputs[key], ""))
			r.failedPk = append(r.failedPk, e.Package)
		} else {
			r.failed = append(r.failed, e.Package+" "+e.Test)
			fmt.Fprint(r.out, strings.Join(r.outputs[key], ""))
		}
		delete(r.outputs, key)
	}
}

// skipReason is what a skipped test logged, without the run/skip markers.
func skipReason(lines []string) string {
	var reason []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		reason = append(reason, t)
	}
	if len(reason) == 0 {
		return "(no reason given)"
	}
	return strings.Join(reason, " | ")
}

func (r *report) summary() {
	fmt.Fprintf(r.out, "\n%d tests passed, %d failed, %d skipped\n", r.passed, len(r.failed), len(r.skipped))
	if len(r.skipped) > 0 {
		sort.Slice(r.skipped, func(i, j int) bool { return r.skipped[i].name < r.skipped[j].name })
		fmt.Fprintln(r.out, "Skipped:")
		for _, s := range r.skipped {
			fmt.Fprintf(r.out, "  %s: %s\n", s.name, s.reason)
		}
	}
	if len(r.failed) > 0 {
		fmt.Fprintln(r.out, "Failed:")
		for _, f := range r.failed {
			fmt.Fprintf(r.out, "  %s\n", f)
		}
	}
	if len(r.failedPk) > 0 {
		fmt.Fprintln(r.out, "Failed packages:")
		for _, p := range r.failedPk {
			fmt.Fprintf(r.out, "  %s\n", p)
		}
	}
	if r.badBuild {
		fmt.Fprintln(r.out, "A package did not build.")
	}
}

func seconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(10 * time.Millisecond).String()
}
