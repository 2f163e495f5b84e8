package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/dagdeck/dagdeck"
)

// ErrorResponse is the JSON body of every error response.
type ErrorResponse struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Missing []string `json:"missing,omitempty"`
	// RequestID names the request (its X-Request-Id header and log line).
	RequestID string `json:"requestId,omitempty"`
}

// error writes err as a JSON error. Internal errors are logged with their
// details; the user sees only a short message.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := dagdeck.ErrorCode(err), dagdeck.ErrorMessage(err)
	switch code {
	case dagdeck.EINTERNAL:
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "requestId", dagdeck.RequestFromContext(r.Context()).ID, "err", err)
	case dagdeck.EUNAVAILABLE:
		s.logger.Warn("dependency unavailable", "method", r.Method, "path", r.URL.Path, "requestId", dagdeck.RequestFromContext(r.Context()).ID, "err", err)
	}
	body := ErrorResponse{Code: code, Message: msg, RequestID: dagdeck.RequestFromContext(r.Context()).ID}
	var missing *dagdeck.MissingBlobsError
	if errors.As(err, &missing) {
		body.Missing = missing.Digests
	}
	if code == dagdeck.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dagdeck"`)
	}
	writeJSON(w, dagdeck.HTTPStatus(code), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Request body limits: deploy creation carries manifests (100,000 files
// fit); every other JSON body is small.
const (
	maxJSONBody     = 1 << 20
	maxManifestBody = 64 << 20
)

// decode reads a JSON body of at most maxJSONBody bytes into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimit(w, r, v, maxJSONBody)
}

// decodeLimit reads a JSON body into v, refusing unknown fields, trailing
// data and bodies over limit bytes.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return dagdeck.Errorf(dagdeck.ETOOLARGE, "request body exceeds %d bytes", limit)
		case errors.Is(err, io.EOF):
			return dagdeck.Errorf(dagdeck.EINVALID, "request body is empty; JSON expected")
		}
		return dagdeck.Errorf(dagdeck.EINVALID, "invalid JSON body: %v", err)
	}
	if dec.More() {
		return dagdeck.Errorf(dagdeck.EINVALID, "invalid JSON body: trailing data")
	}
	return nil
}
