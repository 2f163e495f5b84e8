// Package s3 implements dagdeck.ArtifactStore on an S3-compatible object
// store (AWS S3, MinIO, versitygw, …) with minio-go.
//
// Blobs are objects at <prefix>/blobs/sha256/<64 hex digits>.zst, compressed
// with zstd (see compress.go; blobs uploaded before compression have no
// suffix and are read as they are). A Put uploads the compressed content to
// a temporary object at <prefix>/tmp/<random>, hashing the uncompressed
// content as it goes; only if that matches the digest is it copied
// server-side to its blob key, so a blob key never holds unverified or
// partial content. Temporary objects
// are deleted after every Put; CleanTemp removes those left behind by a
// crash or by a Put cancelled just as the server received its last byte.
package s3

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/blobio"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

var _ dagdeck.ArtifactStore = (*Store)(nil)

// MaxBlobSize is the largest blob a Store accepts: the limit of a
// server-side copy in one request.
const MaxBlobSize = 5 << 30

// Store is a dagdeck.ArtifactStore on an S3 bucket. It is safe for
// concurrent use.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	partSize uint64
}

// Open connects to the bucket described by c. It fails if the bucket does
// not exist or cannot be reached with c's credentials.
func Open(ctx context.Context, c Config) (*Store, error) {
	if c.Bucket == "" {
		return nil, fmt.Errorf("open s3 store: no bucket")
	}
	if c.PartSize != 0 && c.PartSize < MinPartSize {
		return nil, fmt.Errorf("open s3 store: part size %d is below the S3 minimum of %d", c.PartSize, MinPartSize)
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	tr, err := newTransport(c.UseSSL)
	if err != nil {
		return nil, fmt.Errorf("open s3 store: %w", err)
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:     c.UseSSL,
		Region:     c.Region,
		Transport:  tr,
		MaxRetries: maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 store: %w", err)
	}

	s := &Store{client: client, bucket: c.Bucket, partSize: c.PartSize}
	if p := strings.Trim(c.Prefix, "/"); p != "" {
		s.prefix = p + "/"
	}
	if s.partSize == 0 {
		s.partSize = DefaultPartSize
	}

	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open s3 store: check bucket %q at %s: %w", c.Bucket, endpoint, err)
	} else if !ok {
		return nil, fmt.Errorf("open s3 store: bucket %q does not exist at %s; create it first", c.Bucket, endpoint)
	}
	return s, nil
}

func (s *Store) blobsPrefix() string { return s.prefix + "blobs/sha256/" }
func (s *Store) tmpPrefix() string   { return s.prefix + "tmp/" }

// key returns the object key of a valid digest as uploaded before compression.
func (s *Store) key(digest string) string {
	return s.blobsPrefix() + strings.TrimPrefix(digest, "sha256:")
}

// zkey returns the object key of a valid digest stored compressed.
func (s *Store) zkey(digest string) string { return s.key(digest) + blobio.CompressedSuffix }

// Put stores the content read from r under digest. A negative size means
// the size is unknown. It returns EINVALID if digest is malformed or the
// content does not have the given size or does not hash to digest; nothing
// is stored then. If the blob exists, Put still reads and verifies r.
func (s *Store) Put(ctx context.Context, digest string, r io.Reader, size int64) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	if size > MaxBlobSize {
		return dagdeck.Errorf(dagdeck.ETOOLARGE, "blob %s is %d bytes; the limit is %d", digest, size, int64(MaxBlobSize))
	}
	v := blobio.NewVerifier(r, digest, size)
	var err error
	if _, err = s.Stat(ctx, digest); err == nil {
		err = v.Drain(ctx)
	} else if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		err = s.upload(ctx, v, digest, size)
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", digest, interpretUnavailable(ctx, err))
	}
	return nil
}

// upload puts v's content into a temporary object and, if it hashes to
// digest, copies it to the blob's key. The temporary object is always removed.
func (s *Store) upload(ctx context.Context, v *blobio.Verifier, digest string, size int64) error {
	tmp, err := s.tmpKey()
	if err != nil {
		return err
	}
	defer s.removeTemp(ctx, tmp)

	// Stop feeding the request once ctx is done, so that the server sees a
	// truncated body rather than completing an object after removeTemp.
	body, n, stop, err := compressedBody(blobio.CtxReader(ctx, v), size)
	if err == nil {
		_, err = s.client.PutObject(ctx, s.bucket, tmp, blobio.CtxReader(ctx, body), n, minio.PutObjectOptions{
			PartSize:    s.partSize,
			ContentType: "application/zstd",
		})
		stop()
	}
	if rerr := v.ReadErr(ctx); rerr != nil {
		return rerr
	} else if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if err := v.Verify(); err != nil {
		return err
	}

	_, err = s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.zkey(digest), ReplaceMetadata: true,
			UserMetadata: map[string]string{sizeMeta: strconv.FormatInt(v.N(), 10)}},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp},
	)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("copy into place: %w", err)
	}
	return nil
}

