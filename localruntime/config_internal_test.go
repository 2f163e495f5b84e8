package localruntime

import (
	"os"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// noBackend satisfies dagdeck.RuntimeBackend; defaults never calls it.
type noBackend struct{ dagdeck.RuntimeBackend }

func TestConfigDefaults_TaskUserKeepsTheOtherDefaults(t *testing.T) {
	c := Config{DataDir: t.TempDir(), Backend: noBackend{}, TaskUser: "nobody", CodeDir: t.TempDir()}
	// Refused unless root (the only error this config can meet); the other
	// defaults are set either way.
	err := c.defaults()
	if root := os.Geteuid() == 0; (err == nil) != root || (err != nil && !strings.Contains(err.Error(), "only when the runtime runs as root")) {
		t.Fatalf("defaults() = %v (root %v)", err, root)
	}
	if c.Logger == nil || c.Now == nil || c.BaseEnv == nil || c.KillGrace == 0 {
		t.Fatalf("defaults left unset with a task user: %+v", c)
	}
}
