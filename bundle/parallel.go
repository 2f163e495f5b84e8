package bundle

import (
	"context"
	"runtime"
	"sync"
)

// ioBufferSize is the copy buffer of each worker of forEachParallel.
const ioBufferSize = 256 << 10

// forEachParallel calls fn(i, buf) for each i in [0, n) for which want(i)
// is true, on runtime.NumCPU() workers, each with its own buffer. It stops
// at the first error or when ctx is done, and returns that error.
func forEachParallel(ctx context.Context, n int, want func(i int) bool, fn func(i int, buf []byte) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.NumCPU()) {
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
