package bundle

import (
	"slices"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestCodeState(t *testing.T) {
	t.Parallel()
	file := func(p string) dagdeck.ManifestFile { return dagdeck.ManifestFile{Path: p, Mode: 0o644} }
	image := &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{file("Dockerfile"), file("dags/old.yaml"), file("include/q.sql")}}
	dags := &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs, Files: []dagdeck.ManifestFile{file("dags/new.yaml")}}
	paths := func(ms []*dagdeck.Manifest) []string {
		var out []string
		for _, m := range ms {
			for _, f := range m.Files {
				out = append(out, f.Path)
			}
		}
		return out
	}
	tests := []struct {
		name        string
		image, dags *dagdeck.Manifest
		want        []string
	}{
		{"image and bundle", image, dags, []string{"Dockerfile", "include/q.sql", "dags/new.yaml"}},
		{"image only (DAG deploys disabled)", image, nil, []string{"Dockerfile", "dags/old.yaml", "include/q.sql"}},
		{"bundle only", nil, dags, []string{"dags/new.yaml"}},
		{"nothing", nil, nil, nil},
	}
	for _, tt := range tests {
		if got := paths(CodeState(tt.image, tt.dags)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if len(image.Files) != 3 {
		t.Fatalf("CodeState modified the image manifest: %v", image.Files)
	}
}
