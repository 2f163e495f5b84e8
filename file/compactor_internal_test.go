package file

import (
	"testing"
	"time"
)

// TestUntilIdle: Compress waits for uploads to pause, but not for ever.
func TestUntilIdle(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.compressors = 1      // as while Compress runs
	s.queue("sha256:abcd") // any name: nothing is compressed here
	s.touch()
	if wait := s.untilIdle(time.Hour); wait <= 0 {
		t.Fatalf("right after a Put, untilIdle = %v; want a wait", wait)
	}
	s.queuedSince = time.Now().Add(-compressMaxWait)
	s.touch()
	if wait := s.untilIdle(time.Hour); wait != 0 {
		t.Fatalf("a queue waiting %v: untilIdle = %v; want 0", compressMaxWait, wait)
	}
}
