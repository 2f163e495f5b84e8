package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Webhook delivery outcomes for WebhookDelivered, as the service's
// deliverer reports them (service.DeliveryOptions.OnAttempt). Keep to these
// (or a few more fixed words): every distinct outcome is a time series.
const (
	WebhookOutcomeDelivered = "delivered" // the receiver answered 2xx
	WebhookOutcomeFailed    = "failed"    // an error status, a timeout or a connection error; retried later
	WebhookOutcomeGaveUp    = "gave_up"   // failed, and the retry window is over
)

// webhookBacklogTimeout bounds one call of the backlog function.
const webhookBacklogTimeout = 5 * time.Second

var webhookBacklogDesc = prometheus.NewDesc("dagdeck_webhook_outbox_backlog",
	"Webhook events in the outbox not yet delivered (nor given up). Absent until the webhook sender reports it.", nil, nil)

// webhookMetrics count webhook delivery attempts and report the outbox.
type webhookMetrics struct {
	deliveries *prometheus.CounterVec
	backlog    *backlogCollector
}

func newWebhookMetrics(reg *prometheus.Registry, logger *slog.Logger) webhookMetrics {
	w := webhookMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dagdeck_webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome (delivered, failed, gave_up).",
		}, []string{"outcome"}),
		backlog: &backlogCollector{logger: logger},
	}
	for _, o := range []string{WebhookOutcomeDelivered, WebhookOutcomeFailed, WebhookOutcomeGaveUp} {
		w.deliveries.WithLabelValues(o)
	}
	reg.MustRegister(w.deliveries, w.backlog)
	return w
}

// WebhookDelivered counts one delivery attempt with its outcome: one of
// WebhookOutcomeDelivered, WebhookOutcomeFailed or WebhookOutcomeGaveUp. It
// fits service.DeliveryOptions.OnAttempt.
func (m *Metrics) WebhookDelivered(outcome string) {
	m.webhooks.deliveries.WithLabelValues(outcome).Inc()
}

// SetWebhookBacklog sets how dagdeck_webhook_outbox_backlog is read: fn
// returns the number of undelivered events. It is called on every scrape
// with a 5-second deadline, so it must be cheap (a count over an index).
func (m *Metrics) SetWebhookBacklog(fn func(ctx context.Context) (int, error)) {
	m.webhooks.backlog.set(fn)
}

// backlogCollector calls the webhook sender's backlog function on scrape.
type backlogCollector struct {
	logger *slog.Logger
	mu     sync.Mutex
	fn     func(ctx context.Context) (int, error)
}

func (c *backlogCollector) set(fn func(ctx context.Context) (int, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fn = fn
}

// Describe implements prometheus.Collector.
func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- webhookBacklogDesc }

// Collect implements prometheus.Collector.
func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	fn := c.fn
	c.mu.Unlock()
	if fn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookBacklogTimeout)
	defer cancel()
	n, err := fn(ctx)
	if err != nil {
		c.logger.Error("metrics: read webhook outbox backlog", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(webhookBacklogDesc, prometheus.GaugeValue, float64(n))
}
