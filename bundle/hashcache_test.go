package bundle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func TestHashCache_Save(t *testing.T) {
	t.Parallel()
	root := t.TempDir() // only names the cache file
	start := time.Now()
	old := start.Add(-time.Hour).UnixNano()
	recent := start.Add(-time.Second).UnixNano()
	entries := []packEntry{
		{file: dagdeck.ManifestFile{Path: "old", Size: 1, Digest: "sha256:old"}, stamp: fileStamp{Size: 1, Mtime: old, Ctime: old}},
		{file: dagdeck.ManifestFile{Path: "recentMtime", Size: 1, Digest: "sha256:m"}, stamp: fileStamp{Size: 1, Mtime: recent, Ctime: old}},
		{file: dagdeck.ManifestFile{Path: "recentCtime", Size: 1, Digest: "sha256:c"}, stamp: fileStamp{Size: 1, Mtime: old, Ctime: recent}},
		{file: dagdeck.ManifestFile{Path: "grew", Size: 2, Digest: "sha256:g"}, stamp: fileStamp{Size: 1, Mtime: old, Ctime: old}},
	}
	loadHashCache(root).save(entries, start)

	c := loadHashCache(root)
	if len(c.entries) != 1 || c.entries["old"].Digest != "sha256:old" {
		t.Fatalf("cache holds %+v, want only the old file", c.entries)
	}
	fresh := []packEntry{
		{file: dagdeck.ManifestFile{Path: "old"}, stamp: entries[0].stamp},
		{file: dagdeck.ManifestFile{Path: "recentMtime"}, stamp: entries[1].stamp},
	}
	c.fill(fresh)
	if fresh[0].file.Digest != "sha256:old" || fresh[0].file.Size != 1 || fresh[1].file.Digest != "" {
		t.Fatalf("fill gave %+v", fresh)
	}
	changed := []packEntry{{file: dagdeck.ManifestFile{Path: "old"}, stamp: fileStamp{Size: 1, Mtime: old, Ctime: old + 1}}}
	c.fill(changed)
	if changed[0].file.Digest != "" {
		t.Fatalf("fill used the cache for a changed stamp: %+v", changed[0])
	}
}

// TestPack_HashCache shows that Pack trusts the cache while a file's stamp
// is unchanged (by planting a wrong digest) and reads the file once it changes.
func TestPack_HashCache(t *testing.T) {
	t.Parallel()
	dir := newTestProject(t)
	name := filepath.Join(dir, "requirements.txt")
	info, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	planted := dagdeck.DigestOf([]byte("planted"))
	c := loadHashCache(dir)
	c.entries["requirements.txt"] = cachedDigest{Stamp: stampOf(info), Digest: planted}
	b, _ := json.Marshal(c.entries)
	writeFile(t, c.file, string(b))

	if got := packedDigest(t, dir, "requirements.txt"); got != planted {
		t.Fatalf("digest = %s, want the cached %s", got, planted)
	}
	writeFile(t, name, "# nada\n") // same size, new content
	// Coarse file clocks may leave the times as they were; an editor would not.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	if got, want := packedDigest(t, dir, "requirements.txt"), dagdeck.DigestOf([]byte("# nada\n")); got != want {
		t.Fatalf("digest after a change = %s, want %s", got, want)
	}
}

func TestPack_CorruptHashCache(t *testing.T) {
	t.Parallel()
	dir := newTestProject(t)
	writeFile(t, loadHashCache(dir).file, "{not json")
	if got, want := packedDigest(t, dir, "requirements.txt"), dagdeck.DigestOf([]byte("# none\n")); got != want {
		t.Fatalf("digest = %s, want %s", got, want)
	}
}

func packedDigest(t *testing.T, dir, path string) string {
	t.Helper()
	p, err := Pack(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		if f.Path == path {
			return f.Digest
		}
	}
	t.Fatalf("%s not packed", path)
	return ""
}
