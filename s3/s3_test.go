package s3_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/artifacttest"
	"github.com/dagdeck/dagdeck/s3"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
	"github.com/minio/minio-go/v7"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopS3()
	os.Exit(code)
}

func TestStore(t *testing.T) {
	for _, prefix := range []string{"", "team/artifacts"} {
		t.Run("Prefix="+prefix, func(t *testing.T) {
			t.Parallel()
			artifacttest.Run(t, func(t *testing.T) dagdeck.ArtifactStore {
				s, srv, c := mustOpen(t, prefix)
				t.Cleanup(func() { requireNoTemp(t, srv, c) })
				return s
			})
		})
	}
}

func TestOpen_ErrNoBucket(t *testing.T) {
	srv := testenv.S3(t)
	c := config(srv, "no-such-bucket", "")
	_, err := s3.Open(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket" does not exist`) {
		t.Fatalf("Open returned %v; want an error saying the bucket does not exist", err)
	}
}

func TestOpen_ErrPartSize(t *testing.T) {
	c := s3.Config{Bucket: "b", PartSize: 1 << 20}
	if _, err := s3.Open(t.Context(), c); err == nil {
		t.Fatal("Open accepted a part size below 5 MiB")
	}
}

func TestStore_Layout(t *testing.T) {
	s, srv, c := mustOpen(t, "p")
	d := artifacttest.MustPut(t, s, []byte("hello"))
	key := "p/blobs/sha256/" + strings.TrimPrefix(d, "sha256:") + ".zst"
	if _, err := srv.Client(t).StatObject(t.Context(), c.Bucket, key, minio.StatObjectOptions{}); err != nil {
		t.Fatalf("blob not at its content address %s: %v", key, err)
	}
}

// TestStore_Compressed: text is stored compressed, and a blob uploaded
// before compression (no .zst suffix) stays readable, with its size and in
// Walk.
func TestStore_Compressed(t *testing.T) {
	s, srv, c := mustOpen(t, "p")
	text := artifacttest.Text(1, 1<<20)
	d := artifacttest.MustPut(t, s, text)
	key := "p/blobs/sha256/" + strings.TrimPrefix(d, "sha256:") + ".zst"
	if info, err := srv.Client(t).StatObject(t.Context(), c.Bucket, key, minio.StatObjectOptions{}); err != nil {
		t.Fatal(err)
	} else if info.Size > int64(len(text))/2 {
		t.Errorf("%d bytes of text stored in %d bytes; want compressed", len(text), info.Size)
	}

	artifacttest.RequireLegacyBlobReadable(t, s, d, int64(len(text)), func(hex string, content []byte) {
		putObject(t, srv, c.Bucket, "p/blobs/sha256/"+hex, content)
	})
}

func TestStore_WalkSkipsForeignObjects(t *testing.T) {
	s, srv, c := mustOpen(t, "p")
	d := artifacttest.MustPut(t, s, []byte("hello"))
	for _, key := range []string{"p/blobs/sha256/README", "p/blobs/other", "p/tmp/x", "q/blobs/sha256/" + d[7:], "blobs/sha256/" + d[7:]} {
		putObject(t, srv, c.Bucket, key, []byte("x"))
	}
	if got := artifacttest.WalkAll(t, s); len(got) != 1 || got[d].Size != 5 {
		t.Fatalf("Walk reported %v; want only %s", got, d)
	}
}

func TestStore_CleanTemp(t *testing.T) {
	s, srv, c := mustOpen(t, "p")
	putObject(t, srv, c.Bucket, "p/tmp/stale", []byte("partial"))

	if n, err := s.CleanTemp(t.Context(), time.Hour); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	} else if n != 0 {
		t.Fatalf("CleanTemp(1h) removed %d fresh objects; want 0", n)
	}
	// A negative age puts the cutoff in the future, so every object is stale.
	if n, err := s.CleanTemp(t.Context(), -time.Hour); err != nil {
		t.Fatalf("CleanTemp: %v", err)
	} else if n != 1 {
		t.Fatalf("CleanTemp removed %d objects; want 1", n)
	}
	requireNoTemp(t, srv, c)
}

func mustOpen(t *testing.T, prefix string) (*s3.Store, testenv.S3Server, s3.Config) {
	t.Helper()
	srv := testenv.S3(t)
	c := config(srv, srv.NewBucket(t), prefix)
	c.PartSize = s3.MinPartSize // so that artifacttest's large blob takes the multipart path
	s, err := s3.Open(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv, c
}

func config(srv testenv.S3Server, bucket, prefix string) s3.Config {
	return s3.Config{
		Bucket:    bucket,
		Prefix:    prefix,
		Endpoint:  srv.Endpoint,
		Region:    srv.Region,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
	}
}

func putObject(t *testing.T, srv testenv.S3Server, bucket, key string, b []byte) {
	t.Helper()
	_, err := srv.Client(t).PutObject(t.Context(), bucket, key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// requireNoTemp fails t if a temporary object or multipart upload was left behind.
func requireNoTemp(t *testing.T, srv testenv.S3Server, c s3.Config) {
	t.Helper()
	ctx := context.Background()
	client := srv.Client(t)
	prefix := strings.TrimPrefix(c.Prefix+"/tmp/", "/")
	for obj := range client.ListObjects(ctx, c.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list temporary objects: %v", obj.Err)
		}
		t.Errorf("temporary object %s left behind", obj.Key)
	}
	for up := range client.ListIncompleteUploads(ctx, c.Bucket, prefix, true) {
		if up.Err != nil {
			t.Fatalf("list multipart uploads: %v", up.Err)
		}
		t.Errorf("multipart upload to %s left behind", up.Key)
	}
}
