package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// rollbackWaitStep is how long one rollback request waits on the server
// for a deploy in progress; between steps the CLI shows its progress.
const rollbackWaitStep = 10 * time.Second

// rollbackInTurn sends the rollback, letting it wait its turn behind a
// deploy in progress for up to o.wait, and says what it waits for.
func (f *factory) rollbackInTurn(ctx context.Context, o *rollbackOptions, id string, req dagdeck.RollbackRequest) (*dagdeck.RollbackResult, error) {
	start := time.Now()
	for {
		req.WaitSeconds = int(min(rollbackWaitStep, max(o.wait-time.Since(start), 0)).Seconds())
		res, err := f.client().Rollback(ctx, o.deployment, id, req)
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT || time.Since(start) >= o.wait {
			return res, err
		}
		inflight := f.deployInProgress(ctx, o.deployment)
		if inflight == nil {
			return nil, err // another conflict: a stale plan
		}
		fmt.Fprintf(f.errOut, "Waiting for %s (by %s) to finish; the rollback goes next (%s of %s)…\n",
			inflight, inflight.CreatedBy.Name, time.Since(start).Round(time.Second), o.wait)
	}
}

// deployInProgress returns the Deployment's INITIALIZED deploy, or nil.
func (f *factory) deployInProgress(ctx context.Context, deployment string) *dagdeck.Deploy {
	page, err := f.client().ListDeploys(ctx, deployment, client.ListDeploysOptions{Limit: 5})
	if err != nil {
		return nil
	}
	for _, d := range page.Deploys {
		if d.Status == dagdeck.DeployInitialized {
			return d
		}
	}
	return nil
}
