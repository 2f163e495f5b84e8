package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/metrics"
	"github.com/dagdeck/dagdeck/server"
)

// metricsRole is the least role whose bearer token (or web session) may
// scrape /metrics on the API's address: every role may, runtime included.
const metricsRole = dagdeck.RoleViewer

// mountMetrics serves /metrics on the API's address to authenticated
// callers, and has the server count its requests.
func (m *Main) mountMetrics(srv *server.Server) {
	m.metrics.WatchTasks(m.store, metrics.DefaultTaskCountAge)
	m.metrics.SetWebhookBacklog(m.outboxBacklog)
	srv.SetRequestObserver(m.metrics)
	srv.MountAuthorized("GET /metrics", metricsRole, m.metrics.Handler())
}

// outboxBacklog counts the webhook events not yet delivered nor given up
// (a count over a partial index).
func (m *Main) outboxBacklog(ctx context.Context) (n int, err error) {
	err = m.store.View(ctx, func(tx dagdeck.Tx) error {
		n, err = tx.OutboxBacklog(ctx)
		return err
	})
	return n, err
}

// listenMetrics serves /metrics without authentication on MetricsAddr, when
// set: an address that only the monitoring system can reach.
func (m *Main) listenMetrics() error {
	if m.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on %s for metrics: %w", m.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	m.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.metricsHTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// measureArtifacts learns the artifact store's size once, so the metric
// exists before the first garbage collection.
func (m *Main) measureArtifacts(ctx context.Context) {
	if err := m.metrics.MeasureArtifactStore(ctx, m.artifacts); err != nil && ctx.Err() == nil {
		m.Logger.Error("metrics: measure the artifact store", "err", err)
	}
}

// closeMetrics stops the metrics listener; scrapes in flight are cut.
func (m *Main) closeMetrics() error {
	if m.metricsHTTP == nil {
		return nil
	}
	return m.metricsHTTP.Close()
}
