package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/dagdeck/dagdeck/internal/blobio"
	"github.com/minio/minio-go/v7"
)

// Compressed blobs are objects at <hex>.zst holding one zstd frame of the
// content, with the content's size in the sizeMeta user metadata. The ".zst"
// key is the format marker: an object at <hex> alone is a blob uploaded
// before compression, stored as is, and stays readable.
const (
	sizeMeta = "Dagdeck-Size"
	// maxBufferedBlob is the largest blob compressed in memory and uploaded
	// in one request; larger ones stream as a multipart upload.
	maxBufferedBlob = 8 << 20
)

// compressedBody returns the compressed content of r, a blob of the given
// size (negative if unknown), as an upload body and its length (-1 when it
// streams). Call stop once the upload is over.
func compressedBody(r io.Reader, size int64) (body io.Reader, n int64, stop func(), err error) {
	if size >= 0 && size <= maxBufferedBlob {
		var buf bytes.Buffer
		if _, err := blobio.Compress(&buf, r); err != nil {
			return nil, 0, nil, err
		}
		return &buf, int64(buf.Len()), func() {}, nil
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := blobio.Compress(pw, r)
		pw.CloseWithError(err)
	}()
	stop = func() {
		pr.CloseWithError(io.ErrClosedPipe) // unblocks the compressor if the upload gave up
		<-done
	}
	return pr, -1, stop, nil
}

// contentSize returns the content size of a stored object.
func contentSize(info minio.ObjectInfo, compressed bool) (int64, error) {
	if !compressed {
		return info.Size, nil
	}
	v := info.UserMetadata[sizeMeta]
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("object %s: bad %s metadata %q", info.Key, sizeMeta, v)
	}
	return n, nil
}

// statContent returns the object at key and its content size.
func (s *Store) statContent(ctx context.Context, key string, compressed bool) (minio.ObjectInfo, int64, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return info, 0, err
	}
	n, err := contentSize(info, compressed)
	return info, n, err
}
