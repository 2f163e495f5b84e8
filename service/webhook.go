package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// SecretOverlap is how long a rotated webhook secret still signs deliveries
// beside the new one, so receivers can switch without losing events.
const SecretOverlap = 24 * time.Hour

// CreateWebhook registers a webhook and returns it with its signing secret,
// which is shown this once. Requires the admin role. EINVALID for a bad
// URL, an unknown event type or format; ENOTFOUND for an unknown Deployment.
func (s *Service) CreateWebhook(ctx context.Context, req dagdeck.WebhookCreate) (*dagdeck.WebhookCreated, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := validateWebhook(&req); err != nil {
		return nil, err
	}
	w := &dagdeck.Webhook{
		ID: dagdeck.NewID(), URL: req.URL, Events: req.Events, Format: req.Format,
		Secret: newSigningSecret(), CreatedAt: s.Now(), CreatedBy: *actor,
	}
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if req.Deployment != "" {
			dep, err := findDeployment(ctx, tx, req.Deployment)
			if err != nil {
				return err
			}
			w.DeploymentID = dep.ID
		}
		if err := tx.CreateWebhook(ctx, w); err != nil {
			return err
		}
		return s.record(ctx, tx, webhookChange(dagdeck.AuditWebhookCreated, w))
	})
	if err != nil {
		return nil, err
	}
	return &dagdeck.WebhookCreated{Webhook: w, Secret: w.Secret}, nil
}

func validateWebhook(req *dagdeck.WebhookCreate) error {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(req.URL) > 2048 {
		return dagdeck.Errorf(dagdeck.EINVALID, "webhook URL %q: want an http:// or https:// URL", req.URL)
	}
	if u.User != nil {
		return dagdeck.Errorf(dagdeck.EINVALID, "webhook URL: put no credentials in the URL; deliveries are signed instead")
	}
	if len(req.Events) == 0 {
		return dagdeck.Errorf(dagdeck.EINVALID, "name at least one event: %s", strings.Join(dagdeck.EventTypes, ", "))
	}
	for _, e := range req.Events {
		if !slices.Contains(dagdeck.EventTypes, e) {
			return dagdeck.Errorf(dagdeck.EINVALID, "unknown event %q: want %s", e, strings.Join(dagdeck.EventTypes, ", "))
		}
	}
	switch req.Format {
	case "":
		req.Format = dagdeck.WebhookFormatStandard
	case dagdeck.WebhookFormatStandard, dagdeck.WebhookFormatSlack:
	default:
		return dagdeck.Errorf(dagdeck.EINVALID, "webhook format %q: want %s or %s", req.Format, dagdeck.WebhookFormatStandard, dagdeck.WebhookFormatSlack)
	}
	slices.Sort(req.Events)
	req.Events = slices.Compact(req.Events)
	return nil
}

// newSigningSecret returns a Standard Webhooks signing secret: whsec_
// followed by 32 random bytes in base64.
func newSigningSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// ListWebhooks returns every webhook, without secrets. Requires the admin role.
func (s *Service) ListWebhooks(ctx context.Context) ([]*dagdeck.Webhook, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var ws []*dagdeck.Webhook
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		ws, err = tx.ListWebhooks(ctx)
		return err
	})
	if ws == nil {
		ws = []*dagdeck.Webhook{}
	}
	return ws, err
}

// DeleteWebhook removes a webhook and its pending deliveries. Requires the
// admin role. ENOTFOUND if there is none.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx dagdeck.Tx) error {
		w, err := tx.FindWebhook(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, webhookChange(dagdeck.AuditWebhookDeleted, w))
	})
}

// RotateWebhookSecret gives a webhook a new signing secret and returns it,
// shown this once. The old secret signs too for SecretOverlap. Requires the
// admin role.
func (s *Service) RotateWebhookSecret(ctx context.Context, id string) (*dagdeck.WebhookCreated, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var w *dagdeck.Webhook
	err := s.store.Update(ctx, func(tx dagdeck.Tx) (err error) {
		if w, err = tx.FindWebhook(ctx, id); err != nil {
			return err
		}
		until := s.Now().Add(SecretOverlap)
		w.PreviousSecret, w.PreviousSecretUntil, w.Secret = w.Secret, &until, newSigningSecret()
		if err := tx.UpdateWebhookSecrets(ctx, w); err != nil {
			return err
		}
		return s.record(ctx, tx, webhookChange(dagdeck.AuditWebhookSecretRotated, w))
	})
	if err != nil {
		return nil, err
	}
	return &dagdeck.WebhookCreated{Webhook: w, Secret: w.Secret}, nil
}

