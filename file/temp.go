package file

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// CleanTemp removes temporary files last written more than olderThan ago:
// leftovers of Puts interrupted by a crash. A Put in progress keeps its file
// fresh while data arrives, so an hour is a safe choice even while serving.
// It returns how many files it removed.
func (s *Store) CleanTemp(olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return 0, fmt.Errorf("clean temp: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	s.mu.Lock()
	pending := make(map[string]bool, len(s.pending))
	for _, tmp := range s.pending {
		pending[filepath.Base(tmp)] = true
	}
	s.mu.Unlock()
	n := 0
	for _, e := range entries {
		if pending[e.Name()] { // a blob of this Store waiting for Sync
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.ModTime().Before(cutoff)) {
			continue
		} else if err != nil {
			return n, fmt.Errorf("clean temp: %w", err)
		}
		if err := os.Remove(filepath.Join(s.tmpDir(), e.Name())); err != nil && !os.IsNotExist(err) {
			return n, fmt.Errorf("clean temp: %w", err)
		}
		n++
	}
	return n, nil
}
