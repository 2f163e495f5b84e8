package dagdeck

import (
	"strconv"
	"strings"
)

// Feature is a runtime capability gated by version. Each feature owns the
// metadata it produces, which a downgrade below its version erases.
type Feature struct {
	Name        string `json:"name"`
	Since       string `json:"since"`
	Description string `json:"description"`
	// Table names the metadata the feature owns, for plans ("task notes").
	Metadata string `json:"metadata"`
}

// Features of the runtime catalog.
var (
	FeatureTaskNotes = Feature{Name: "task_notes", Since: "1.1.0", Description: "free-text notes on task instances", Metadata: "task notes"}
	FeatureXCom      = Feature{Name: "xcom", Since: "2.0.0", Description: "XCom: a task's last stdout line as return_value, read downstream with $x", Metadata: "XCom values"}
)

// RuntimeVersions is the catalog of runtime versions dagdeck knows, oldest first.
var RuntimeVersions = []string{"1.0.0", "1.1.0", "2.0.0"}

// AllFeatures lists every gated feature, oldest first.
var AllFeatures = []Feature{FeatureTaskNotes, FeatureXCom}

// ValidateRuntimeVersion returns EINVALID unless v is in the catalog.
func ValidateRuntimeVersion(v string) error {
	for _, known := range RuntimeVersions {
		if v == known {
			return nil
		}
	}
	return Errorf(EINVALID, "invalid runtime version %q: known versions are %s", v, strings.Join(RuntimeVersions, ", "))
}

// CompareVersions compares two X.Y.Z versions: -1 if a < b, 0 if equal, +1 if a > b.
// Unparsable parts compare as 0.
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3; i++ {
		x, y := versionPart(pa, i), versionPart(pb, i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionPart(parts []string, i int) int {
	if i >= len(parts) {
		return 0
	}
	n, _ := strconv.Atoi(parts[i])
	return n
}

// HasFeature reports whether runtime version v has f.
func HasFeature(v string, f Feature) bool { return CompareVersions(v, f.Since) >= 0 }

// FeaturesLost returns the features that from has and to lacks.
func FeaturesLost(from, to string) []Feature {
	var lost []Feature
	for _, f := range AllFeatures {
		if HasFeature(from, f) && !HasFeature(to, f) {
			lost = append(lost, f)
		}
	}
	return lost
}

// RequireFeature returns ENOTIMPLEMENTED naming the version needed if
// runtime version v lacks f.
func RequireFeature(v string, f Feature) error {
	if HasFeature(v, f) {
		return nil
	}
	return Errorf(ENOTIMPLEMENTED, "%s need runtime %s or later; this Deployment runs %s", f.Description, f.Since, v)
}

// RuntimeChange classifies a change of runtime version.
type RuntimeChange string

// Runtime changes.
const (
	RuntimeUpgrade   RuntimeChange = "upgrade"
	RuntimeSame      RuntimeChange = "same"
	RuntimeDowngrade RuntimeChange = "downgrade"
)

// ClassifyRuntimeChange says whether going from → to upgrades, keeps or
// downgrades the runtime. An empty from (no deploy yet) is an upgrade.
func ClassifyRuntimeChange(from, to string) RuntimeChange {
	switch c := CompareVersions(to, from); {
	case from == "" || c > 0:
		return RuntimeUpgrade
	case c < 0:
		return RuntimeDowngrade
	}
	return RuntimeSame
}
