package localruntime

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

// noBackend satisfies dagdeck.RuntimeBackend; defaults never calls it.
type noBackend struct{ dagdeck.RuntimeBackend }

func TestConfigDefaults_TaskUserKeepsTheOtherDefaults(t *testing.T) {
	c := Config{DataDir: t.TempDir(), Backend: noBackend{}, TaskUser: "nobody", CodeDir: t.TempDir()}
	_ = c.defaults() // refused unless root; the other defaults are set either way
	if c.Logger == nil || c.Now == nil || c.BaseEnv == nil || c.KillGrace == 0 {
		t.Fatalf("defaults left unset with a task user: %+v", c)
	}
}
