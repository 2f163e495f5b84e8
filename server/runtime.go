package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

// maxTaskLogBody bounds an uploaded try log (runtimes send at most 1 MiB).
const maxTaskLogBody = 4 << 20

// runtimeRoutes registers the routes of DAGs, runs and task instances
// (users), and the runtime API under /api/v1/runtime (`dagdeck runtime`).
func (s *Server) runtimeRoutes() {
	m := s.mux
	m.HandleFunc("GET /api/v1/deployments/{id}/dags", s.handleDagList)
	m.HandleFunc("POST /api/v1/deployments/{id}/dags/{dagId}/runs", s.handleDagTrigger)
	m.HandleFunc("GET /api/v1/deployments/{id}/runs", s.handleRunList)
	m.HandleFunc("GET /api/v1/deployments/{id}/tasks", s.handleTaskList)
	m.HandleFunc("GET /api/v1/deployments/{id}/tasks/{taskInstanceId}", s.handleTaskGet)
	m.HandleFunc("GET /api/v1/deployments/{id}/tasks/{taskInstanceId}/log", s.handleTaskLog)
	m.HandleFunc("PUT /api/v1/deployments/{id}/tasks/{taskInstanceId}/note", s.handleTaskNote)

	m.HandleFunc("GET /api/v1/runtime/deployments/{id}", s.handleRuntimeDeployment)
	m.HandleFunc("PUT /api/v1/runtime/deployments/{id}/dags", s.handleRuntimeDags)
	m.HandleFunc("GET /api/v1/runtime/deployments/{id}/dags/{dagId}/latest-scheduled-run", s.handleRuntimeLatestScheduledRun)
	m.HandleFunc("GET /api/v1/runtime/deployments/{id}/runs", s.handleRuntimeRunList)
	m.HandleFunc("POST /api/v1/runtime/deployments/{id}/runs", s.handleRuntimeRunCreate)
	m.HandleFunc("PUT /api/v1/runtime/deployments/{id}/runs/{runId}", s.handleRuntimeRunUpdate)
	m.HandleFunc("GET /api/v1/runtime/deployments/{id}/tasks", s.handleRuntimeTaskList)
	m.HandleFunc("POST /api/v1/runtime/deployments/{id}/tasks", s.handleRuntimeTaskCreate)
	m.HandleFunc("PUT /api/v1/runtime/deployments/{id}/tasks/{taskInstanceId}", s.handleRuntimeTaskUpdate)
	m.HandleFunc("PUT /api/v1/runtime/deployments/{id}/tasks/{taskInstanceId}/log", s.handleRuntimeTaskLog)
	m.HandleFunc("PUT /api/v1/runtime/deployments/{id}/xcom", s.handleRuntimeXComPut)
	m.HandleFunc("GET /api/v1/runtime/deployments/{id}/xcom", s.handleRuntimeXComGet)
}

// queryLimit reads the limit query parameter; 0 when absent.
func queryLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, dagdeck.Errorf(dagdeck.EINVALID, "limit %q: want a positive number", v)
	}
	return n, nil
}

