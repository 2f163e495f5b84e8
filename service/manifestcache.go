package service

import (
	"sync"

	"github.com/dagdeck/dagdeck"
)

// manifestCacheSize bounds the decoded manifests kept in memory: a 2,000-file
// manifest takes about a megabyte decoded.
const manifestCacheSize = 64

// manifestCache keeps recently read manifests. Manifests are content-
// addressed, so an entry never goes stale; callers must not modify them.
type manifestCache struct {
	mu    sync.Mutex
	byKey map[string]*dagdeck.Manifest
	order []string // oldest first, for eviction
}

func (c *manifestCache) get(digest string) (*dagdeck.Manifest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.byKey[digest]
	return m, ok
}

func (c *manifestCache) put(digest string, m *dagdeck.Manifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = make(map[string]*dagdeck.Manifest, manifestCacheSize)
	}
	if _, ok := c.byKey[digest]; ok {
		return
	}
	if len(c.order) == manifestCacheSize {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	c.byKey[digest] = m
	c.order = append(c.order, digest)
}

// remove forgets a manifest whose blob was deleted.
func (c *manifestCache) remove(digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[digest]; !ok {
		return
	}
	delete(c.byKey, digest)
	for i, k := range c.order {
		if k == digest {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}
