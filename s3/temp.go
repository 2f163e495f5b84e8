package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"
)

// cleanupTimeout bounds the removal of a temporary object after a Put, which
// runs even when the Put's context is done.
const cleanupTimeout = 30 * time.Second

// tmpKey returns a new random temporary object key.
func (s *Store) tmpKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return s.tmpPrefix() + hex.EncodeToString(b), nil
}

// removeTemp removes a temporary object and any unfinished multipart upload
// to it, even if ctx is done. Failures are left for CleanTemp.
func (s *Store) removeTemp(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	_ = s.client.RemoveIncompleteUpload(ctx, s.bucket, key)
}

// CleanTemp removes temporary objects and unfinished multipart uploads
// started more than olderThan ago: leftovers of Puts interrupted by a crash.
// olderThan must exceed the longest upload; an hour is a safe choice. It
// returns how many it removed.
func (s *Store) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.tmpPrefix(), Recursive: true}) {
		if obj.Err != nil {
			return n, fmt.Errorf("clean temp: %w", obj.Err)
		} else if !obj.LastModified.Before(cutoff) {
			continue
		}
		if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			return n, fmt.Errorf("clean temp: %w", err)
		}
		n++
	}
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, s.tmpPrefix(), true) {
		if up.Err != nil {
			return n, fmt.Errorf("clean temp: %w", up.Err)
		} else if !up.Initiated.Before(cutoff) {
			continue
		}
		if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, up.Key); err != nil {
			return n, fmt.Errorf("clean temp: %w", err)
		}
		n++
	}
	return n, nil
}
