package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dagdeck/dagdeck"
)

// Histogram buckets, in seconds. A deploy includes the client's upload
// (seconds to minutes); a rollback is one request (target: 50 ms).
var (
	deployBuckets   = []float64{0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800}
	rollbackBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

func (m *Metrics) registerDeploys() {
	m.deploys = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dagdeck_deploys_total",
		Help: "Deploys that finished, by Deployment, deploy type and outcome (deployed, failed, cancelled). Rollbacks are counted by dagdeck_rollbacks_total.",
	}, []string{"deployment", "type", "outcome"})
	m.deployDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dagdeck_deploy_duration_seconds",
		Help:    "Time from a deploy's creation to DEPLOYED (uploads included), by deploy type.",
		Buckets: deployBuckets,
	}, []string{"type"})
	m.rollbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dagdeck_rollbacks_total",
		Help: "Rollback requests (dry runs excluded) by outcome (deployed, refused, failed) and, when refused or failed, error code.",
	}, []string{"outcome", "code"})
	m.rollbackDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "dagdeck_rollback_duration_seconds",
		Help:    "Time the server took to carry out a rollback that was deployed.",
		Buckets: rollbackBuckets,
	})
	m.reg.MustRegister(m.deploys, m.deployDuration, m.rollbacks, m.rollbackDuration)
	for _, t := range []dagdeck.DeployType{dagdeck.DeployImageAndDAG, dagdeck.DeployDAGOnly, dagdeck.DeployImageOnly} {
		m.deployDuration.WithLabelValues(string(t))
	}
	m.rollbacks.WithLabelValues(dagdeck.OutcomeDeployed, "")
	m.rollbacks.WithLabelValues(dagdeck.OutcomeFailed, dagdeck.EINTERNAL)
}

// DeployFinished implements dagdeck.Observer.
func (m *Metrics) DeployFinished(e dagdeck.DeployEvent) {
	d := e.Deploy
	m.deploys.WithLabelValues(e.Deployment, string(d.Type), e.Outcome).Inc()
	if e.Outcome == dagdeck.OutcomeDeployed && d.FinalizedAt != nil {
		m.deployDuration.WithLabelValues(string(d.Type)).Observe(d.FinalizedAt.Sub(d.CreatedAt).Seconds())
	}
}

// RollbackFinished implements dagdeck.Observer.
func (m *Metrics) RollbackFinished(e dagdeck.RollbackEvent) {
	m.rollbacks.WithLabelValues(e.Outcome, e.Code).Inc()
	if e.Outcome == dagdeck.OutcomeDeployed {
		m.rollbackDuration.Observe(e.Duration.Seconds())
	}
}

func (m *Metrics) registerUploads() {
	m.uploaded = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dagdeck_upload_bytes_total",
		Help: "Bytes of files uploaded and stored.",
	})
	m.deduplicated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dagdeck_deduplicated_bytes_total",
		Help: "Bytes of files that deploys referenced and the artifact store already held, so they were not uploaded.",
	})
	m.reg.MustRegister(m.uploaded, m.deduplicated)
}

// BlobUploaded implements dagdeck.Observer.
func (m *Metrics) BlobUploaded(size int64) {
	m.uploaded.Add(float64(size))
	m.artifacts.add(size)
}

// BlobsDeduplicated implements dagdeck.Observer.
func (m *Metrics) BlobsDeduplicated(size int64) { m.deduplicated.Add(float64(size)) }
