package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dagdeck/dagdeck"
)

// DefaultTaskCountAge is how long WatchTasks reuses the store's counts.
const DefaultTaskCountAge = 15 * time.Second

// taskCountTimeout bounds one count query.
const taskCountTimeout = 5 * time.Second

// taskStates are the states reported for every Deployment, zero or not, so
// a state that empties shows 0 instead of vanishing.
var taskStates = []string{
	dagdeck.TaskScheduled, dagdeck.TaskRunning, dagdeck.TaskSuccess, dagdeck.TaskFailed,
	dagdeck.TaskSkipped, dagdeck.TaskUpForRetry, dagdeck.TaskUpstreamFailed,
}

var taskTriesDesc = prometheus.NewDesc("dagdeck_task_tries",
	"Task tries recorded by the runtimes, by Deployment and state (read from the metadata store, at most every few seconds).",
	[]string{"deployment", "state"}, nil)

// WatchTasks adds dagdeck_task_tries, read from store with one grouped
// count over an index. Scrapes within maxAge of the last read reuse it, so
// scraping often costs the database nothing more.
func (m *Metrics) WatchTasks(store dagdeck.Store, maxAge time.Duration) {
	m.reg.MustRegister(&taskCollector{store: store, maxAge: maxAge, logger: m.logger})
}

type taskCollector struct {
	store  dagdeck.Store
	maxAge time.Duration
	logger *slog.Logger

	mu     sync.Mutex
	read   time.Time
	counts map[string]map[string]int64 // Deployment name → state → tries
}

// Describe implements prometheus.Collector.
func (c *taskCollector) Describe(ch chan<- *prometheus.Desc) { ch <- taskTriesDesc }

// Collect implements prometheus.Collector. When the store cannot be read
// it logs why and reports the last counts it read.
func (c *taskCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.read) >= c.maxAge {
		counts, err := c.count()
		if err != nil {
			c.logger.Error("metrics: count task tries", "err", err)
		} else {
			c.counts, c.read = counts, time.Now()
		}
	}
	for name, byState := range c.counts {
		for state, n := range byState {
			ch <- prometheus.MustNewConstMetric(taskTriesDesc, prometheus.GaugeValue, float64(n), name, state)
		}
	}
}

// count reads the tries per Deployment name and state.
func (c *taskCollector) count() (map[string]map[string]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), taskCountTimeout)
	defer cancel()
	out := make(map[string]map[string]int64)
	err := c.store.View(ctx, func(tx dagdeck.Tx) error {
		deps, err := tx.ListDeployments(ctx)
		if err != nil {
			return err
		}
		names := make(map[string]string, len(deps))
		for _, d := range deps {
			names[d.ID] = d.Name
			out[d.Name] = make(map[string]int64, len(taskStates))
			for _, state := range taskStates {
				out[d.Name][state] = 0
			}
		}
		counts, err := tx.CountTaskInstances(ctx)
		for _, tc := range counts {
			if name, ok := names[tc.DeploymentID]; ok {
				out[name][tc.State] = tc.Count
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read task counts: %w", err)
	}
	return out, nil
}
