package server

import (
	"net/http"

	"github.com/dagdeck/dagdeck"
)

// handleHealthz answers 200 while the process serves HTTP: a liveness
// check, which looks at no dependency.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the database and the artifact store
// answer, 503 otherwise; the body lists each dependency's state.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	res := s.svc.Health.Ready(ctx(r))
	status := http.StatusOK
	if res.Status != dagdeck.ReadyOK {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, res)
}
