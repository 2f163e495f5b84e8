package dagdeck

import (
	"context"
	"encoding/json"
	"time"
)

// Webhook event types (the "type" of a delivery's JSON body).
const (
	EventDeployDeployed   = "deploy.deployed"
	EventDeployFailed     = "deploy.failed"
	EventRollbackDeployed = "rollback.deployed"
	EventPing             = "webhook.ping"
)

// EventTypes are the event types a webhook can subscribe to.
var EventTypes = []string{EventDeployDeployed, EventDeployFailed, EventRollbackDeployed}

// Webhook formats: how a delivery's body looks.
const (
	WebhookFormatStandard = "standard" // Standard Webhooks 1.0: signed JSON event
	WebhookFormatSlack    = "slack"    // a message a Slack incoming webhook accepts
)

// Webhook is a receiver of events. Deliveries are signed with Secret as
// Standard Webhooks 1.0 specifies; after a rotation, PreviousSecret signs
// too until PreviousSecretUntil.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events are the event types delivered.
	Events []string `json:"events"`
	// DeploymentID limits deliveries to one Deployment's events ("" = all).
	DeploymentID        string     `json:"deploymentId,omitempty"`
	Format              string     `json:"format"`
	Secret              string     `json:"-"`
	PreviousSecret      string     `json:"-"`
	PreviousSecretUntil *time.Time `json:"previousSecretUntil,omitempty"`
	CreatedAt           time.Time  `json:"createdAt"`
	CreatedBy           Actor      `json:"createdBy"`
}

// Wants reports whether the webhook delivers an event of that type about
// that Deployment.
func (w *Webhook) Wants(eventType, deploymentID string) bool {
	if w.DeploymentID != "" && w.DeploymentID != deploymentID {
		return false
	}
	for _, e := range w.Events {
		if e == eventType {
			return true
		}
	}
	return false
}

// WebhookCreated is a new webhook with its signing secret, shown once.
type WebhookCreated struct {
	Webhook *Webhook `json:"webhook"`
	Secret  string   `json:"secret"`
}

// Event is what happened, as delivered to webhooks.
type Event struct {
	// ID is unique per event and the same on every retry of its delivery
	// (the webhook-id header).
	ID        string          `json:"-"`
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// OutboxMessage is one event waiting for delivery to one webhook. It is
// written in the same transaction as the change it announces.
type OutboxMessage struct {
	ID        string
	WebhookID string
	EventID   string
	EventType string
	// Body is the exact request body, the same on every attempt.
	Body      []byte
	CreatedAt time.Time
	Attempts  int
	// NextAttemptAt is when the message is due; a replica that claims it
	// moves it ahead by its lease, so no other replica sends it meanwhile.
	NextAttemptAt time.Time
	// DeliveredAt is set on success; GaveUpAt when the retry window ended.
	DeliveredAt *time.Time
	GaveUpAt    *time.Time
}

// WebhookDelivery is one delivery attempt.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	WebhookID  string    `json:"webhookId"`
	EventID    string    `json:"eventId"`
	EventType  string    `json:"eventType"`
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	DurationMS int64     `json:"durationMs"`
	Error      string    `json:"error,omitempty"`
}

// WebhookTx persists webhooks, their outbox and their delivery attempts.
type WebhookTx interface {
	// CreateWebhook inserts w.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// FindWebhook returns a webhook by id. ENOTFOUND if none.
	FindWebhook(ctx context.Context, id string) (*Webhook, error)
	// ListWebhooks returns every webhook, oldest first.
	ListWebhooks(ctx context.Context) ([]*Webhook, error)
	// UpdateWebhookSecrets writes w's secrets.
	UpdateWebhookSecrets(ctx context.Context, w *Webhook) error
	// DeleteWebhook deletes a webhook, its pending messages and its
	// deliveries. ENOTFOUND if none.
	DeleteWebhook(ctx context.Context, id string) error
	// EnqueueOutbox inserts m.
	EnqueueOutbox(ctx context.Context, m *OutboxMessage) error
	// ClaimOutbox returns up to limit undelivered messages due at now and
	// moves their NextAttemptAt to leaseUntil, so that no other replica
	// claims them until then; messages another transaction holds are skipped.
	ClaimOutbox(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*OutboxMessage, error)
	// UpdateOutbox writes m's Attempts, NextAttemptAt, DeliveredAt and GaveUpAt.
	UpdateOutbox(ctx context.Context, m *OutboxMessage) error
	// OutboxBacklog counts messages neither delivered nor given up.
	OutboxBacklog(ctx context.Context) (int, error)
	// InsertDelivery records an attempt.
	InsertDelivery(ctx context.Context, d *WebhookDelivery) error
	// ListDeliveries returns a webhook's newest attempts, newest first.
	ListDeliveries(ctx context.Context, webhookID string, limit int) ([]*WebhookDelivery, error)
}

// WebhookCreate is a request for a new webhook.
type WebhookCreate struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Deployment limits the webhook to one Deployment (id or name).
	Deployment string `json:"deployment,omitempty"`
	Format     string `json:"format,omitempty"`
}
