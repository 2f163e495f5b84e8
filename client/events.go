package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck"
)

// AuditListOptions select audit entries.
type AuditListOptions struct {
	// Deployment limits the list to one Deployment's activity (id or name);
	// without it the caller needs the admin role.
	Deployment string
	// Actor is an actor's name or id.
	Actor  string
	Since  time.Time
	Limit  int
	Cursor string
}

// ListAudit returns one page of the audit log, newest first.
func (c *Client) ListAudit(ctx context.Context, opts AuditListOptions) (*dagdeck.AuditPage, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("deployment", opts.Deployment)
	set("actor", opts.Actor)
	set("cursor", opts.Cursor)
	if !opts.Since.IsZero() {
		q.Set("since", opts.Since.UTC().Format(time.RFC3339))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var page dagdeck.AuditPage
	if err := c.doJSON(ctx, http.MethodGet, "/audit", q, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// VerifyAudit checks the audit log's hash chain on the server.
func (c *Client) VerifyAudit(ctx context.Context) (*dagdeck.AuditVerification, error) {
	var v dagdeck.AuditVerification
	if err := c.doJSON(ctx, http.MethodGet, "/audit/verify", nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// WebhookCreate is a request for a new webhook.
type WebhookCreate struct {
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	Deployment string   `json:"deployment,omitempty"`
	Format     string   `json:"format,omitempty"`
}

// CreateWebhook registers a webhook; the result carries its signing secret.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookCreate) (*dagdeck.WebhookCreated, error) {
	var out dagdeck.WebhookCreated
	if err := c.doJSON(ctx, http.MethodPost, "/webhooks", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListWebhooks returns every webhook, without secrets.
func (c *Client) ListWebhooks(ctx context.Context) ([]*dagdeck.Webhook, error) {
	var out struct {
		Webhooks []*dagdeck.Webhook `json:"webhooks"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/webhooks", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Webhooks, nil
}

// DeleteWebhook deletes a webhook. ENOTFOUND if none has that id.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, "/webhooks/"+seg(id), nil, nil, nil)
}

// RotateWebhookSecret gives a webhook a new signing secret.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (*dagdeck.WebhookCreated, error) {
	var out dagdeck.WebhookCreated
	if err := c.doJSON(ctx, http.MethodPost, "/webhooks/"+seg(id)+"/rotate-secret", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TestWebhook queues a ping for the webhook and returns its event id.
func (c *Client) TestWebhook(ctx context.Context, id string) (string, error) {
	var out struct {
		EventID string `json:"eventId"`
	}
	if err := c.doJSON(ctx, http.MethodPost, "/webhooks/"+seg(id)+"/test", nil, nil, &out); err != nil {
		return "", err
	}
	return out.EventID, nil
}

// WebhookDeliveries returns a webhook's newest delivery attempts.
func (c *Client) WebhookDeliveries(ctx context.Context, id string, limit int) ([]*dagdeck.WebhookDelivery, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Deliveries []*dagdeck.WebhookDelivery `json:"deliveries"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/webhooks/"+seg(id)+"/deliveries", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Deliveries, nil
}
