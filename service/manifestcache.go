package service

import (
	"sync"
)

// Cache sizes. A decoded 2,000-file manifest takes about a megabyte, a git
// tree of it about half of that.
const (
	manifestCacheSize = 64
	treeCacheSize     = 16
	// gitIDCacheSize holds the files of several versions of large projects,
	// about 150 bytes each.
	gitIDCacheSize = 50_000
)

// boundedCache keeps the size most recently added values of
// content-addressed data, so an entry never goes stale; callers must not
// modify what it returns.
type boundedCache[V any] struct {
	size  int
	mu    sync.Mutex
	byKey map[string]V
	order []string // oldest first, for eviction
}

func newBoundedCache[V any](size int) *boundedCache[V] {
	return &boundedCache[V]{size: size, byKey: make(map[string]V, size)}
}

func (c *boundedCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.byKey[key]
	return v, ok
}

func (c *boundedCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	if len(c.order) == c.size {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	c.byKey[key] = v
	c.order = append(c.order, key)
}

// remove forgets a value (a manifest whose blob was deleted).
func (c *boundedCache[V]) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; !ok {
		return
	}
	delete(c.byKey, key)
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}
