package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Archive parts that DownloadArchive can fetch. PartAll is the whole code:
// image and DAG bundle merged as a runtime materializes them.
const (
	PartImage = dagdeck.PartImage
	PartDAGs  = dagdeck.PartDAGs
	PartAll   = dagdeck.PartAll
)

// ListDeploysOptions selects one page of the Deploy History.
type ListDeploysOptions struct {
	// Cursor is the NextCursor of the previous page; "" for the newest page.
	Cursor string
	// Limit is the page size; 0 lets the server choose.
	Limit int
}

// ListDeploys returns one page of the Deployment's Deploy History, newest
// first. Pass page.NextCursor to get the next (older) page.
func (c *Client) ListDeploys(ctx context.Context, deployment string, opts ListDeploysOptions) (*dagdeck.DeployPage, error) {
	q := url.Values{}
	if opts.Cursor != "" {
		q.Set("cursor", opts.Cursor)
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var page dagdeck.DeployPage
	if err := c.doJSON(ctx, http.MethodGet, deploysPath(deployment), q, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// EachDeploy calls fn for every deploy of the Deployment, newest first,
// following the pagination cursor, until fn returns false or an error
// occurs. Only one page is held at a time. pageSize 0 lets the server
// choose.
func (c *Client) EachDeploy(ctx context.Context, deployment string, pageSize int, fn func(*dagdeck.Deploy) bool) error {
	seen := map[string]bool{} // one short cursor per page, against a server that loops
	opts := ListDeploysOptions{Limit: pageSize}
	for {
		page, err := c.ListDeploys(ctx, deployment, opts)
		if err != nil {
			return err
		}
		for _, d := range page.Deploys {
			if !fn(d) {
				return nil
			}
		}
		if page.NextCursor == "" || seen[page.NextCursor] {
			return nil
		}
		seen[page.NextCursor] = true
		opts.Cursor = page.NextCursor
	}
}

// ListAllDeploys returns the whole Deploy History of a Deployment, newest first.
func (c *Client) ListAllDeploys(ctx context.Context, deployment string) ([]*dagdeck.Deploy, error) {
	var all []*dagdeck.Deploy
	err := c.EachDeploy(ctx, deployment, 0, func(d *dagdeck.Deploy) bool {
		all = append(all, d)
		return true
	})
	return all, err
}

// CreateDeploy starts a deploy. The answer holds the INITIALIZED deploy and
// the file digests the server lacks: upload them with UploadBlob, then call
// FinalizeDeploy. ECONFLICT if another deploy or rollback is in progress.
func (c *Client) CreateDeploy(ctx context.Context, deployment string, in dagdeck.DeployCreate) (*dagdeck.DeployCreated, error) {
	var out dagdeck.DeployCreated
	if err := c.doJSON(ctx, http.MethodPost, deploysPath(deployment), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FinalizeDeploy verifies the deploy's files and makes it current
// (DEPLOYED). If the server still lacks files it returns a
// *dagdeck.MissingBlobsError listing them.
//
// With WithRetry it is retried across outages; when a retry finds the
// deploy no longer INITIALIZED because an earlier attempt finalized it
// before its answer was lost, it returns the DEPLOYED deploy.
func (c *Client) FinalizeDeploy(ctx context.Context, deployment, deployID string) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	attempts := 0
	err := c.retrying(ctx, true, func() error {
		attempts++
		return c.doJSONOnce(ctx, http.MethodPost, deployPath(deployment, deployID)+"/finalize", nil, nil, &d)
	})
	if err != nil && attempts > 1 && dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
		if done, gerr := c.GetDeploy(ctx, deployment, deployID); gerr == nil && done.Status == dagdeck.DeployDeployed {
			return done, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// RenewUploadLease extends the upload lease of an INITIALIZED deploy; call
// it while uploading (every 15 seconds is enough for the default 60-second
// lease). ECONFLICT once the deploy is no longer INITIALIZED.
func (c *Client) RenewUploadLease(ctx context.Context, deployment, deployID string) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	if err := c.doJSON(idempotent(ctx), http.MethodPost, deployPath(deployment, deployID)+"/lease", nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// GetDeploy returns one deploy. ENOTFOUND if the Deployment has no such deploy.
func (c *Client) GetDeploy(ctx context.Context, deployment, deployID string) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	if err := c.doJSON(ctx, http.MethodGet, deployPath(deployment, deployID), nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// GetDeployByID returns a deploy by its id alone; its DeploymentID names its Deployment.
func (c *Client) GetDeployByID(ctx context.Context, deployID string) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	if err := c.doJSON(ctx, http.MethodGet, "/deploys/"+seg(deployID), nil, nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDeploy changes a deploy's description, or cancels (fails) an
// INITIALIZED deploy.
func (c *Client) UpdateDeploy(ctx context.Context, deployment, deployID string, upd dagdeck.DeployUpdate) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	if err := c.doJSON(ctx, http.MethodPatch, deployPath(deployment, deployID), nil, upd, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Rollback rolls the Deployment back to deployID. With req.DryRun it only
// returns the plan; otherwise the result also holds the new deploy.
// EUNPROCESSABLE for a runtime downgrade without req.ConfirmDowngrade.
func (c *Client) Rollback(ctx context.Context, deployment, deployID string, req dagdeck.RollbackRequest) (*dagdeck.RollbackResult, error) {
	var out dagdeck.RollbackResult
	if err := c.doJSON(ctx, http.MethodPost, deployPath(deployment, deployID)+"/rollback", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DownloadArchive returns a gzipped tar of a deploy's image, DAG bundle or
// whole code (part is PartImage, PartDAGs or PartAll). The caller closes it.
func (c *Client) DownloadArchive(ctx context.Context, deployment, deployID, part string) (io.ReadCloser, error) {
	return c.stream(ctx, deployPath(deployment, deployID)+"/archive", url.Values{"part": {part}})
}

// DeployManifest returns the manifest of a deploy's image or DAG bundle
// (part is PartImage or PartDAGs).
func (c *Client) DeployManifest(ctx context.Context, deployment, deployID, part string) (*dagdeck.Manifest, error) {
	var m dagdeck.Manifest
	q := url.Values{"part": {part}}
	if err := c.doJSON(ctx, http.MethodGet, deployPath(deployment, deployID)+"/manifest", q, nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func deploysPath(deployment string) string {
	return deploymentPath(deployment) + "/deploys"
}

func deployPath(deployment, deployID string) string {
	return deploysPath(deployment) + "/" + seg(deployID)
}

// PinDeploy pins a deploy: its artifacts are kept past the retention
// window until until (nil: until unpinned).
func (c *Client) PinDeploy(ctx context.Context, deployment, deployID, reason string, until *time.Time) (*dagdeck.Deploy, error) {
	in := struct {
		Reason string     `json:"reason"`
		Until  *time.Time `json:"until,omitempty"`
	}{reason, until}
	return c.markDeploy(ctx, http.MethodPut, deployment, deployID, "pin", in)
}

// UnpinDeploy removes a deploy's pin.
func (c *Client) UnpinDeploy(ctx context.Context, deployment, deployID string) (*dagdeck.Deploy, error) {
	return c.markDeploy(ctx, http.MethodDelete, deployment, deployID, "pin", nil)
}

// QuarantineDeploy quarantines a deploy: it is no rollback target.
func (c *Client) QuarantineDeploy(ctx context.Context, deployment, deployID, reason string) (*dagdeck.Deploy, error) {
	in := struct {
		Reason string `json:"reason"`
	}{reason}
	return c.markDeploy(ctx, http.MethodPut, deployment, deployID, "quarantine", in)
}

// ReleaseDeploy ends a deploy's quarantine.
func (c *Client) ReleaseDeploy(ctx context.Context, deployment, deployID string) (*dagdeck.Deploy, error) {
	return c.markDeploy(ctx, http.MethodDelete, deployment, deployID, "quarantine", nil)
}

func (c *Client) markDeploy(ctx context.Context, method, deployment, deployID, mark string, in any) (*dagdeck.Deploy, error) {
	var d dagdeck.Deploy
	if err := c.doJSON(ctx, method, deployPath(deployment, deployID)+"/"+mark, nil, in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
