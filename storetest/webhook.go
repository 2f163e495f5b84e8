package storetest

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

func newWebhook(events ...string) *dagdeck.Webhook {
	return &dagdeck.Webhook{
		ID: dagdeck.NewID(), URL: "https://hooks.example.com/x", Events: events, Format: dagdeck.WebhookFormatStandard,
		Secret: "whsec_c2VjcmV0", CreatedAt: t0, CreatedBy: dagdeck.Actor{ID: "a1", Kind: dagdeck.ActorToken, Name: "admin"},
	}
}

func testWebhooks(t *testing.T, open Opener) {
	t.Run("CRUD", func(t *testing.T) {
		s := newStore(t, open)
		w := newWebhook(dagdeck.EventDeployDeployed, dagdeck.EventRollbackDeployed)
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateWebhook(t.Context(), w) })
		w.PreviousSecret, w.PreviousSecretUntil, w.Secret = w.Secret, ptr(at(60)), "whsec_bmV3"
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateWebhookSecrets(t.Context(), w) })
		var got *dagdeck.Webhook
		view(t, s, func(tx dagdeck.Tx) (err error) { got, err = tx.FindWebhook(t.Context(), w.ID); return err })
		if got.Secret != "whsec_bmV3" || got.PreviousSecret != "whsec_c2VjcmV0" || !got.PreviousSecretUntil.Equal(at(60).Truncate(1000)) ||
			len(got.Events) != 2 || got.Events[1] != dagdeck.EventRollbackDeployed || got.CreatedBy.Name != "admin" {
			t.Fatalf("found %+v", got)
		}
		other := newWebhook(dagdeck.EventDeployFailed)
		other.CreatedAt = at(-1)
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateWebhook(t.Context(), other) })
		var list []*dagdeck.Webhook
		view(t, s, func(tx dagdeck.Tx) (err error) { list, err = tx.ListWebhooks(t.Context()); return err })
		wantEqual(t, []*dagdeck.Webhook{other, w}, list)
		update(t, s, func(tx dagdeck.Tx) error { return tx.DeleteWebhook(t.Context(), w.ID) })
		err := s.View(t.Context(), func(tx dagdeck.Tx) error { _, err := tx.FindWebhook(t.Context(), w.ID); return err })
		if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Fatalf("find deleted webhook: %v", err)
		}
	})
	t.Run("OutboxClaimLeaseAndDeliveries", func(t *testing.T) {
		s := newStore(t, open)
		w := newWebhook(dagdeck.EventDeployDeployed)
		update(t, s, func(tx dagdeck.Tx) error { return tx.CreateWebhook(t.Context(), w) })
		for i := range 3 {
			m := &dagdeck.OutboxMessage{ID: dagdeck.NewID(), WebhookID: w.ID, EventID: "msg_" + dagdeck.NewID(), EventType: dagdeck.EventDeployDeployed,
				Body: []byte(`{"n":1}`), CreatedAt: at(i), NextAttemptAt: at(i)}
			update(t, s, func(tx dagdeck.Tx) error { return tx.EnqueueOutbox(t.Context(), m) })
		}
		claim := func(now int) []*dagdeck.OutboxMessage {
			var ms []*dagdeck.OutboxMessage
			update(t, s, func(tx dagdeck.Tx) (err error) {
				ms, err = tx.ClaimOutbox(t.Context(), at(now), at(now+10), 10)
				return err
			})
			return ms
		}
		if ms := claim(1); len(ms) != 2 || string(ms[0].Body) != `{"n":1}` {
			t.Fatalf("claim at 1 = %d messages, want the 2 due", len(ms))
		}
		if ms := claim(2); len(ms) != 1 {
			t.Fatalf("claim at 2 = %d messages, want only the one not leased", len(ms))
		}
		ms := claim(11) // the leases of the first two lapse at 11, the third's at 12
		if len(ms) != 2 {
			t.Fatalf("claim after the lease = %d, want 2", len(ms))
		}
		ms[0].Attempts, ms[0].DeliveredAt = 1, ptr(at(11))
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateOutbox(t.Context(), ms[0]) })
		d := &dagdeck.WebhookDelivery{ID: dagdeck.NewID(), WebhookID: w.ID, EventID: ms[0].EventID, EventType: ms[0].EventType, Attempt: 1, At: at(11), StatusCode: 204, DurationMS: 3}
		update(t, s, func(tx dagdeck.Tx) error { return tx.InsertDelivery(t.Context(), d) })
		var backlog int
		var ds []*dagdeck.WebhookDelivery
		view(t, s, func(tx dagdeck.Tx) (err error) {
			if backlog, err = tx.OutboxBacklog(t.Context()); err != nil {
				return err
			}
			ds, err = tx.ListDeliveries(t.Context(), w.ID, 10)
			return err
		})
		if backlog != 2 || len(ds) != 1 || ds[0].StatusCode != 204 || ds[0].EventID != ms[0].EventID {
			t.Fatalf("backlog %d, deliveries %+v", backlog, ds)
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.DeleteWebhook(t.Context(), w.ID) })
		view(t, s, func(tx dagdeck.Tx) (err error) { backlog, err = tx.OutboxBacklog(t.Context()); return err })
		if backlog != 0 {
			t.Fatalf("backlog after deleting the webhook = %d", backlog)
		}
	})
}