// Open returns the blob's content. It returns ENOTFOUND if the blob does not
// exist and EINVALID if digest is malformed.
func (s *Store) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return nil, err
	}
	obj, err := s.getObject(ctx, s.zkey(digest), digest)
	if err == nil {
		rc, err := blobio.Decompress(obj)
		if err != nil {
			obj.Close()
			return nil, fmt.Errorf("open %s: %w", digest, err)
		}
		return rc, nil
	} else if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return nil, fmt.Errorf("open %s: %w", digest, err)
	}
	obj, err = s.getObject(ctx, s.key(digest), digest)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", digest, err)
	}
	return obj, nil
}

// getObject opens the object at key; ENOTFOUND if there is none, and
// EUNAVAILABLE when the store does not answer.
func (s *Store) getObject(ctx context.Context, key, digest string) (*minio.Object, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, interpretError(ctx, err, digest)
	}
	// GetObject is lazy: Stat sends the request and reports a missing object.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, interpretError(ctx, err, digest)
	}
	return obj, nil
}

// Stat returns the blob's size and last-modified time. It returns ENOTFOUND
// if the blob does not exist and EINVALID if digest is malformed.
func (s *Store) Stat(ctx context.Context, digest string) (dagdeck.BlobInfo, error) {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return dagdeck.BlobInfo{}, err
	}
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	info, size, err := s.statContent(opCtx, s.zkey(digest), true)
	err = interpretError(ctx, err, digest)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		info, size, err = s.statContent(opCtx, s.key(digest), false)
		err = interpretError(ctx, err, digest)
	}
	if err != nil {
		return dagdeck.BlobInfo{}, fmt.Errorf("stat %s: %w", digest, err)
	}
	return dagdeck.BlobInfo{Digest: digest, Size: size, CreatedAt: info.LastModified}, nil
}

// Delete removes the blob; a missing blob is not an error. It returns
// EINVALID if digest is malformed.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if err := dagdeck.ValidateDigest(digest); err != nil {
		return err
	}
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	for _, key := range []string{s.zkey(digest), s.key(digest)} {
		err := s.client.RemoveObject(opCtx, s.bucket, key, minio.RemoveObjectOptions{})
		if err != nil && dagdeck.ErrorCode(interpretError(ctx, err, digest)) != dagdeck.ENOTFOUND {
			return fmt.Errorf("delete %s: %w", digest, interpretUnavailable(ctx, err))
		}
	}
	return nil
}

// Walk calls fn for every blob, in key order. Objects under the blob prefix
// whose names are not digests are skipped. A compressed blob's content size
// is in its metadata, which listings do not carry: Walk reads it with one
// HEAD request per compressed blob.
func (s *Store) Walk(ctx context.Context, fn func(dagdeck.BlobInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing if fn fails
	objects := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.blobsPrefix(), Recursive: true})
	last := "" // a blob stored both ways (never by Put) is reported once
	for obj := range objects {
		if obj.Err != nil {
			return fmt.Errorf("walk: %w", interpretUnavailable(ctx, obj.Err))
		}
		name, compressed := strings.CutSuffix(strings.TrimPrefix(obj.Key, s.blobsPrefix()), blobio.CompressedSuffix)
		digest := "sha256:" + name
		if dagdeck.ValidateDigest(digest) != nil || digest == last {
			continue
		}
		size := obj.Size
		if compressed {
			var err error
			if _, size, err = s.statContent(ctx, obj.Key, true); dagdeck.ErrorCode(interpretError(ctx, err, digest)) == dagdeck.ENOTFOUND {
				continue // deleted during the walk
			} else if err != nil {
				return fmt.Errorf("walk: %w", err)
			}
		}
		last = digest
		if err := fn(dagdeck.BlobInfo{Digest: digest, Size: size, CreatedAt: obj.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// interpretError maps S3 "not found" responses to ENOTFOUND, and an
// unreachable store to EUNAVAILABLE.
func interpretError(ctx context.Context, err error, digest string) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return dagdeck.Errorf(dagdeck.ENOTFOUND, "blob %s not found", digest)
	}
	return interpretUnavailable(ctx, err)
}
