package localruntime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Log limits.
const (
	// maxLocalLog bounds the log file of one try on the runtime's disk;
	// output beyond it is dropped.
	maxLocalLog = 64 << 20
	// MaxStoredLog bounds the log stored for one try: its last bytes.
	MaxStoredLog = 1 << 20
	// logFlushEvery is how often a running try's log is stored.
	logFlushEvery = time.Second
	// MinMaskedSecret is the shortest secret value masked in logs and XComs
	// (as Airflow's min_length_masked_secret): shorter ones would garble them.
	MinMaskedSecret = 5
	// maxLastLine bounds the line kept as a try's XCom return_value.
	maxLastLine = 64 << 10
)

// tryLog is the log file of one try: stdout, stderr and dagdeck's own lines.
type tryLog struct {
	mu      sync.Mutex
	f       *os.File
	n       int64
	dropped bool
}

func createTryLog(path string) (*tryLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the try's log: %w", err)
	}
	return &tryLog{f: f}, nil
}

// Write appends b, dropping what exceeds maxLocalLog. It never fails, so a
// full disk never kills a task.
func (l *tryLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return len(b), nil
	}
	room := maxLocalLog - l.n
	if int64(len(b)) > room {
		if !l.dropped {
			l.dropped = true
			_, _ = l.f.Write([]byte("\ndagdeck: output beyond 64 MiB is dropped\n"))
		}
		return len(b), nil
	}
	n, _ := l.f.Write(b)
	l.n += int64(n)
	return len(b), nil
}

// printf writes one line of dagdeck's own.
func (l *tryLog) printf(format string, args ...any) {
	fmt.Fprintf(l, format+"\n", args...)
}

func (l *tryLog) size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *tryLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}

// lastLine passes output to w and remembers its last line: a BashOperator's
// XCom return_value.
type lastLine struct {
	w    io.Writer
	mu   sync.Mutex
	cur  []byte // the line being written
	last []byte // the last complete line
}

func (l *lastLine) Write(b []byte) (int, error) {
	n, err := l.w.Write(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.cur = appendCapped(l.cur, b)
			break
		}
		l.cur = appendCapped(l.cur, b[:i])
		l.last, l.cur = append(l.last[:0], l.cur...), l.cur[:0]
		b = b[i+1:]
	}
	return n, err
}

func appendCapped(dst, b []byte) []byte {
	if room := maxLastLine - len(dst); len(b) > room {
		b = b[:max(room, 0)]
	}
	return append(dst, b...)
}

// String returns the last line, without trailing whitespace.
func (l *lastLine) String() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	line := l.last
	if len(l.cur) > 0 {
		line = l.cur
	}
	return strings.TrimRight(string(line), " \t\r\n")
}

// secretValues are the Deployment's secret env values long enough to mask.
func secretValues(dep *dagdeck.Deployment) []string {
	var out []string
	if dep == nil {
		return nil
	}
	for _, v := range dep.Env {
		if v.IsSecret && len(v.Value) >= MinMaskedSecret {
			out = append(out, v.Value)
		}
	}
	return out
}

// mask replaces every secret value in s with ***.
func mask(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

// flushLogs stores the logs of running tries that grew, at most once per
// logFlushEvery each.
func (w *worker) flushLogs(ctx context.Context) {
	for _, p := range w.procs {
		if p.log.size() != p.uploaded && time.Since(p.uploadedAt) >= logFlushEvery {
			w.upload(ctx, p)
		}
	}
}

// upload stores a running try's log; a failure is only logged, the next
// flush sends it again.
func (w *worker) upload(ctx context.Context, p *process) {
	if err := w.putLog(ctx, p); err != nil {
		w.log.Debug("runtime: store a running try's log", "taskInstance", p.ti.ID, "err", err)
	}
}

// putLog stores the try's log file (its last MaxStoredLog bytes), secrets masked.
func (w *worker) putLog(ctx context.Context, p *process) error {
	size := p.log.size()
	data, err := readTail(p.logPath, MaxStoredLog)
	if err != nil {
		return err
	}
	if err := w.backend.PutTaskLog(ctx, w.id, p.ti.ID, []byte(mask(string(data), p.secrets))); err != nil {
		return err
	}
	p.uploaded, p.uploadedAt = size, time.Now()
	return nil
}

// readTail reads a file, or its last limit bytes with a note of what was left out.
func readTail(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() <= limit {
		return io.ReadAll(f)
	}
	skipped := fi.Size() - limit
	if _, err := f.Seek(skipped, io.SeekStart); err != nil {
		return nil, err
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return append([]byte(fmt.Sprintf("dagdeck: %d earlier bytes of this log are left out\n", skipped)), rest...), nil
}
