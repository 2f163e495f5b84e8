package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dagdeck/dagdeck"
)

// gcMetrics count garbage collections and what they removed.
type gcMetrics struct {
	runs, pruned, bytes, blobs prometheus.Counter
	duration                   prometheus.Histogram
	// last is registered at the first collection: before it there is no
	// time to report, and 0 would read as "decades ago".
	last     prometheus.Gauge
	lastOnce *sync.Once
}

func newGCMetrics(reg *prometheus.Registry) gcMetrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	g := gcMetrics{
		runs:   counter("dagdeck_gc_runs_total", "Garbage collections that completed."),
		pruned: counter("dagdeck_gc_pruned_deploys_total", "Deploys whose artifacts garbage collection removed (their records stay)."),
		bytes:  counter("dagdeck_gc_deleted_bytes_total", "Bytes of blobs garbage collection deleted."),
		blobs:  counter("dagdeck_gc_deleted_blobs_total", "Blobs garbage collection deleted."),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dagdeck_gc_duration_seconds",
			Help:    "Time a completed garbage collection took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dagdeck_gc_last_run_timestamp_seconds",
			Help: "When the last garbage collection on this server completed, in Unix seconds.",
		}),
	}
	g.lastOnce = &sync.Once{}
	reg.MustRegister(g.runs, g.pruned, g.bytes, g.blobs, g.duration)
	return g
}

// GarbageCollected implements dagdeck.Observer. The collector's walk also
// measures the artifact store: what it kept is the store's size.
func (m *Metrics) GarbageCollected(res *dagdeck.GCResult, d time.Duration) {
	m.gc.runs.Inc()
	m.gc.pruned.Add(float64(res.DeploysPruned))
	m.gc.bytes.Add(float64(res.BytesDeleted))
	m.gc.blobs.Add(float64(res.BlobsDeleted))
	m.gc.duration.Observe(d.Seconds())
	m.gc.last.SetToCurrentTime()
	m.gc.lastOnce.Do(func() { m.reg.MustRegister(m.gc.last) })
	m.artifacts.set(res.BytesKept, int64(res.BlobsKept))
}

// MeasureArtifactStore walks the artifact store once to learn its size, so
// the size is known before the first garbage collection. A collection that
// finishes meanwhile wins. Servers call it once, in the background, at start.
func (m *Metrics) MeasureArtifactStore(ctx context.Context, a dagdeck.ArtifactStore) error {
	gen := m.artifacts.generation()
	var bytes, blobs int64
	err := a.Walk(ctx, func(b dagdeck.BlobInfo) error {
		bytes += b.Size
		blobs++
		return nil
	})
	if err != nil {
		return fmt.Errorf("measure artifact store: %w", err)
	}
	m.artifacts.setIf(gen, bytes, blobs)
	return nil
}

var (
	artifactBytesDesc = prometheus.NewDesc("dagdeck_artifact_store_bytes",
		"Size of the artifact store: as the last garbage collection's walk (or the walk at start) saw it, plus bytes uploaded through this server since. Absent until first measured.", nil, nil)
	artifactBlobsDesc = prometheus.NewDesc("dagdeck_artifact_store_blobs",
		"Blobs in the artifact store, measured like dagdeck_artifact_store_bytes.", nil, nil)
)

// artifactCollector reports the artifact store's size from the last walk
// and the uploads since: a scrape never walks the store.
type artifactCollector struct {
	mu           sync.Mutex
	gen          int // measurements so far
	bytes, blobs int64
}

func (c *artifactCollector) generation() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *artifactCollector) set(bytes, blobs int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.bytes, c.blobs = bytes, blobs
}

// setIf sets the size if no measurement happened since generation gen.
func (c *artifactCollector) setIf(gen int, bytes, blobs int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.gen++
		c.bytes, c.blobs = bytes, blobs
	}
}

func (c *artifactCollector) add(size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bytes += size
	c.blobs++
}

// Describe implements prometheus.Collector.
func (c *artifactCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- artifactBytesDesc
	ch <- artifactBlobsDesc
}

// Collect implements prometheus.Collector.
func (c *artifactCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == 0 {
		return
	}
	ch <- prometheus.MustNewConstMetric(artifactBytesDesc, prometheus.GaugeValue, float64(c.bytes))
	ch <- prometheus.MustNewConstMetric(artifactBlobsDesc, prometheus.GaugeValue, float64(c.blobs))
}
