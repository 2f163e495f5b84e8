package server

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
)

func (s *Server) handleBlobsMissing(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Digests []string `json:"digests"`
	}
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	missing, err := s.svc.Deploys.MissingBlobs(ctx(r), req.Digests)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"missing": missing})
}

func (s *Server) handleBlobPut(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength < 0 {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "an upload needs a Content-Length"))
		return
	}
	body := &uploadBody{r: http.MaxBytesReader(w, r.Body, r.ContentLength), size: r.ContentLength}
	if err := s.svc.Deploys.PutBlob(ctx(r), r.PathValue("digest"), body, r.ContentLength); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxBatchFiles is how many files one batch upload may hold.
const maxBatchFiles = 10_000

// handleBlobsUpload stores the files of a tar stream, each a regular entry
// named by its digest: a deploy's many small files in a few requests
// rather than one each. Files before one that fails stay stored (each was
// verified); the error names the one that failed.
func (s *Server) handleBlobsUpload(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-tar" {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "a batch upload is a tar stream: want Content-Type application/x-tar, not %q", r.Header.Get("Content-Type")))
		return
	}
	if r.ContentLength < 0 {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "an upload needs a Content-Length"))
		return
	}
	tr := tar.NewReader(&uploadBody{r: http.MaxBytesReader(w, r.Body, r.ContentLength), size: r.ContentLength})
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			if dagdeck.ErrorCode(err) == dagdeck.EINVALID {
				s.error(w, r, err)
			} else {
				s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "read the tar stream after %d files: %v", n, err))
			}
			return
		}
		switch {
		case n == maxBatchFiles:
			s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "a batch upload holds at most %d files", maxBatchFiles))
			return
		case h.Typeflag != tar.TypeReg:
			s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "entry %q of the tar stream is not a regular file", h.Name))
			return
		}
		if err := s.svc.Deploys.PutBlob(ctx(r), h.Name, tr, h.Size); err != nil {
			var e *dagdeck.Error
			if errors.As(err, &e) {
				err = dagdeck.Errorf(e.Code, "file %s: %s", h.Name, e.Message)
			}
			s.error(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// uploadBody reads an upload's request body and turns a failure to read it
// (the client stopped sending before Content-Length bytes, or went away)
// into a client error, EINVALID, that nothing logs as the server's fault.
type uploadBody struct {
	r    io.Reader
	size int64
	n    int64
}

// Read implements io.Reader.
func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		err = dagdeck.Errorf(dagdeck.EINVALID, "the upload ended after %d of its %d bytes (Content-Length): %v", b.n, b.size, err)
	}
	return n, err
}

func (s *Server) handleBlobGet(w http.ResponseWriter, r *http.Request) {
	rc, err := s.svc.Deploys.OpenBlob(ctx(r), r.PathValue("digest"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	if _, err := io.Copy(w, rc); err != nil {
		s.logger.Warn("send blob", "digest", r.PathValue("digest"), "err", err)
	}
}

func (s *Server) handleDeployArchive(w http.ResponseWriter, r *http.Request) {
	part := partParam(r)
	d, ms, err := s.svc.Deploys.DeployArchive(ctx(r), r.PathValue("id"), r.PathValue("deployId"), part)
	if err != nil {
		s.error(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-%s.tar.gz", d.ImageTag, part)
	if part == dagdeck.PartDAGs {
		name = fmt.Sprintf("dags-%s.tar.gz", d.DagBundleVersion)
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	if err := bundle.WriteTarGzOf(ctx(r), w, s.svc.Deploys.OpenFunc(ctx(r)), ms...); err != nil {
		// Headers are sent: abort the connection, so the client sees a
		// broken response rather than a complete-looking truncated archive.
		s.logger.Error("write archive", "deploy", d.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) handleGC(w http.ResponseWriter, r *http.Request) {
	res, err := s.svc.Retention.GC(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
