package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/dagdeck/dagdeck"
)

// DeliveryOptions configure the webhook deliverer.
type DeliveryOptions struct {
	// AllowPrivate permits receivers on loopback, private and link-local
	// addresses. Off by default, so a webhook cannot probe the server's
	// own network.
	AllowPrivate bool
	// Timeout bounds one delivery attempt (default 10 s).
	Timeout time.Duration
	// RetryFor is how long a message is retried before it is given up
	// (default 24 h).
	RetryFor time.Duration
	// Poll is how often the outbox is checked for messages queued by other
	// replicas or due for a retry (default 1 s).
	Poll time.Duration
	// FirstRetry is the wait after a first failed attempt, doubled after
	// each further one up to 30 minutes (default 5 s).
	FirstRetry time.Duration
	// OnAttempt, if set, is told each attempt's outcome ("delivered",
	// "failed", "gave_up"), e.g. for metrics.
	OnAttempt func(outcome string)
}

func (o *DeliveryOptions) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 24 * time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.FirstRetry <= 0 {
		o.FirstRetry = 5 * time.Second
	}
}

// Delivery limits.
const (
	outboxBatch   = 16               // messages claimed at once
	maxRetryDelay = 30 * time.Minute // the longest delay between attempts
)

// lease is how long a claim keeps other replicas off a message: longer
// than an attempt can take, short enough that a crashed replica's messages
// are soon sent by another.
func (o *DeliveryOptions) lease() time.Duration { return 3 * o.Timeout }

// wakeDeliveries tells the deliverer that a message was queued.
func (s *Service) wakeDeliveries() {
	select {
	case s.outboxWake <- struct{}{}:
	default:
	}
}

// RunDeliveries delivers queued webhook events until ctx ends: at least
// once, each message by one replica at a time (claims are leases in the
// store), retried with exponential backoff for RetryFor. A slow or dead
// receiver delays only its own messages.
func (s *Service) RunDeliveries(ctx context.Context, opts DeliveryOptions) {
	opts.defaults()
	client := webhookClient(opts)
	for {
		n, err := s.deliverDue(ctx, client, opts)
		if err != nil && ctx.Err() == nil {
			s.logger.Error("webhook deliveries", "err", err)
		}
		if n == outboxBatch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-s.outboxWake:
		case <-time.After(opts.Poll):
		}
	}
}

// deliverDue claims the messages due now and sends them, in parallel.
func (s *Service) deliverDue(ctx context.Context, client *http.Client, opts DeliveryOptions) (int, error) {
	var msgs []*dagdeck.OutboxMessage
	err := s.store.Update(ctx, func(tx dagdeck.Tx) (err error) {
		now := s.Now()
		msgs, err = tx.ClaimOutbox(ctx, now, now.Add(opts.lease()), outboxBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Go(func() {
			if err := s.deliver(ctx, client, opts, m); err != nil && ctx.Err() == nil {
				s.logger.Error("webhook delivery", "event", m.EventID, "err", err)
			}
		})
	}
	wg.Wait()
	return len(msgs), nil
}

// deliver makes one attempt to send m and records it.
func (s *Service) deliver(ctx context.Context, client *http.Client, opts DeliveryOptions, m *dagdeck.OutboxMessage) error {
	var w *dagdeck.Webhook
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		w, err = tx.FindWebhook(ctx, m.WebhookID)
		return err
	})
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil // deleted meanwhile; its messages went with it
	} else if err != nil {
		return err
	}
	start := time.Now()
	status, sendErr := s.send(ctx, client, opts.Timeout, w, m)
	if ctx.Err() != nil {
		return nil // shutting down: the lease lapses and the message is sent again
	}
	return s.recordAttempt(ctx, opts, m, status, time.Since(start), sendErr)
}

// recordAttempt stores an attempt and the message's next state.
func (s *Service) recordAttempt(ctx context.Context, opts DeliveryOptions, m *dagdeck.OutboxMessage, status int, took time.Duration, sendErr error) error {
	now := s.Now()
	m.Attempts++
	outcome := "delivered"
	switch {
	case sendErr == nil:
		m.DeliveredAt = &now
	case now.Sub(m.CreatedAt) >= opts.RetryFor:
		m.GaveUpAt, outcome = &now, "gave_up"
	default:
		m.NextAttemptAt, outcome = now.Add(retryDelay(opts.FirstRetry, m.Attempts)), "failed"
	}
	d := &dagdeck.WebhookDelivery{
		ID: dagdeck.NewID(), WebhookID: m.WebhookID, EventID: m.EventID, EventType: m.EventType,
		Attempt: m.Attempts, At: now, StatusCode: status, DurationMS: took.Milliseconds(),
	}
	if sendErr != nil {
		d.Error = truncateError(sendErr.Error())
	}
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return err
		}
		return tx.UpdateOutbox(ctx, m)
	})
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil // the webhook was deleted meanwhile
	}
	if err == nil && opts.OnAttempt != nil {
		opts.OnAttempt(outcome)
	}
	return err
}

// retryDelay is the wait after the nth failed attempt: first, twice that,
// four times, … up to maxRetryDelay.
func retryDelay(first time.Duration, attempts int) time.Duration {
	d := first
	for i := 1; i < attempts && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

func truncateError(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

// send POSTs m's body to w, signed as Standard Webhooks 1.0 specifies, and
// returns the response's status. Anything but 2xx is an error.
func (s *Service) send(ctx context.Context, client *http.Client, timeout time.Duration, w *dagdeck.Webhook, m *dagdeck.OutboxMessage) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(m.Body))
	if err != nil {
		return 0, err
	}
	// The timestamp is the wall clock's: receivers compare it with theirs.
	// The header and the signature must carry the same second.
	ts := time.Now()
	signature, err := sign(w, s.Now(), m.EventID, ts, m.Body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "dagdeck-webhooks")
	req.Header.Set("webhook-id", m.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", signature)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("receiver answered %s", res.Status)
	}
	return res.StatusCode, nil
}

// sign returns the webhook-signature header: v1 signatures with the current
// secret and, until it expires, the previous one, space-separated.
func sign(w *dagdeck.Webhook, now time.Time, eventID string, ts time.Time, body []byte) (string, error) {
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		secrets = append(secrets, w.PreviousSecret)
	}
	var sigs []byte
	for i, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return "", fmt.Errorf("webhook %s secret: %w", w.ID, err)
		}
		sig, err := wh.Sign(eventID, ts, body)
		if err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		if i > 0 {
			sigs = append(sigs, ' ')
		}
		sigs = append(sigs, sig...)
	}
	return string(sigs), nil
}

// webhookClient is the HTTP client of deliveries: no redirects (a receiver
// answers, it does not send us elsewhere), and unless opts.AllowPrivate no
// connections to loopback, private or link-local addresses — checked on the
// address actually dialled, after DNS.
func webhookClient(opts DeliveryOptions) *http.Client {
	dialer := &net.Dialer{Timeout: opts.Timeout}
	if !opts.AllowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       time.Minute,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errPrivateAddress refuses a receiver on the server's own networks.
var errPrivateAddress = errors.New("receiver address is loopback, private or link-local; start the server with --webhook-allow-private to allow it")

func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("%s: %w", host, errPrivateAddress)
	}
	return nil
}
