package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// auditView is the Audit page (every entry, for admins) or a Deployment's
// Activity page (its entries, for everyone who can read it).
type auditView struct {
	// Deployment is set on a Deployment's Activity page.
	Deployment *dagdeck.Deployment
	Actor      string
	Rows       []auditRow
	NextCursor string
}

// auditRow is an entry with its summary as sorted key/value pairs.
type auditRow struct {
	*dagdeck.AuditEntry
	Details []auditDetail
}

type auditDetail struct{ Key, Value string }

func (u *UI) handleAudit(w http.ResponseWriter, r *http.Request, v *visit) {
	u.renderAudit(w, r, v, nil)
}

func (u *UI) handleActivity(w http.ResponseWriter, r *http.Request, v *visit) {
	dep, err := u.svc.Deployments.FindDeployment(r.Context(), r.PathValue("name"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	u.renderAudit(w, r, v, dep)
}

func (u *UI) renderAudit(w http.ResponseWriter, r *http.Request, v *visit, dep *dagdeck.Deployment) {
	q := r.URL.Query()
	f := dagdeck.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Limit: dagdeck.DefaultPageSize}
	title, nav := "Audit log", "audit"
	if dep != nil {
		f.DeploymentID, title, nav = dep.ID, "Activity of "+dep.Name, "deployments"
	}
	page, err := u.svc.Audit.ListAudit(r.Context(), f, q.Get("cursor"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view := &auditView{Deployment: dep, Actor: f.Actor, NextCursor: page.NextCursor}
	for _, e := range page.Entries {
		view.Rows = append(view.Rows, auditRow{AuditEntry: e, Details: auditDetails(e.Summary)})
	}
	u.render(w, r, http.StatusOK, "audit", u.newPage(v, title, nav, view))
}

// auditDetails renders a summary's values, sorted by key.
func auditDetails(m map[string]any) []auditDetail {
	out := make([]auditDetail, 0, len(m))
	for k, v := range m {
		out = append(out, auditDetail{k, detailValue(v)})
	}
	slices.SortFunc(out, func(a, b auditDetail) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func detailValue(v any) string {
	switch v := v.(type) {
	case map[string]any:
		if before, ok := v["before"]; ok {
			return fmt.Sprintf("%v → %v", before, v["after"])
		}
		parts := make([]string, 0, len(v))
		for _, d := range auditDetails(v) {
			parts = append(parts, d.Key+": "+d.Value)
		}
		return strings.Join(parts, ", ")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = detailValue(x)
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprint(int64(v))
	}
	return fmt.Sprint(v)
}
