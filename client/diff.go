package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dagdeck/dagdeck"
)

// DiffDeploys returns one page of what differs between two deploys of a
// Deployment, from one deploy to another ("" for the current deploy). Both
// take any form of a deploy id (#N, #-N, previous). With opts.Contents the
// files carry line diffs. Pass the page's NextCursor in opts.Cursor for the
// next page. ENOTFOUND for an unknown deploy or one whose artifacts are gone.
func (c *Client) DiffDeploys(ctx context.Context, deployment, from, to string, opts dagdeck.DiffOptions) (*dagdeck.DeployDiff, error) {
	q := url.Values{"from": {from}}
	for k, v := range map[string]string{"to": to, "part": opts.Part, "cursor": opts.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if opts.Contents {
		q.Set("contents", "true")
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var d dagdeck.DeployDiff
	if err := c.doJSON(ctx, http.MethodGet, deploymentPath(deployment)+"/diff", q, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// EachDiffPage calls fn with every page of a diff, in path order, until fn
// returns an error or the last page. The pages compare the same two
// deploys: later pages name them by the ids the first page resolved.
func (c *Client) EachDiffPage(ctx context.Context, deployment, from, to string, opts dagdeck.DiffOptions, fn func(*dagdeck.DeployDiff) error) error {
	for {
		page, err := c.DiffDeploys(ctx, deployment, from, to, opts)
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if page.NextCursor == "" || page.NextCursor == opts.Cursor {
			return nil
		}
		from, to, opts.Cursor = page.From.ID, page.To.ID, page.NextCursor
	}
}
