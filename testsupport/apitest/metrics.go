package apitest

import (
	"bytes"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is a parsed scrape: metric families by name.
type Metrics map[string]*dto.MetricFamily

// ParseMetrics parses a scrape in the Prometheus text format with
// Prometheus's own parser, failing the test on any error.
func ParseMetrics(t testing.TB, scrape []byte) Metrics {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(scrape))
	if err != nil {
		t.Fatalf("parse the scrape: %v\n%s", err, scrape)
	}
	return fams
}

// Value returns the value of the sample of name whose labels include the
// pairs given (name, value, name, value…): a counter's or gauge's value, a
// histogram's count. ok is false when there is no such sample.
func (ms Metrics) Value(name string, labels ...string) (v float64, ok bool) {
	f := ms[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if hasLabels(m, labels) {
			return sampleValue(m), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	have := make(map[string]string)
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if have[pairs[i]] != pairs[i+1] {
			return false
		}
	}
	return true
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// LabelValues returns every value the label takes in the samples of name.
func (ms Metrics) LabelValues(name, label string) []string {
	var out []string
	for _, m := range ms[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}
