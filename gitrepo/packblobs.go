package gitrepo

import (
	"bytes"
	"context"
	"io"

	"github.com/klauspost/compress/zlib"
)

// maxBufferedBlob is the largest blob compressed ahead, in memory; larger
// ones are streamed by the writer itself. With blobCompressors blobs being
// compressed and twice as many waiting to be written, the pack writer holds
// at most a few tens of megabytes.
const maxBufferedBlob = 4 << 20

// blobCompressors is how many blobs are compressed at once, besides the
// writer (which hashes and sends). One: on the 2-core reference machine,
// under load, a second compressor made a 100 MB pack take 3-5× longer for
// the same CPU time.
const blobCompressors = 1

// blobJob is one blob of the pack: compressed ahead into buf, or (when
// streamed) left to the writer.
type blobJob struct {
	file     *File
	streamed bool
	buf      bytes.Buffer
	err      error
	done     chan struct{}
}

// writeBlobs writes the blobs in order while the next ones are compressed
// ahead: compressing is most of the work of serving a clone.
func (p *packWriter) writeBlobs(ctx context.Context, blobs []File) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *blobJob, 2*blobCompressors)
	go p.compressAhead(ctx, blobs, queue)
	for j := range queue {
		<-j.done
		var err error
		switch {
		case j.err != nil:
			err = j.err
		case j.streamed:
			err = p.writeBlob(ctx, j.file)
		default:
			_, err = p.Write(j.buf.Bytes())
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// compressAhead queues every blob in order, compressing the small ones on
// up to blobCompressors goroutines. It stops when ctx is done.
func (p *packWriter) compressAhead(ctx context.Context, blobs []File, queue chan<- *blobJob) {
	defer close(queue)
	slots := make(chan struct{}, blobCompressors)
	for i := range blobs {
		j := &blobJob{file: &blobs[i], done: make(chan struct{})}
		if j.streamed = blobs[i].Mode != ModeSymlink && blobs[i].Size > maxBufferedBlob; j.streamed {
			close(j.done)
		} else {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				defer func() { <-slots; close(j.done) }()
				j.err = p.compressBlob(ctx, j)
			}()
		}
		select {
		case queue <- j:
		case <-ctx.Done():
			return
		}
	}
}

// compressBlob encodes one blob's pack entry into j.buf.
func (p *packWriter) compressBlob(ctx context.Context, j *blobJob) error {
	zw := zlibWriters.Get().(*zlib.Writer)
	defer func() {
		zw.Reset(io.Discard) // let go of the buffer
		zlibWriters.Put(zw)
	}()
	j.buf.Grow(int(j.file.Size/2) + 64)
	return encodeBlob(ctx, &j.buf, zw, p.open, j.file)
}
