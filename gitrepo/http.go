package gitrepo

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// MaxRequestBody is the largest upload-pack request accepted, after
// decompression: enough for a hundred thousand have lines.
const MaxRequestBody = 8 << 20

// RequestBodyTimeout bounds how long a client may take to send its request
// (a body that trickles in forever is cut off); the response may take
// longer. A variable so tests can shorten it.
var RequestBodyTimeout = 2 * time.Minute

// Operations of the smart HTTP protocol, as the path after the repository.
const (
	OpInfoRefs    = "/info/refs"
	OpUploadPack  = "/git-upload-pack"
	OpReceivePack = "/git-receive-pack"
)

// PushRefusal is the message a push gets.
const PushRefusal = "this repository is read-only: it is built from the Deploy History. " +
	"Deploy with `dagdeck deploy DIR --deployment NAME` instead of pushing"

// Serve answers one smart HTTP request for repo; op is the path after the
// repository name (OpInfoRefs, OpUploadPack, …). Client mistakes get a
// git error or a 4xx status; the returned error is only for the server's
// log (an internal failure, or a pack that could not be finished).
func Serve(w http.ResponseWriter, r *http.Request, repo *Repository, op string) error {
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	service := r.URL.Query().Get("service")
	switch {
	case op == OpInfoRefs && r.Method == http.MethodGet && service == "git-upload-pack":
		return advertise(w, r, repo)
	case op == OpInfoRefs && r.Method == http.MethodGet && service == "git-receive-pack":
		refusePush(w)
		return nil
	case op == OpInfoRefs && r.Method == http.MethodGet:
		http.Error(w, "only smart HTTP is served: use git 1.6.6 or newer", http.StatusForbidden)
		return nil
	case op == OpUploadPack && r.Method == http.MethodPost:
		return uploadPack(w, r, repo)
	case op == OpReceivePack:
		http.Error(w, PushRefusal, http.StatusForbidden)
		return nil
	case op == OpInfoRefs || op == OpUploadPack:
		w.Header().Set("Allow", map[bool]string{true: "GET", false: "POST"}[op == OpInfoRefs])
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	http.Error(w, "not found", http.StatusNotFound)
	return nil
}

// isV2 reports whether the client asked for protocol version 2.
func isV2(r *http.Request) bool {
	for _, v := range r.Header.Values("Git-Protocol") {
		for _, p := range strings.Split(v, ":") {
			if p == "version=2" {
				return true
			}
		}
	}
	return false
}

func advertise(w http.ResponseWriter, r *http.Request, repo *Repository) error {
	w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
	if isV2(r) {
		return advertiseV2(w)
	}
	p := &pktWriter{w: w}
	p.line("# service=git-upload-pack\n")
	p.flush()
	if p.err != nil {
		return p.err
	}
	return repo.advertiseV0(w)
}

// refusePush answers a push's ref discovery with a git error that says how
// to deploy instead; git prints it as "remote error: …".
func refusePush(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-git-receive-pack-advertisement")
	p := &pktWriter{w: w}
	p.line("# service=git-receive-pack\n")
	p.flush()
	p.line("ERR " + PushRefusal + "\n")
}

func uploadPack(w http.ResponseWriter, r *http.Request, repo *Repository) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-git-upload-pack-request" {
		http.Error(w, "Content-Type must be application/x-git-upload-pack-request", http.StatusUnsupportedMediaType)
		return nil
	}
	// Not every ResponseWriter supports deadlines (tests wrap them); then
	// only the size limit applies.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(RequestBodyTimeout))
	body, err := requestBody(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil
	}
	defer body.Close()
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	cw := &countingWriter{w: w}
	if isV2(r) {
		err = repo.serveV2(r.Context(), body, cw)
	} else {
		err = repo.serveV0(r.Context(), body, cw)
	}
	return answerError(w, cw, err)
}

// answerError tells the client about err, if nothing was sent yet, and
// returns what the server should log.
func answerError(w http.ResponseWriter, cw *countingWriter, err error) error {
	var perr *ProtocolError
	var tooLarge *http.MaxBytesError
	var berr *bodyError
	var serr *streamError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge) && cw.n == 0:
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil
	case errors.As(err, &berr) && errors.Is(err, os.ErrDeadlineExceeded) && cw.n == 0:
		http.Error(w, "request body too slow", http.StatusRequestTimeout)
		return nil
	case errors.As(err, &berr):
		return nil // the client is gone; nothing to answer or to log
	case errors.As(err, &perr) && cw.n == 0:
		p := &pktWriter{w: w}
		p.line("ERR " + perr.Msg + "\n")
		return nil
	case errors.As(err, &serr), errors.Is(err, context.Canceled):
		return err
	case cw.n == 0:
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
	return err
}

// requestBody returns the request body, decompressed if git gzipped it,
// limited to MaxRequestBody.
func requestBody(w http.ResponseWriter, r *http.Request) (io.ReadCloser, error) {
	body := http.MaxBytesReader(w, r.Body, MaxRequestBody)
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, errors.New("request body is not valid gzip")
		}
		return &limitedGzip{zr: zr, r: io.LimitReader(zr, MaxRequestBody+1), body: body}, nil
	}
	return nil, errors.New("unsupported Content-Encoding " + r.Header.Get("Content-Encoding"))
}

// limitedGzip reads a gzipped body, failing once it inflates past the limit.
type limitedGzip struct {
	zr   *gzip.Reader
	r    io.Reader
	body io.ReadCloser
	n    int64
}

func (l *limitedGzip) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > MaxRequestBody {
		return n, &http.MaxBytesError{Limit: MaxRequestBody}
	}
	var corrupt flate.CorruptInputError
	if errors.As(err, &corrupt) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return n, protocolErrorf("request body is not valid gzip")
	}
	return n, err
}

func (l *limitedGzip) Close() error {
	l.zr.Close()
	return l.body.Close()
}

// countingWriter counts what was sent, to know whether an error can still
// be answered with a status.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
