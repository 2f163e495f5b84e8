//go:build unix

package bundle

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestPack_SpecialFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"FIFO", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"Socket", func(t *testing.T, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Skipf("unix socket: %v", err)
			}
			t.Cleanup(func() { l.Close() })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := newTestProject(t)
			tt.setup(t, filepath.Join(dir, "include", "special"))
			_, err := Pack(context.Background(), dir)
			if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), `"include/special" is a special file`) {
				t.Fatalf("err = %v, want EINVALID naming include/special", err)
			}
		})
	}
}
