package client

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/dagdeck/dagdeck"
)

// UploadBlob stores size bytes read from r under digest. It has no overall
// timeout: a large file takes as long as it takes, bounded by ctx. EINVALID
// if the content does not hash to digest. With WithRetry, an upload from
// an r that can seek (a file) is sent again from its start across outages.
func (c *Client) UploadBlob(ctx context.Context, digest string, r io.Reader, size int64) error {
	first := true
	return c.retrying(ctx, true, func() error {
		if !first && !rewind(r) {
			return errNoRewind
		}
		first = false
		return c.uploadBlobOnce(ctx, digest, r, size)
	})
}

// errNoRewind stops the retries of an upload whose reader cannot seek.
var errNoRewind = dagdeck.Errorf(dagdeck.EINTERNAL, "the upload failed and its content cannot be read again to retry it")

// uploadBlobOnce is one attempt of UploadBlob.
func (c *Client) uploadBlobOnce(ctx context.Context, digest string, r io.Reader, size int64) error {
	body := io.NopCloser(io.LimitReader(r, size))
	if size == 0 {
		body = http.NoBody
	}
	return c.sendBody(ctx, http.MethodPut, "/artifacts/"+seg(digest), "application/octet-stream", body, size)
}

// sendBody sends a request with a body of size bytes and drains the
// answer.
func (c *Client) sendBody(ctx context.Context, method, path, contentType string, body io.Reader, size int64) error {
	req, err := c.newRequest(ctx, method, c.endpoint(path, nil), body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", contentType)
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeBody(resp, nil)
}

// MissingBlobs returns the digests, among those given, that the server does
// not have.
func (c *Client) MissingBlobs(ctx context.Context, digests []string) ([]string, error) {
	in := struct {
		Digests []string `json:"digests"`
	}{digests}
	var out struct {
		Missing []string `json:"missing"`
	}
	if err := c.doJSON(idempotent(ctx), http.MethodPost, "/artifacts/missing", nil, in, &out); err != nil {
		return nil, err
	}
	return out.Missing, nil
}

// DownloadBlob returns the content stored under digest. ENOTFOUND if the
// server does not have it. The caller closes it.
func (c *Client) DownloadBlob(ctx context.Context, digest string) (io.ReadCloser, error) {
	return c.stream(ctx, "/artifacts/"+seg(digest), nil)
}

// GC runs the garbage collector: it deletes artifacts no retained deploy
// references. EFORBIDDEN unless the token is an admin's.
func (c *Client) GC(ctx context.Context) (*dagdeck.GCResult, error) {
	var out dagdeck.GCResult
	if err := c.doJSON(ctx, http.MethodPost, "/gc", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Blob is a file to upload: its digest, its size, and how to read it (it
// is opened again when an upload is retried).
type Blob struct {
	Digest string
	Size   int64
	Open   func() (io.ReadCloser, error)
}

// UploadBlobs stores several files in one request (POST /artifacts, a tar
// stream whose entries are named by digest), which saves a round trip and
// the server's work per request for each file: deploys send their many
// small files this way. Like UploadBlob it has no overall timeout, and
// with WithRetry the whole batch is sent again across outages. A server
// without the batch endpoint gets the files one by one (UploadBlob).
// EINVALID, naming the file, if a content does not hash to its digest;
// the files before it are stored.
func (c *Client) UploadBlobs(ctx context.Context, blobs []Blob) error {
	if len(blobs) == 0 {
		return nil
	}
	err := c.retrying(ctx, true, func() error { return c.uploadBlobsOnce(ctx, blobs) })
	if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		return err
	}
	for _, b := range blobs { // an older server
		if err := c.uploadOne(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) uploadOne(ctx context.Context, b Blob) error {
	rc, err := b.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return c.UploadBlob(ctx, b.Digest, rc, b.Size)
}

// uploadBlobsOnce is one attempt of UploadBlobs: the tar stream is written
// as the request body is sent, each file read once.
func (c *Client) uploadBlobsOnce(ctx context.Context, blobs []Blob) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeBlobTar(pw, blobs)) }()
	defer pr.Close()
	return c.sendBody(ctx, http.MethodPost, "/artifacts", "application/x-tar", pr, blobTarSize(blobs))
}

// writeBlobTar writes blobs as a tar stream: a regular entry per file,
// named by its digest.
func writeBlobTar(w io.Writer, blobs []Blob) error {
	tw := tar.NewWriter(w)
	for _, b := range blobs {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: b.Digest, Size: b.Size, Mode: 0o644, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		rc, err := b.Open()
		if err != nil {
			return err
		}
		n, err := io.Copy(tw, io.LimitReader(rc, b.Size))
		rc.Close()
		if err != nil {
			return err
		}
		if n != b.Size {
			return fmt.Errorf("%s: read %d bytes, want %d: it changed while it was being uploaded", b.Digest, n, b.Size)
		}
	}
	return tw.Close()
}

// blobTarSize is the length of the tar stream writeBlobTar writes: a
// 512-byte header per file, its content padded to 512 bytes, and two
// zero blocks at the end.
func blobTarSize(blobs []Blob) int64 {
	n := int64(1024)
	for _, b := range blobs {
		n += 512 + (b.Size+511)/512*512
	}
	return n
}
