package main

import (
	"strings"
	"testing"
)

func TestReport_SkipsAndFailuresAreListed(t *testing.T) {
	var out strings.Builder
	r := &report{out: &out, outputs: map[string][]string{}}
	for _, e := range []event{
		{Action: "output", Package: "p", Test: "TestPG", Output: "=== RUN   TestPG\n"},
		{Action: "output", Package: "p", Test: "TestPG", Output: "    postgres.go:57: PostgreSQL not found\n"},
		{Action: "output", Package: "p", Test: "TestPG", Output: "--- SKIP: TestPG (0.00s)\n"},
		{Action: "skip", Package: "p", Test: "TestPG"},
		{Action: "output", Package: "p", Test: "TestBad", Output: "    x_test.go:9: got 1, want 2\n"},
		{Action: "fail", Package: "p", Test: "TestBad"},
		{Action: "pass", Package: "p", Test: "TestOK"},
		{Action: "fail", Package: "p", Elapsed: 1.5},
	} {
		r.add(e)
	}
	r.summary()
	got := out.String()
	for _, want := range []string{
		"1 tests passed, 1 failed, 1 skipped",
		"p TestPG: postgres.go:57: PostgreSQL not found",
		"x_test.go:9: got 1, want 2",
		"FAIL p",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if len(r.failed) != 1 || len(r.failedPk) != 1 || !strings.Contains(got, "Failed packages:\n  p") {
		t.Errorf("failed = %v, failed packages = %v", r.failed, r.failedPk)
	}
}

func TestReport_BuildFailureIsReported(t *testing.T) {
	var out strings.Builder
	r := &report{out: &out, outputs: map[string][]string{}}
	for _, e := range []event{
		{Action: "build-output", Output: "# p\n./x.go:3:1: syntax error\n"},
		{Action: "build-fail"},
		{Action: "pass", Package: "q", Test: "TestOK"},
	} {
		r.add(e)
	}
	r.summary()
	got := out.String()
	if !r.badBuild || !strings.Contains(got, "./x.go:3:1: syntax error") || !strings.Contains(got, "A package did not build.") {
		t.Errorf("build failure not reported (badBuild %v):\n%s", r.badBuild, got)
	}
}
