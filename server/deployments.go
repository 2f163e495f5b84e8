package server

import (
	"net/http"

	"github.com/dagdeck/dagdeck"
)

func errNoRoute(r *http.Request) error {
	return dagdeck.Errorf(dagdeck.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	a, err := dagdeck.Authorize(ctx(r), dagdeck.RoleViewer)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "kind": a.Kind, "name": a.Name, "role": a.Role})
}

func (s *Server) handleDeploymentCreate(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.DeploymentCreate
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.svc.Deployments.CreateDeployment(ctx(r), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.withGitURL(r, d))
}

func (s *Server) handleDeploymentList(w http.ResponseWriter, r *http.Request) {
	ds, err := s.svc.Deployments.ListDeployments(ctx(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i, d := range ds {
		ds[i] = s.withGitURL(r, d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployments": ds})
}

func (s *Server) handleDeploymentGet(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.Deployments.FindDeployment(ctx(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withGitURL(r, d))
}

func (s *Server) handleDeploymentUpdate(w http.ResponseWriter, r *http.Request) {
	var upd dagdeck.DeploymentUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.svc.Deployments.UpdateDeployment(ctx(r), r.PathValue("id"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withGitURL(r, d))
}