// TestWebhook queues a ping event for the webhook and returns its event id;
// WebhookDeliveries shows the attempt. Requires the admin role.
func (s *Service) TestWebhook(ctx context.Context, id string) (string, error) {
	actor, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin)
	if err != nil {
		return "", err
	}
	var eventID string
	err = s.store.Update(ctx, func(tx dagdeck.Tx) error {
		w, err := tx.FindWebhook(ctx, id)
		if err != nil {
			return err
		}
		ev := eventSpec{typ: dagdeck.EventPing, data: map[string]any{"webhookId": w.ID, "actor": actorData(actor)}}
		if eventID, err = s.enqueueFor(ctx, tx, w, ev, actor); err != nil {
			return err
		}
		return s.record(ctx, tx, webhookChange(dagdeck.AuditWebhookTested, w))
	})
	return eventID, err
}

// WebhookDeliveries returns a webhook's newest delivery attempts. Requires
// the admin role.
func (s *Service) WebhookDeliveries(ctx context.Context, id string, limit int) ([]*dagdeck.WebhookDelivery, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > dagdeck.MaxPageSize {
		limit = dagdeck.DefaultPageSize
	}
	var ds []*dagdeck.WebhookDelivery
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		if _, err := tx.FindWebhook(ctx, id); err != nil {
			return err
		}
		var err error
		ds, err = tx.ListDeliveries(ctx, id, limit)
		return err
	})
	if ds == nil {
		ds = []*dagdeck.WebhookDelivery{}
	}
	return ds, err
}

func webhookChange(action string, w *dagdeck.Webhook) change {
	return change{action: action, targetKind: "webhook", targetID: w.ID, deploymentID: w.DeploymentID,
		summary: map[string]any{"url": w.URL, "events": w.Events, "format": w.Format}}
}

// enqueueEvent queues c's event for every webhook that wants it.
func (s *Service) enqueueEvent(ctx context.Context, tx dagdeck.Tx, c change, actor *dagdeck.Actor) error {
	ws, err := tx.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if w.Wants(c.event.typ, c.deploymentID) {
			if _, err := s.enqueueFor(ctx, tx, w, *c.event, actor); err != nil {
				return err
			}
		}
	}
	return nil
}

// enqueueFor writes the event's delivery to w into the outbox and returns
// the event id. The body is fixed now: every retry sends the same bytes.
func (s *Service) enqueueFor(ctx context.Context, tx dagdeck.Tx, w *dagdeck.Webhook, ev eventSpec, actor *dagdeck.Actor) (string, error) {
	now := s.Now()
	eventID := "msg_" + dagdeck.NewID()
	body, err := eventBody(w.Format, ev, now)
	if err != nil {
		return "", err
	}
	m := &dagdeck.OutboxMessage{ID: dagdeck.NewID(), WebhookID: w.ID, EventID: eventID, EventType: ev.typ, Body: body, CreatedAt: now, NextAttemptAt: now}
	if err := tx.EnqueueOutbox(ctx, m); err != nil {
		return "", err
	}
	s.wakeDeliveries()
	return eventID, nil
}

// eventBody renders an event in a webhook's format.
func eventBody(format string, ev eventSpec, at time.Time) ([]byte, error) {
	var v any = map[string]any{"type": ev.typ, "timestamp": at.Format(time.RFC3339Nano), "data": ev.data}
	if format == dagdeck.WebhookFormatSlack {
		v = map[string]any{"text": slackText(ev)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", ev.typ, err)
	}
	return b, nil
}

// slackText is an event's one-line message for a chat channel.
func slackText(ev eventSpec) string {
	if ev.text != "" {
		return ev.text
	}
	return "dagdeck: " + ev.typ
}

// actorData is how events name an actor.
func actorData(a *dagdeck.Actor) map[string]any {
	return map[string]any{"id": a.ID, "kind": a.Kind, "name": a.Name}
}

// deployEvent is the event of a deploy's new state.
func deployEvent(typ string, dep *dagdeck.Deployment, d *dagdeck.Deploy, actor *dagdeck.Actor) *eventSpec {
	ev := &eventSpec{typ: typ, data: map[string]any{
		"deployment": map[string]any{"id": dep.ID, "name": dep.Name},
		"deploy":     d,
		"actor":      actorData(actor),
	}}
	switch typ {
	case dagdeck.EventDeployDeployed:
		ev.text = fmt.Sprintf(":rocket: %s deployed #%d to *%s*: %s", actor.Name, d.Sequence, dep.Name, d.Description)
	case dagdeck.EventDeployFailed:
		ev.text = fmt.Sprintf(":x: deploy #%d to *%s* failed: %s", d.Sequence, dep.Name, d.FailureReason)
	}
	return ev
}
