package bundle

import (
	"context"
	"sync"
)

// ioBufferSize is the copy buffer of each worker of forEachParallel.
const ioBufferSize = 256 << 10

// forEachParallel calls fn(i, buf) for each i in [0, n) for which want(i)
// is true, on the given number of workers, each with its own buffer. It
// stops at the first error or when ctx is done, and returns that error.
func forEachParallel(ctx context.Context, workers, n int, want func(i int) bool, fn func(i int, buf []byte) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			buf := make([]byte, ioBufferSize)
			for i := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := fn(i, buf); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		if !want(i) {
			continue
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}
