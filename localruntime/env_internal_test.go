package localruntime

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// TestTemplateContext_Conf checks that a run's conf overrides the Dag's
// params, that its numbers print as Airflow prints them (3, not 3.0), and
// that a conf that is not one JSON object is ignored.
func TestTemplateContext_Conf(t *testing.T) {
	t.Parallel()
	dag := &dagfile.Dag{Params: map[string]any{"n": 1, "keep": "k"}}
	ti := &dagdeck.TaskInstance{DagID: "d", TaskID: "t", RunID: "r", TryNumber: 1}
	tmpl := dagfile.Value{Kind: dagfile.Template,
		Text: "{{ params.n }} {{ params.r | d('') }} {{ params.e | d('') }} {{ params.big | d('') }} {{ params.keep }}"}
	tests := []struct{ conf, want string }{
		{`{"n": 3, "r": 2.0, "e": 1e2, "big": 12345678901234567890}`, "3 2.0 100.0 12345678901234567890 k"},
		{`{"n": 3} trailing`, "1    k"},
		{``, "1    k"},
	}
	for _, tt := range tests {
		r := &dagdeck.DagRun{LogicalDate: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Conf: tt.conf}
		got, err := tmpl.Resolve(templateContext(dag, r, ti), nil)
		if err != nil || got != tt.want {
			t.Errorf("conf %s: got %q, %v; want %q", tt.conf, got, err, tt.want)
		}
	}
}
