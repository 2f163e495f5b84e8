package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo says which dagdeck this is, from the build information.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
}

// String renders the one line of `dagdeck --version`'s value:
// "v1.2.0 (commit 0123abc, go1.26.8)".
func (v versionInfo) String() string {
	return fmt.Sprintf("%s (commit %s, %s)", v.Version, orUnknown(v.Commit), v.GoVersion)
}

// buildVersion returns the version of the running binary: the version set
// at link time (-X main.version=…) if any, else the main module's version
// (set by `go install module@version` and by `go build` in a git checkout);
// the commit from the VCS stamp, with "-dirty" for uncommitted changes.
func buildVersion(linked string) versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionFrom(linked, bi)
}

// versionFrom is buildVersion for given build information (nil if none).
func versionFrom(linked string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: linked, GoVersion: runtime.Version()}
	if bi == nil {
		return v.withDefaults()
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	if v.Version == "" || v.Version == "dev" {
		v.Version = bi.Main.Version
	}
	v.Commit = vcsCommit(bi.Settings)
	return v.withDefaults()
}

// vcsCommit returns the vcs.revision setting, with "-dirty" when
// vcs.modified is true; "" when the build has no VCS stamp (go run).
func vcsCommit(settings []debug.BuildSetting) string {
	var rev, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && modified == "true" {
		rev += "-dirty"
	}
	return rev
}

// withDefaults names an unknown version "devel".
func (v versionInfo) withDefaults() versionInfo {
	if v.Version == "" || v.Version == "dev" || v.Version == "(devel)" {
		v.Version = "devel"
	}
	return v
}

// orUnknown returns s, or "unknown" when s is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show dagdeck's version, commit and Go version",
		Long: `Show dagdeck's version, the commit it was built from ("-dirty" when the
checkout had uncommitted changes) and the Go version, read from the build
information of the binary.`,
		Example: `  dagdeck version
  dagdeck version -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.json() {
				return f.printJSON(f.build)
			}
			w := newTable(f.out)
			field(w, "Version", f.build.Version)
			field(w, "Commit", orUnknown(f.build.Commit))
			field(w, "Go", f.build.GoVersion)
			return w.Flush()
		},
	}
}
