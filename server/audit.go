package server

import (
	"net/http"
	"regexp"
	"time"

	"github.com/dagdeck/dagdeck"
)

// requestIDHeader carries a request's id, in both directions.
const requestIDHeader = "X-Request-Id"

// saneRequestID is what an incoming request id may look like to be kept.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// identify gives every request an id (the caller's X-Request-Id when it is
// sane, otherwise a new one), returns it in the X-Request-Id header, and
// puts it with the client's address (see SetTrustedProxies) into the
// context for the audit log, the logs and the login throttle.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID.MatchString(id) {
			id = dagdeck.NewID()
		}
		w.Header().Set(requestIDHeader, id)
		ctx := dagdeck.NewContextWithRequest(r.Context(), dagdeck.RequestInfo{ID: id, ClientAddr: s.clientAddr(r), BaseURL: s.baseURL(r)})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := dagdeck.AuditFilter{DeploymentID: q.Get("deployment"), Actor: q.Get("actor"), Limit: limit}
	if v := q.Get("since"); v != "" {
		if f.Since, err = time.Parse(time.RFC3339, v); err != nil {
			s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "since %q: want an RFC 3339 time such as 2026-11-30T08:00:00Z", v))
			return
		}
	}
	page, err := s.svc.Audit.ListAudit(ctx(r), f, q.Get("cursor"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Audit.VerifyAudit(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
