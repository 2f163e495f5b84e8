package client

import (
	"context"
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
	req, err := c.newRequest(ctx, http.MethodPut, c.endpoint("/artifacts/"+seg(digest), nil), body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
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
