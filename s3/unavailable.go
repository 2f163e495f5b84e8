package s3

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/minio/minio-go/v7"
)

// Bounds of the calls to S3, so that a request that cannot reach the store
// fails within seconds (EUNAVAILABLE) rather than hanging. A transfer's
// body has no overall bound: a large file takes as long as it takes.
const (
	dialTimeout = 5 * time.Second
	// headerTimeout bounds waiting for a response's headers once the
	// request is sent (a server-side copy of a large blob answers late).
	headerTimeout = time.Minute
	// opTimeout bounds a whole metadata call (Stat, Delete).
	opTimeout = 10 * time.Second
	// maxRetries is how often minio-go tries a failed request; its
	// backoff is 200 ms doubling up to 1 s, so an unreachable store
	// fails in about a second.
	maxRetries = 3
)

// dependency names the store in EUNAVAILABLE messages.
const dependency = "artifact store (S3)"

// newTransport is minio-go's transport with the dial and header bounds.
func newTransport(secure bool) (http.RoundTripper, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = headerTimeout
	return tr, nil
}

// interpretUnavailable turns an error that says S3 cannot be reached
// (refused, reset or timed-out connections, 503 answers) into EUNAVAILABLE.
// Errors that already have a code, and the caller's own cancellation, stay
// as they are.
func interpretUnavailable(ctx context.Context, err error) error {
	var e *dagdeck.Error
	if err == nil || errors.As(err, &e) || ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return err
	}
	var netErr net.Error
	resp := minio.ToErrorResponse(err)
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) ||
		resp.StatusCode == http.StatusServiceUnavailable || resp.Code == "SlowDown" {
		return dagdeck.Unavailable(dependency, err)
	}
	return err
}
