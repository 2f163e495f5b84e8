package server

import (
	"fmt"
	"io"
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
