package ui

import (
	"net/http"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

// taskLogView is the page of one try's log.
type taskLogView struct {
	Deployment *dagdeck.Deployment
	Try        *dagdeck.TaskInstance
	Log        string
	// Follow: the try has not ended, so the page appends what it writes.
	Follow bool
}

// handleTaskLog shows a try's log. The UI's JavaScript asks again with
// ?offset=N for what was written after byte N, until the try ends.
func (u *UI) handleTaskLog(w http.ResponseWriter, r *http.Request, v *visit) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	ti, log, err := u.svc.Runtime.TaskTry(r.Context(), r.PathValue("name"), r.PathValue("id"), max(offset, 0))
	if err != nil {
		u.serviceError(w, r, v, err) // JSON with the error's own status for the page's polls
		return
	}
	if isFetch(r) {
		writeJSON(w, http.StatusOK, map[string]any{"state": ti.State, "chunk": string(log), "offset": max(offset, 0) + len(log), "ended": dagdeck.TryEnded(ti.State)})
		return
	}
	dep, err := u.svc.Deployments.FindDeployment(r.Context(), r.PathValue("name"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view := &taskLogView{Deployment: dep, Try: ti, Log: string(log), Follow: !dagdeck.TryEnded(ti.State)}
	u.render(w, r, http.StatusOK, "tasklog", u.newPage(v, ti.TaskID+" try "+strconv.Itoa(ti.TryNumber), "deployments", view))
}
