package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Backoff between retries: it starts at retryFirstWait and doubles up to
// retryMaxWait.
const (
	retryFirstWait = 250 * time.Millisecond
	retryMaxWait   = 4 * time.Second
)

// WithRetry makes the Client retry idempotent requests (reads, blob
// uploads, finalizing, cancelling) for up to d when the server or one of
// its stores is briefly unreachable: a refused or broken connection, or a
// 503 EUNAVAILABLE answer. A request that is not idempotent (creating a
// deploy) is retried only when it cannot have had an effect: the
// connection was refused, or the server answered EUNAVAILABLE. notify, if
// not nil, hears about each retry before its wait.
func WithRetry(d time.Duration, notify func(err error, wait time.Duration)) Option {
	return func(c *Client) { c.retryFor, c.retryNotify = d, notify }
}

// idempotentKey marks a context whose request may be repeated safely.
type idempotentKey struct{}

// idempotent marks ctx's request as safe to repeat, whatever its method.
func idempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// isIdempotent reports whether a request with this method and context may
// be repeated.
func isIdempotent(ctx context.Context, method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	}
	marked, _ := ctx.Value(idempotentKey{}).(bool)
	return marked
}

// retrying calls attempt until it succeeds, fails in a way that a retry
// cannot help, or the Client's retry time is used up.
func (c *Client) retrying(ctx context.Context, idempotent bool, attempt func() error) error {
	deadline := time.Now().Add(c.retryFor)
	wait := retryFirstWait
	for {
		err := attempt()
		if err == nil || !retryable(ctx, err, idempotent) || time.Now().Add(wait).After(deadline) {
			return err
		}
		if c.retryNotify != nil {
			c.retryNotify(err, wait)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMaxWait)
	}
}

// retryable reports whether err is an outage a retry may outlast.
func retryable(ctx context.Context, err error, idempotent bool) bool {
	var e *dagdeck.Error
	switch {
	case ctx.Err() != nil:
		return false
	case errors.As(err, &e):
		return e.Code == dagdeck.EUNAVAILABLE
	case errors.Is(err, syscall.ECONNREFUSED):
		return true // the request never reached the server
	}
	return idempotent // a broken connection: the request may have had its effect
}

// rewind prepares r to be sent again: it seeks back to its start. It
// reports false when r cannot seek.
func rewind(r io.Reader) bool {
	s, ok := r.(io.Seeker)
	if !ok {
		return false
	}
	_, err := s.Seek(0, io.SeekStart)
	return err == nil
}
