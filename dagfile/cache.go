package dagfile

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
)

// maxCached bounds a Cache: past it, the cache starts over.
const maxCached = 20_000

// Cache remembers what files loaded to, by their path, content and runtime
// version, so a runtime that activates a version it has seen before, or a
// version that shares most of its Dag files with another, parses only the
// files it never saw. Loading is a pure function of those three, and loaded
// Dags are never modified, so results are shared. Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[cacheKey]cached
	hits    int
}

type cacheKey struct {
	name, runtimeVersion string
	sum                  [sha256.Size]byte
}

type cached struct {
	dags []*Dag
	errs []*ImportError
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[cacheKey]cached{}} }

// Hits reports how many loads the cache answered.
func (c *Cache) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// known returns what the file name with content digest ("sha256:<hex>")
// loaded to, if the cache has it.
func (c *Cache) known(name, digest string, opts Options) ([]*Dag, []*ImportError, bool) {
	hexSum, ok := strings.CutPrefix(digest, "sha256:")
	key := cacheKey{name: name, runtimeVersion: opts.RuntimeVersion}
	if !ok || hex.DecodedLen(len(hexSum)) != len(key.sum) {
		return nil, nil, false
	}
	if _, err := hex.Decode(key.sum[:], []byte(hexSum)); err != nil {
		return nil, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok {
		c.hits++
	}
	return e.dags, e.errs, ok
}

// Parse loads the file name with content data into the cache ahead of a
// LoadDir that will find it there (by the content's own hash: content that
// is not what a manifest says is never found under its digest).
func (c *Cache) Parse(name string, data []byte, opts Options) { c.load(name, data, opts) }

// load is LoadFile through the cache.
func (c *Cache) load(name string, data []byte, opts Options) ([]*Dag, []*ImportError) {
	key := cacheKey{name: name, runtimeVersion: opts.RuntimeVersion, sum: sha256.Sum256(data)}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.hits++
		c.mu.Unlock()
		return e.dags, e.errs
	}
	c.mu.Unlock()
	dags, errs := LoadFile(name, data, opts)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[key] = cached{dags, errs}
	return dags, errs
}
