package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// tarEntry is what a test checks of one tar entry.
type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Linkname string
	Content  string
}

func readTarGz(t *testing.T, b []byte) []tarEntry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []tarEntry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		if !hdr.ModTime.Equal(tarModTime) || hdr.Uid != 0 || hdr.Uname != "" {
			t.Errorf("%s: mtime %v, uid %d, uname %q; want fixed values", hdr.Name, hdr.ModTime, hdr.Uid, hdr.Uname)
		}
		content, _ := io.ReadAll(tr)
		out = append(out, tarEntry{hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Linkname, string(content)})
	}
}

func TestWriteTarGz(t *testing.T) {
	t.Parallel()
	p, err := Pack(context.Background(), newTestProject(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTarGz(context.Background(), &buf, p.Image(false), projectOpener(p)); err != nil {
		t.Fatal(err)
	}
	dir := func(name string) tarEntry { return tarEntry{name, tar.TypeDir, 0o755, "", ""} }
	reg := func(name, content string, mode int64) tarEntry { return tarEntry{name, tar.TypeReg, mode, "", content} }
	link := func(name, target string) tarEntry { return tarEntry{name, tar.TypeSymlink, 0o777, target, ""} }
	want := []tarEntry{
		reg(".dagdeckignore", "*.pyc\ntmp/\n", 0o644),
		reg("Dockerfile", "FROM quay.io/dagdeck/runtime:1.1.0\n", 0o644),
		dir("dags/"),
		reg("dags/copy.yaml", "dag_id: report\n", 0o644),
		link("dags/include", "../include"),
		reg("dags/report.yaml", "dag_id: report\n", 0o644),
		dir("include/"),
		link("include/abs.txt", "../requirements.txt"),
		link("include/latest.sh", "report.sh"),
		reg("include/report.sh", "echo report v1\n", 0o755),
		dir("plugins/"),
		dir("plugins/sub/"),
		reg("plugins/sub/util.py", "X = 1\n", 0o644),
		reg("requirements.txt", "# none\n", 0o644),
	}
	if got := readTarGz(t, buf.Bytes()); !reflect.DeepEqual(got, want) {
		t.Fatalf("tar entries:\n got %+v\nwant %+v", got, want)
	}

	t.Run("Deterministic", func(t *testing.T) {
		var again bytes.Buffer
		if err := WriteTarGz(context.Background(), &again, p.Image(false), projectOpener(p)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), buf.Bytes()) {
			t.Fatal("two archives of the same manifest differ")
		}
	})
}

func TestWriteTarGz_Errors(t *testing.T) {
	t.Parallel()
	b := blobs{}
	d := b.add("good\n")
	file := func(size int64) *dagdeck.Manifest {
		return &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs, Files: []dagdeck.ManifestFile{{Path: "dags/a", Mode: 0o644, Size: size, Digest: d}}}
	}
	swapped := blobs{d: []byte("evil\n")}
	tests := []struct {
		name      string
		m         *dagdeck.Manifest
		open      func(string) (io.ReadCloser, error)
		wantMsg   string
		wantEmpty bool // nothing written: refused before streaming
	}{
		{"OK", file(5), b.open, "", false},
		{"Mismatch", file(5), swapped.open, "does not match its digest", false},
		{"Short", file(6), b.open, "has 5 bytes, want 6", false},
		{"Long", file(4), b.open, "longer than 4 bytes", false},
		{"Hostile", &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{{Path: "../x", Mode: 0o644, Size: 5, Digest: d}}}, b.open, `".." is not allowed`, true},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := WriteTarGz(context.Background(), &buf, tt.m, tt.open)
		if tt.wantMsg == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), tt.wantMsg) {
			t.Errorf("%s: err = %v, want EINVALID containing %q", tt.name, err, tt.wantMsg)
		}
		if tt.wantEmpty && buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before refusing", tt.name, buf.Len())
		}
	}
}
