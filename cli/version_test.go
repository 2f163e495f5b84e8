package cli

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		want   versionInfo
	}{
		{"no build info", "", nil, versionInfo{Version: "devel", GoVersion: runtime.Version()}},
		{"go run", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			versionInfo{Version: "devel", GoVersion: "go1.26.8"}},
		{"go install module@version", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}},
			versionInfo{Version: "v1.4.0", GoVersion: "go1.26.8"}},
		{"go build in a clean checkout", "dev", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261130102824-d5af40e1a2b3"}, Settings: vcs("d5af40e1a2b3", "false")},
			versionInfo{Version: "v0.0.0-20261130102824-d5af40e1a2b3", Commit: "d5af40e1a2b3", GoVersion: "go1.26.8"}},
		{"dirty checkout", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("d5af40e", "true")},
			versionInfo{Version: "devel", Commit: "d5af40e-dirty", GoVersion: "go1.26.8"}},
		{"linked version wins", "v2.0.0", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("abc", "false")},
			versionInfo{Version: "v2.0.0", Commit: "abc", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionFrom(tt.linked, tt.bi)
			if got != tt.want {
				t.Fatalf("versionFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	tio := newTestFactory(t, unreachable(t), "")
	if code := tio.run("version"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	for _, want := range []string{"Version:  test", "Commit:   0123abc-dirty", "Go:       go1.26.8"} {
		if !strings.Contains(tio.out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, tio.out)
		}
	}

	tio = newTestFactory(t, unreachable(t), "")
	if code := tio.run("version", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var v versionInfo
	if err := json.Unmarshal(tio.out.Bytes(), &v); err != nil || v != tio.f.build {
		t.Fatalf("json %q: %+v, %v", tio.out, v, err)
	}

	tio = newTestFactory(t, unreachable(t), "")
	if code := tio.run("--version"); code != 0 || tio.out.String() != "dagdeck test (commit 0123abc-dirty, go1.26.8)\n" {
		t.Fatalf("exit %d, stdout %q", code, tio.out)
	}
}
