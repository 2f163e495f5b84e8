package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics count the server's requests by route pattern and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) httpMetrics {
	h := httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dagdeck_http_requests_total",
			Help: `HTTP requests answered, by route (the router's pattern, such as "GET /api/v1/deployments/{id}", or "unmatched") and status.`,
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dagdeck_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(h.requests, h.latency)
	return h
}

// RequestServed implements server.RequestObserver. route is a registered
// pattern (bounded), never a raw path.
func (m *Metrics) RequestServed(route string, status int, d time.Duration) {
	m.http.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.http.latency.WithLabelValues(route).Observe(d.Seconds())
}
