package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each ordinary API call (request and response). Blob
// uploads and streamed downloads have no overall timeout: they take as long
// as the transfer takes, bounded only by their context.
const DefaultTimeout = 2 * time.Minute

// Client talks to one dagdeck server with one bearer token. It is safe for
// concurrent use.
type Client struct {
	baseURL   string
	token     string
	userAgent string
	timeout   time.Duration
	http      *http.Client
	// retryFor is how long requests are retried across outages (0: never).
	retryFor    time.Duration
	retryNotify func(err error, wait time.Duration)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through h. h should have
// no overall Timeout, or uploads of large files fail.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithVersion sets the version in the User-Agent header: "dagdeck/<version>".
func WithVersion(version string) Option {
	return func(c *Client) { c.userAgent = "dagdeck/" + version }
}

// WithTimeout sets the timeout of ordinary API calls (DefaultTimeout by
// default); 0 disables it.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// New returns a Client of the server at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with token ("" sends no
// Authorization header).
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		token:     token,
		userAgent: "dagdeck/dev",
		timeout:   DefaultTimeout,
		http:      &http.Client{Transport: newTransport()},
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// newTransport bounds the phases of a request that must be quick (dialing,
// TLS, waiting for response headers once the body is sent) but not the
// transfer of a body, which may be a large file.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 5 * time.Minute
	t.MaxIdleConnsPerHost = 8
	return t
}

// BaseURL returns the server URL the Client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// endpoint returns the absolute URL of an API path (starting with "/")
// with an optional query.
func (c *Client) endpoint(path string, q url.Values) string {
	u := c.baseURL + "/api/v1" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// newRequest builds a request with the client's headers.
func (c *Client) newRequest(ctx context.Context, method, url string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// send performs req and returns the response if its status is 2xx, or the
// decoded API error otherwise (the body is then closed).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s on %s: %w", req.Method, req.URL.Path, c.baseURL, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// doJSON sends in (if non-nil) as JSON to path and decodes the answer into
// out (if non-nil), each attempt within the client's timeout, retrying
// across outages as WithRetry says.
func (c *Client) doJSON(ctx context.Context, method, path string, q url.Values, in, out any) error {
	return c.retrying(ctx, isIdempotent(ctx, method), func() error {
		return c.doJSONOnce(ctx, method, path, q, in, out)
	})
}

// doJSONOnce is one attempt of doJSON.
func (c *Client) doJSONOnce(ctx context.Context, method, path string, q url.Values, in, out any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, c.endpoint(path, q), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeBody(resp, out)
}

// decodeBody decodes a successful response into out, or drains it when out is nil.
func decodeBody(resp *http.Response, out any) error {
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s response: %w", resp.Request.URL.Path, err)
	}
	return nil
}

// stream sends a GET to path and returns the response body unread. It has
// no overall timeout; the caller closes the body.
func (c *Client) stream(ctx context.Context, path string, q url.Values) (io.ReadCloser, error) {
	req, err := c.newRequest(ctx, http.MethodGet, c.endpoint(path, q), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// seg escapes one path segment (an id, a name or a digest).
func seg(s string) string { return url.PathEscape(s) }
