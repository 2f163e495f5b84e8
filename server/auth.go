package server

import (
	"net/http"

	"github.com/dagdeck/dagdeck"
)

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string       `json:"name"`
		Role        dagdeck.Role `json:"role"`
		Deployments []string     `json:"deployments"`
	}
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	t, secret, err := s.svc.Auth.CreateToken(ctx(r), req.Name, req.Role, req.Deployments...)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
}

func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.Auth.ListTokens(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) handleTokenDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Auth.DeleteToken(ctx(r), r.PathValue("tokenId")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string       `json:"name"`
		Password string       `json:"password"`
		Role     dagdeck.Role `json:"role"`
	}
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.svc.Auth.CreateUser(ctx(r), req.Name, req.Password, req.Role)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	us, err := s.svc.Auth.ListUsers(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Auth.DeleteUser(ctx(r), r.PathValue("userId")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
