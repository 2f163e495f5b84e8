package server

import (
	"net/http"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

func (s *Server) handleDeploymentDiff(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts, err := diffOptions(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, err := s.svc.Deploys.DiffDeploys(ctx(r), r.PathValue("id"), q.Get("from"), q.Get("to"), opts)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// diffOptions reads part, contents, cursor and limit.
func diffOptions(r *http.Request) (dagdeck.DiffOptions, error) {
	q := r.URL.Query()
	opts := dagdeck.DiffOptions{Part: q.Get("part"), Cursor: q.Get("cursor")}
	if v := q.Get("contents"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return opts, dagdeck.Errorf(dagdeck.EINVALID, "contents %q: want true or false", v)
		}
		opts.Contents = b
	}
	var err error
	opts.Limit, err = queryLimit(r)
	return opts, err
}
