package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// webhooksView is the Webhooks page (admins).
type webhooksView struct {
	Rows        []webhookRow
	EventTypes  []string
	Deployments []*dagdeck.Deployment
	// Created is a webhook just created, with its secret shown this once.
	Created *dagdeck.WebhookCreated
	Notice  string
	Error   string
}

// webhookRow is a webhook with its newest delivery attempts.
type webhookRow struct {
	*dagdeck.Webhook
	DeploymentName string
	Deliveries     []*dagdeck.WebhookDelivery
}

func (u *UI) handleWebhooks(w http.ResponseWriter, r *http.Request, v *visit) {
	view := &webhooksView{}
	if r.URL.Query().Has("tested") {
		view.Notice = "Ping queued. Its delivery appears below within seconds; reload the page."
	}
	if r.URL.Query().Has("deleted") {
		view.Notice = "Webhook deleted."
	}
	u.renderWebhooks(w, r, v, http.StatusOK, view)
}

func (u *UI) renderWebhooks(w http.ResponseWriter, r *http.Request, v *visit, status int, view *webhooksView) {
	ctx := r.Context()
	ws, err := u.svc.Webhooks.ListWebhooks(ctx)
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	deps, err := u.svc.Deployments.ListDeployments(ctx)
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	names := map[string]string{}
	for _, d := range deps {
		names[d.ID] = d.Name
	}
	view.EventTypes, view.Deployments = dagdeck.EventTypes, deps
	for _, wh := range ws {
		ds, err := u.svc.Webhooks.WebhookDeliveries(ctx, wh.ID, 5)
		if err != nil {
			u.serviceError(w, r, v, err)
			return
		}
		view.Rows = append(view.Rows, webhookRow{Webhook: wh, DeploymentName: names[wh.DeploymentID], Deliveries: ds})
	}
	u.render(w, r, status, "webhooks", u.newPage(v, "Webhooks", "webhooks", view))
}

func (u *UI) handleWebhookCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := r.ParseForm(); err != nil {
		u.renderError(w, r, v, http.StatusBadRequest, "The form could not be read.")
		return
	}
	req := dagdeck.WebhookCreate{
		URL: strings.TrimSpace(r.PostFormValue("url")), Events: r.PostForm["events"],
		Deployment: r.PostFormValue("deployment"), Format: r.PostFormValue("format"),
	}
	created, err := u.svc.Webhooks.CreateWebhook(r.Context(), req)
	if code := dagdeck.ErrorCode(err); code == dagdeck.EINVALID || code == dagdeck.ENOTFOUND {
		u.renderWebhooks(w, r, v, http.StatusBadRequest, &webhooksView{Error: dagdeck.ErrorMessage(err)})
		return
	} else if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	u.renderWebhooks(w, r, v, http.StatusCreated, &webhooksView{Created: created})
}

func (u *UI) handleWebhookDelete(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := u.svc.Webhooks.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/webhooks?deleted="+url.QueryEscape(r.PathValue("id")), http.StatusSeeOther)
}

func (u *UI) handleWebhookTest(w http.ResponseWriter, r *http.Request, v *visit) {
	if _, err := u.svc.Webhooks.TestWebhook(r.Context(), r.PathValue("id")); err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/webhooks?tested=1", http.StatusSeeOther)
}
