package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// userCacheDir is where Pack keeps its hash caches; tests replace it.
var userCacheDir = os.UserCacheDir

// hashCacheMargin is how much older than the start of a pack a file's
// timestamps must be for its digest to be cached. A later write sets the
// change time to the current time, so it cannot leave the stamp unchanged.
const hashCacheMargin = 2 * time.Second

// fileStamp identifies a version of a file's content without reading it.
type fileStamp struct {
	Size  int64  `json:"s"`
	Mtime int64  `json:"m"`
	Ctime int64  `json:"c,omitempty"`
	Ino   uint64 `json:"i,omitempty"`
}

// cachedDigest is a digest known for a file while its stamp is unchanged.
type cachedDigest struct {
	Stamp  fileStamp `json:"t"`
	Digest string    `json:"d"`
}

// hashCache remembers the digests of a project's files between packs, as
// git's index and restic's cache do, so that a re-pack reads only the files
// that changed. It is an optimisation only: a cache that cannot be read or
// written is treated as empty, and a deploy never fails because of it. The
// artifact store checks every uploaded digest regardless.
type hashCache struct {
	file    string
	entries map[string]cachedDigest // project path → digest
}

// loadHashCache returns the cache of the project at root, empty if there is
// none or it cannot be read.
func loadHashCache(root string) *hashCache {
	c := &hashCache{entries: make(map[string]cachedDigest)}
	base, err := userCacheDir()
	if err != nil {
		return c
	}
	sum := sha256.Sum256([]byte(root))
	c.file = filepath.Join(base, "dagdeck", "pack", hex.EncodeToString(sum[:16])+".json")
	if b, err := os.ReadFile(c.file); err == nil {
		if json.Unmarshal(b, &c.entries) != nil {
			clear(c.entries)
		}
	}
	return c
}

// fill sets the digest and size of every regular file in entries whose
// stamp the cache knows.
func (c *hashCache) fill(entries []packEntry) {
	if c == nil {
		return
	}
	for i := range entries {
		e := &entries[i]
		if cd, ok := c.entries[e.file.Path]; ok && e.file.Mode.Type() == 0 && cd.Stamp == e.stamp {
			e.file.Digest, e.file.Size = cd.Digest, cd.Stamp.Size
		}
	}
}

// save replaces the cache with the digests of entries whose timestamps are
// older than start by hashCacheMargin. It writes a temp file and renames it.
func (c *hashCache) save(entries []packEntry, start time.Time) {
	if c == nil || c.file == "" {
		return
	}
	limit := start.Add(-hashCacheMargin).UnixNano()
	next := make(map[string]cachedDigest, len(entries))
	for _, e := range entries {
		s := e.stamp
		if e.file.Digest != "" && s.Size == e.file.Size && s.Mtime < limit && s.Ctime < limit {
			next[e.file.Path] = cachedDigest{Stamp: s, Digest: e.file.Digest}
		}
	}
	b, err := json.Marshal(next)
	if err != nil || os.MkdirAll(filepath.Dir(c.file), 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.file), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), c.file) != nil {
		os.Remove(tmp.Name())
	}
}
