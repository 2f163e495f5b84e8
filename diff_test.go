package dagdeck_test

import (
	"io/fs"
	"reflect"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestDiffManifests(t *testing.T) {
	t.Parallel()
	d1, d2 := dagdeck.DigestOf([]byte("1")), dagdeck.DigestOf([]byte("2"))
	reg := func(p, d string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: 0o644, Size: 1, Digest: d}
	}
	link := func(p, target string) dagdeck.ManifestFile {
		return dagdeck.ManifestFile{Path: p, Mode: fs.ModeSymlink | 0o777, Target: target}
	}
	exec := reg("dags/run.sh", d1)
	exec.Mode = 0o755
	m := func(files ...dagdeck.ManifestFile) *dagdeck.Manifest {
		return &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs, Files: files}
	}
	tests := []struct {
		name                    string
		from, to                *dagdeck.Manifest
		added, removed, changed []string
	}{
		{"Same", m(reg("dags/a", d1)), m(reg("dags/a", d1)), nil, nil, nil},
		{"Added", m(reg("dags/a", d1)), m(reg("dags/b", d1), reg("dags/a", d1), reg("dags/0", d2)), []string{"dags/0", "dags/b"}, nil, nil},
		{"Removed", m(reg("dags/b", d1), reg("dags/a", d1)), m(), nil, []string{"dags/a", "dags/b"}, nil},
		{"ContentChanged", m(reg("dags/a", d1)), m(reg("dags/a", d2)), nil, nil, []string{"dags/a"}},
		{"ModeChanged", m(reg("dags/run.sh", d1)), m(exec), nil, nil, []string{"dags/run.sh"}},
		{"TargetChanged", m(link("dags/l", "a")), m(link("dags/l", "b")), nil, nil, []string{"dags/l"}},
		{"FileBecameLink", m(reg("dags/l", d1)), m(link("dags/l", "a")), nil, nil, []string{"dags/l"}},
		{"NilFrom", nil, m(reg("dags/a", d1)), []string{"dags/a"}, nil, nil},
		{"NilBoth", nil, nil, nil, nil, nil},
	}
	norm := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	for _, tt := range tests {
		added, removed, changed := dagdeck.DiffManifests(tt.from, tt.to)
		if !reflect.DeepEqual(added, norm(tt.added)) || !reflect.DeepEqual(removed, norm(tt.removed)) || !reflect.DeepEqual(changed, norm(tt.changed)) {
			t.Errorf("%s: DiffManifests = %v, %v, %v; want %v, %v, %v", tt.name, added, removed, changed, tt.added, tt.removed, tt.changed)
		}
	}
}