func (s *Server) handleDagList(w http.ResponseWriter, r *http.Request) {
	dags, errs, err := s.svc.Runtime.ListDags(ctx(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": dags, "importErrors": errs})
}

func (s *Server) handleDagTrigger(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Conf map[string]any `json:"conf"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			s.error(w, r, err)
			return
		}
	}
	run, err := s.svc.Runtime.TriggerDag(ctx(r), r.PathValue("id"), r.PathValue("dagId"), req.Conf)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, run)
}

func (s *Server) handleRunList(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	runs, err := s.svc.Runtime.ListRuns(ctx(r), r.PathValue("id"), dagdeck.RunQuery{DagID: q.Get("dagId"), State: q.Get("state"), Limit: limit})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func (s *Server) handleTaskList(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	tq := dagdeck.TaskQuery{RunID: q.Get("runId"), DagID: q.Get("dagId"), State: q.Get("state"), Limit: limit}
	tis, err := s.svc.Runtime.ListTaskInstances(ctx(r), r.PathValue("id"), tq)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"taskInstances": tis})
}

func (s *Server) handleTaskLog(w http.ResponseWriter, r *http.Request) {
	log, err := s.svc.Runtime.TaskLog(ctx(r), r.PathValue("id"), r.PathValue("taskInstanceId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(log)
}

func (s *Server) handleTaskGet(w http.ResponseWriter, r *http.Request) {
	ti, err := s.svc.Runtime.TaskInstance(ctx(r), r.PathValue("id"), r.PathValue("taskInstanceId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ti)
}

func (s *Server) handleTaskNote(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Note *string `json:"note"`
	}
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if req.Note == nil {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, `"note" is required ("" clears it)`))
		return
	}
	ti, err := s.svc.Runtime.SetTaskNote(ctx(r), r.PathValue("id"), r.PathValue("taskInstanceId"), *req.Note)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ti)
}

// The runtime API. Its answers carry secret env values: only runtimes
// (tokens with the runtime role) may call it; the service checks the role.

func (s *Server) handleRuntimeDeployment(w http.ResponseWriter, r *http.Request) {
	dep, cur, err := s.svc.Runtime.RuntimeBackend().Deployment(ctx(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployment": dep, "currentDeploy": cur})
}

func (s *Server) handleRuntimeDags(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Dags         []*dagdeck.Dag         `json:"dags"`
		ImportErrors []*dagdeck.ImportError `json:"importErrors"`
	}
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.Runtime.RuntimeBackend().ReplaceDags(ctx(r), r.PathValue("id"), req.Dags, req.ImportErrors); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRuntimeLatestScheduledRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.svc.Runtime.RuntimeBackend().LatestScheduledRun(ctx(r), r.PathValue("id"), r.PathValue("dagId"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) handleRuntimeRunList(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := dagdeck.RunFilter{DagID: q.Get("dagId"), State: q.Get("state"), Limit: limit}
	runs, err := s.svc.Runtime.RuntimeBackend().ListRuns(ctx(r), r.PathValue("id"), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if runs == nil {
		runs = []*dagdeck.DagRun{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func (s *Server) handleRuntimeRunCreate(w http.ResponseWriter, r *http.Request) {
	var run dagdeck.DagRun
	if err := decode(w, r, &run); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.Runtime.RuntimeBackend().CreateRun(ctx(r), r.PathValue("id"), &run); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, run)
}

func (s *Server) handleRuntimeRunUpdate(w http.ResponseWriter, r *http.Request) {
	var run dagdeck.DagRun
	if err := decode(w, r, &run); err != nil {
		s.error(w, r, err)
		return
	}
	run.ID = r.PathValue("runId")
	if err := s.svc.Runtime.RuntimeBackend().UpdateRun(ctx(r), r.PathValue("id"), &run); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) handleRuntimeTaskList(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	f := dagdeck.TaskFilter{DagRunID: q.Get("dagRunId"), DagID: q.Get("dagId"), State: q.Get("state"), Limit: limit}
	tis, err := s.svc.Runtime.RuntimeBackend().ListTaskInstances(ctx(r), r.PathValue("id"), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if tis == nil {
		tis = []*dagdeck.TaskInstance{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"taskInstances": tis})
}

func (s *Server) handleRuntimeTaskCreate(w http.ResponseWriter, r *http.Request) {
	var ti dagdeck.TaskInstance
	if err := decode(w, r, &ti); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.Runtime.RuntimeBackend().CreateTaskInstance(ctx(r), r.PathValue("id"), &ti); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ti)
}

func (s *Server) handleRuntimeTaskUpdate(w http.ResponseWriter, r *http.Request) {
	var ti dagdeck.TaskInstance
	if err := decode(w, r, &ti); err != nil {
		s.error(w, r, err)
		return
	}
	ti.ID = r.PathValue("taskInstanceId")
	if err := s.svc.Runtime.RuntimeBackend().UpdateTaskInstance(ctx(r), r.PathValue("id"), &ti); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ti)
}

func (s *Server) handleRuntimeTaskLog(w http.ResponseWriter, r *http.Request) {
	log, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTaskLogBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.error(w, r, dagdeck.Errorf(dagdeck.ETOOLARGE, "a task log may have at most %d bytes", maxTaskLogBody))
		return
	} else if err != nil {
		s.error(w, r, dagdeck.Errorf(dagdeck.EINVALID, "read the log: %v", err))
		return
	}
	if err := s.svc.Runtime.RuntimeBackend().PutTaskLog(ctx(r), r.PathValue("id"), r.PathValue("taskInstanceId"), log); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRuntimeXComPut(w http.ResponseWriter, r *http.Request) {
	var x dagdeck.XCom
	if err := decode(w, r, &x); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.svc.Runtime.RuntimeBackend().PutXCom(ctx(r), r.PathValue("id"), &x); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRuntimeXComGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	x, err := s.svc.Runtime.RuntimeBackend().FindXCom(ctx(r), r.PathValue("id"), q.Get("dagRunId"), q.Get("taskId"), q.Get("key"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}
