package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dagdeck/dagdeck"
)

// StreamDeploys calls fn for every deploy of the Deployment, newest first,
// as they arrive in one streamed answer (all=true), until fn returns false
// or an error occurs. It holds one deploy at a time, so it walks any
// history in constant memory. Outages are retried until the answer
// starts; an answer broken off after that is an error, never a silently
// shorter history. A server that answers all=true with a page and a
// nextCursor (one that predates streaming) is followed page by page.
func (c *Client) StreamDeploys(ctx context.Context, deployment string, fn func(*dagdeck.Deploy) bool) error {
	q := url.Values{"all": {"true"}, "limit": {strconv.Itoa(dagdeck.MaxPageSize)}}
	seen := map[string]bool{} // against a server that loops
	for {
		var body io.ReadCloser
		err := c.retrying(ctx, true, func() (err error) {
			body, err = c.stream(ctx, deploysPath(deployment), q)
			return err
		})
		if err != nil {
			return err
		}
		next, more, err := readDeployPage(body, fn)
		body.Close()
		if err != nil {
			return fmt.Errorf("read the deploy history of %s: %w", deployment, err)
		}
		if !more || next == "" || seen[next] {
			return nil
		}
		seen[next] = true
		q.Set("cursor", next)
	}
}

// readDeployPage decodes a DeployPage from r one deploy at a time, calling
// fn with each. It returns the page's nextCursor and whether fn wants more.
// A history holds a hundred thousand deploys and more: the decoder is
// encoding/json's successor (github.com/go-json-experiment/json, which
// becomes encoding/json/v2), three times faster on them.
func readDeployPage(r io.Reader, fn func(*dagdeck.Deploy) bool) (next string, more bool, err error) {
	// Duplicate names are allowed, the last one winning, as encoding/json
	// does: checking for them costs a fifth of the decoding.
	dec := jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true))
	if err := readDelim(dec, '{'); err != nil {
		return "", false, err
	}
	for dec.PeekKind() == '"' {
		name, err := dec.ReadToken()
		if err != nil {
			return "", false, err
		}
		switch name.String() {
		case "deploys":
			if more, err := readDeploys(dec, fn); err != nil || !more {
				return "", false, err
			}
		case "nextCursor":
			err = json.UnmarshalDecode(dec, &next)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return "", false, err
		}
	}
	return next, true, readDelim(dec, '}')
}

// readDeploys decodes the deploys array element by element. It reports
// whether fn wants more.
func readDeploys(dec *jsontext.Decoder, fn func(*dagdeck.Deploy) bool) (bool, error) {
	if err := readDelim(dec, '['); err != nil {
		return false, err
	}
	for dec.PeekKind() == '{' {
		d := new(dagdeck.Deploy)
		if err := json.UnmarshalDecode(dec, d); err != nil {
			return false, err
		}
		if !fn(d) {
			return false, nil
		}
	}
	return true, readDelim(dec, ']')
}

// readDelim reads the next token and fails unless it is the delimiter want.
func readDelim(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if tok.Kind() != want {
		return fmt.Errorf("want %v, got %v", want, tok.Kind())
	}
	return nil
}
