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
	// MinMaskedSecret is the shortest secret value masked in logs and XComs.
	MinMaskedSecret = dagdeck.MinMaskedSecret
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

// secretValues are the Deployment's secret values to mask, longest first.
func secretValues(dep *dagdeck.Deployment) []string { return dep.SecretValues() }

// mask replaces every secret value in s with ***; secrets are longest first.
func mask(s string, secrets []string) string {
	return string(maskFrom([]byte(s), secrets, 0))
}

// maskFrom masks data and returns what follows its first cut bytes: a
// secret that spans the cut is shown as *** whole, never as its end.
func maskFrom(data []byte, secrets []string, cut int) []byte {
	if len(secrets) == 0 {
		return data[min(cut, len(data)):]
	}
	var first [256]bool
	for _, v := range secrets {
		first[v[0]] = true
	}
	out := make([]byte, 0, len(data)-min(cut, len(data)))
	for i := 0; i < len(data); {
		if first[data[i]] {
			matched := false
			for _, v := range secrets {
				if bytes.HasPrefix(data[i:], []byte(v)) {
					if i+len(v) > cut {
						out = append(out, "***"...)
					}
					i += len(v)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		if i >= cut {
			out = append(out, data[i])
		}
		i++
	}
	return out
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
	data, err := readMaskedTail(p.logPath, MaxStoredLog, p.secrets)
	if err != nil {
		return err
	}
	select {
	case <-p.exited:
	default:
		// The try may be writing a secret: the next upload shows what it became.
		data = trimSecretStart(data, p.secrets)
	}
	if err := w.backend.PutTaskLog(ctx, w.id, p.ti.ID, data); err != nil {
		return err
	}
	p.uploaded, p.uploadedAt = size, time.Now()
	return nil
}

// trimSecretStart cuts from data an end that is the start of a secret.
func trimSecretStart(data []byte, secrets []string) []byte {
	cut := 0
	for _, v := range secrets {
		for k := min(len(v)-1, len(data)); k > cut; k-- {
			if bytes.HasSuffix(data, []byte(v[:k])) {
				cut = k
				break
			}
		}
	}
	return data[:len(data)-cut]
}

// readMaskedTail reads a file, or its last limit bytes with a note of what
// was left out, with secrets (longest first) masked. It reads as many
// bytes more as the longest secret has, so a secret cut by the limit is
// masked whole, not shown in part.
func readMaskedTail(path string, limit int64, secrets []string) ([]byte, error) {
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
		data, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		return maskFrom(data, secrets, 0), nil
	}
	var longest int64
	if len(secrets) > 0 {
		longest = int64(len(secrets[0]))
	}
	skipped := fi.Size() - limit
	from := max(skipped-longest, 0)
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, fi.Size()-from))
	if err != nil {
		return nil, err
	}
	rest := maskFrom(data, secrets, int(skipped-from))
	return append([]byte(fmt.Sprintf("dagdeck: %d earlier bytes of this log are left out\n", skipped)), rest...), nil
}
