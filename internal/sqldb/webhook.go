package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
)

const webhookColumns = `id, url, events, deployment_id, format, secret, previous_secret, previous_secret_until,
	created_at, created_by_id, created_by_kind, created_by_name`

func scanWebhook(s scanner) (*dagdeck.Webhook, error) {
	var w dagdeck.Webhook
	err := s.Scan(&w.ID, &w.URL, stringsCol{&w.Events}, &w.DeploymentID, &w.Format, &w.Secret, &w.PreviousSecret, nullTimeCol{&w.PreviousSecretUntil},
		timeCol{&w.CreatedAt}, &w.CreatedBy.ID, &w.CreatedBy.Kind, &w.CreatedBy.Name)
	return &w, err
}

// CreateWebhook implements dagdeck.WebhookTx.
func (tx *Tx) CreateWebhook(ctx context.Context, w *dagdeck.Webhook) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertWebhook,
		w.ID, w.URL, encStrings(w.Events), w.DeploymentID, w.Format, w.Secret, w.PreviousSecret, tx.nullTime(w.PreviousSecretUntil),
		tx.time(w.CreatedAt), w.CreatedBy.ID, w.CreatedBy.Kind, w.CreatedBy.Name)
	return tx.interpretError(err, "webhook %s", w.ID)
}

// FindWebhook implements dagdeck.WebhookTx.
func (tx *Tx) FindWebhook(ctx context.Context, id string) (*dagdeck.Webhook, error) {
	w, err := scanWebhook(tx.tx.QueryRowContext(ctx, tx.q.FindWebhook, id))
	if err != nil {
		return nil, tx.interpretError(err, "webhook %q", id)
	}
	return w, nil
}

// ListWebhooks implements dagdeck.WebhookTx.
func (tx *Tx) ListWebhooks(ctx context.Context) ([]*dagdeck.Webhook, error) {
	out, err := queryAll(ctx, tx.tx, scanWebhook, tx.q.ListWebhooks)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// UpdateWebhookSecrets implements dagdeck.WebhookTx.
func (tx *Tx) UpdateWebhookSecrets(ctx context.Context, w *dagdeck.Webhook) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateWebhookSecrets,
		w.Secret, w.PreviousSecret, tx.nullTime(w.PreviousSecretUntil), w.ID)
	return tx.mustAffect(res, err, "webhook %q", w.ID)
}

// DeleteWebhook implements dagdeck.WebhookTx. Its outbox messages and
// deliveries go with it (ON DELETE CASCADE).
func (tx *Tx) DeleteWebhook(ctx context.Context, id string) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.DeleteWebhook, id)
	return tx.mustAffect(res, err, "webhook %q", id)
}

const outboxColumns = `id, webhook_id, event_id, event_type, body, created_at, attempts, next_attempt_at, delivered_at, gave_up_at`

func scanOutbox(s scanner) (*dagdeck.OutboxMessage, error) {
	var m dagdeck.OutboxMessage
	err := s.Scan(&m.ID, &m.WebhookID, &m.EventID, &m.EventType, &m.Body, timeCol{&m.CreatedAt}, &m.Attempts,
		timeCol{&m.NextAttemptAt}, nullTimeCol{&m.DeliveredAt}, nullTimeCol{&m.GaveUpAt})
	return &m, err
}

// EnqueueOutbox implements dagdeck.WebhookTx.
func (tx *Tx) EnqueueOutbox(ctx context.Context, m *dagdeck.OutboxMessage) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertOutbox,
		m.ID, m.WebhookID, m.EventID, m.EventType, m.Body, tx.time(m.CreatedAt), m.Attempts,
		tx.time(m.NextAttemptAt), tx.nullTime(m.DeliveredAt), tx.nullTime(m.GaveUpAt))
	return tx.interpretError(err, "outbox message %s", m.ID)
}

// ClaimOutbox implements dagdeck.WebhookTx.
func (tx *Tx) ClaimOutbox(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*dagdeck.OutboxMessage, error) {
	ms, err := queryAll(ctx, tx.tx, scanOutbox, tx.q.ClaimOutbox, tx.time(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	for _, m := range ms {
		m.NextAttemptAt = leaseUntil
		if err := tx.UpdateOutbox(ctx, m); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// UpdateOutbox implements dagdeck.WebhookTx.
func (tx *Tx) UpdateOutbox(ctx context.Context, m *dagdeck.OutboxMessage) error {
	res, err := tx.tx.ExecContext(ctx, tx.q.UpdateOutbox,
		m.Attempts, tx.time(m.NextAttemptAt), tx.nullTime(m.DeliveredAt), tx.nullTime(m.GaveUpAt), m.ID)
	return tx.mustAffect(res, err, "outbox message %q", m.ID)
}

// OutboxBacklog implements dagdeck.WebhookTx.
func (tx *Tx) OutboxBacklog(ctx context.Context) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, tx.q.OutboxBacklog).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count outbox: %w", err)
	}
	return n, nil
}

const deliveryColumns = `id, webhook_id, event_id, event_type, attempt, at, status_code, duration_ms, error`

func scanDelivery(s scanner) (*dagdeck.WebhookDelivery, error) {
	var d dagdeck.WebhookDelivery
	err := s.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, timeCol{&d.At}, &d.StatusCode, &d.DurationMS, &d.Error)
	return &d, err
}

// InsertDelivery implements dagdeck.WebhookTx.
func (tx *Tx) InsertDelivery(ctx context.Context, d *dagdeck.WebhookDelivery) error {
	_, err := tx.tx.ExecContext(ctx, tx.q.InsertDelivery,
		d.ID, d.WebhookID, d.EventID, d.EventType, d.Attempt, tx.time(d.At), d.StatusCode, d.DurationMS, d.Error)
	return tx.interpretError(err, "delivery of event %s", d.EventID)
}

// ListDeliveries implements dagdeck.WebhookTx.
func (tx *Tx) ListDeliveries(ctx context.Context, webhookID string, limit int) ([]*dagdeck.WebhookDelivery, error) {
	out, err := queryAll(ctx, tx.tx, scanDelivery, tx.q.ListDeliveries, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
