// Package metrics exposes dagdeck's Prometheus metrics: deploys, rollbacks,
// uploads, the artifact store, garbage collection, task tries, webhook
// deliveries and HTTP requests. A Metrics implements dagdeck.Observer (the
// service reports to it) and server.RequestObserver (the HTTP server
// reports to it), and serves everything in the Prometheus text format from
// a registry of its own, never the global default one.
package metrics

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dagdeck/dagdeck"
)

// Metrics holds dagdeck's metrics. Create it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg    *prometheus.Registry
	logger *slog.Logger

	deploys          *prometheus.CounterVec
	deployDuration   *prometheus.HistogramVec
	rollbacks        *prometheus.CounterVec
	rollbackDuration prometheus.Histogram
	uploaded         prometheus.Counter
	deduplicated     prometheus.Counter
	gc               gcMetrics
	artifacts        *artifactCollector
	http             httpMetrics
	webhooks         webhookMetrics
}

// New returns Metrics registered in a registry of their own, with the Go
// runtime's and the process's metrics. logger receives the errors of
// collectors that read the store.
func New(logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Metrics{reg: prometheus.NewRegistry(), logger: logger}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registerDeploys()
	m.registerUploads()
	m.gc = newGCMetrics(m.reg)
	m.artifacts = &artifactCollector{}
	m.reg.MustRegister(m.artifacts)
	m.http = newHTTPMetrics(m.reg)
	m.webhooks = newWebhookMetrics(m.reg, logger)
	return m
}

// Handler serves the metrics in the Prometheus text format (or any format
// the scraper negotiates). It checks no credentials: mount it behind an
// authorization check, or on a listener of its own (--metrics-addr).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
}

// Registry returns the registry the metrics live in (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

var _ dagdeck.Observer = (*Metrics)(nil)
