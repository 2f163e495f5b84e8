// Package fsync makes many files durable at once.
package fsync

import (
	"errors"
	"io/fs"
	"os"
	"sync"
)

// workers is how many fsyncs run at once: the file system commits the
// metadata of concurrent ones together, so many small files cost a few
// journal commits, not one each.
const workers = 16

// Files fsyncs each of paths (files or directories), workers at a time,
// and returns the first error. A path that no longer exists is skipped.
// Unlike syncfs(2), it writes back only these files, not whatever else is
// dirty on the file system.
func Files(paths []string) error {
	jobs := make(chan string)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(workers, len(paths)) {
		wg.Go(func() {
			for p := range jobs {
				if err := file(p); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, p := range paths {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return first
}

// file fsyncs one file or directory.
func file(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
