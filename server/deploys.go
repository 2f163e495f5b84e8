package server

import (
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
)

func (s *Server) handleDeployList(w http.ResponseWriter, r *http.Request) {
	all, err := wantAll(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if all {
		s.handleDeployStream(w, r)
		return
	}
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	page, err := s.svc.History.ListDeploys(ctx(r), r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleDeployCreate(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.DeployCreate
	if err := decodeLimit(w, r, &req, maxManifestBody); err != nil {
		s.error(w, r, err)
		return
	}
	out, err := s.svc.Deploys.CreateDeploy(ctx(r), r.PathValue("id"), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleDeployGet(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.History.FindDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeployGetByID(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.History.FindDeployByID(ctx(r), r.PathValue("deployId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeployUpdate(w http.ResponseWriter, r *http.Request) {
	var upd dagdeck.DeployUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.svc.Deploys.UpdateDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeployFinalize(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.Deploys.FinalizeDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeployLease(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.Deploys.RenewUploadLease(ctx(r), r.PathValue("id"), r.PathValue("deployId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleDeployRollback(w http.ResponseWriter, r *http.Request) {
	var req dagdeck.RollbackRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.svc.Rollbacks.Rollback(ctx(r), r.PathValue("id"), r.PathValue("deployId"), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusCreated
	if req.DryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

func (s *Server) handleDeployManifest(w http.ResponseWriter, r *http.Request) {
	_, m, err := s.svc.Deploys.DeployManifest(ctx(r), r.PathValue("id"), r.PathValue("deployId"), partParam(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func partParam(r *http.Request) string {
	if p := r.URL.Query().Get("part"); p != "" {
		return p
	}
	return dagdeck.PartDAGs
}

// markRequest is the body of a pin or a quarantine.
type markRequest struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until"`
}

func (s *Server) handleDeployPin(w http.ResponseWriter, r *http.Request) {
	var req markRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.svc.History.PinDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"), req.Reason, req.Until)
	s.writeDeploy(w, r, d, err)
}

func (s *Server) handleDeployUnpin(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.History.UnpinDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"))
	s.writeDeploy(w, r, d, err)
}

func (s *Server) handleDeployQuarantine(w http.ResponseWriter, r *http.Request) {
	var req markRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if req.Until != nil {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "a quarantine has no end date: release it when the deploy is good again"))
		return
	}
	d, err := s.svc.History.QuarantineDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"), req.Reason)
	s.writeDeploy(w, r, d, err)
}

func (s *Server) handleDeployRelease(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.History.ReleaseDeploy(ctx(r), r.PathValue("id"), r.PathValue("deployId"))
	s.writeDeploy(w, r, d, err)
}

// writeDeploy answers with a deploy, or the error.
func (s *Server) writeDeploy(w http.ResponseWriter, r *http.Request, d *dagdeck.Deploy, err error) {
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
