package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newDeploymentListCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List Deployments with what they run and their last deploy attempt",
		Aliases: []string{"ls"},
		Long: `List Deployments. CURRENT DEPLOY is what each one runs now (#N, when,
by whom). LAST ATTEMPT is shown only when the newest deploy is not the
current one: a failed attempt is flagged with "!", while the Deployment
keeps running its current deploy.

With -o json the Deployments are printed as the API returns them.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := f.client().ListDeployments(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"deployments": ds})
			}
			return f.printDeployments(cmd.Context(), ds)
		},
	}
}

// deploymentState is what a Deployment runs and its newest deploy.
type deploymentState struct {
	current *dagdeck.Deploy // nil before the first successful deploy
	newest  *dagdeck.Deploy // nil when there is no deploy at all
}

// deploymentState fetches a Deployment's current and newest deploys.
func (f *factory) deploymentState(ctx context.Context, d *dagdeck.Deployment) (deploymentState, error) {
	var st deploymentState
	page, err := f.client().ListDeploys(ctx, d.ID, client.ListDeploysOptions{Limit: 1})
	if err != nil {
		return st, fmt.Errorf("history of %s: %w", d.Name, err)
	}
	if len(page.Deploys) > 0 {
		st.newest = page.Deploys[0]
	}
	switch {
	case d.CurrentDeployID == "":
	case st.newest != nil && st.newest.ID == d.CurrentDeployID:
		st.current = st.newest
	default:
		if st.current, err = f.client().GetDeploy(ctx, d.ID, d.CurrentDeployID); err != nil {
			return st, fmt.Errorf("current deploy of %s: %w", d.Name, err)
		}
	}
	return st, nil
}

// stateFetches bounds the Deployments whose deploys are fetched at once.
const stateFetches = 8

// printDeployments writes the Deployments table: what each runs now and
// its last attempt when that is not what runs.
func (f *factory) printDeployments(ctx context.Context, ds []*dagdeck.Deployment) error {
	if len(ds) == 0 {
		fmt.Fprintln(f.out, "No Deployments yet. Create one with: dagdeck deployment create --name NAME")
		return nil
	}
	// One or two requests per Deployment, a few at a time: a long list
	// does not wait for each round trip in turn.
	states := make([]deploymentState, len(ds))
	f.client() // made before the goroutines share it
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(stateFetches)
	for i, d := range ds {
		g.Go(func() (err error) {
			states[i], err = f.deploymentState(gctx, d)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	p := f.colors()
	w := newTable(f.out)
	row(w, "NAME", "CURRENT DEPLOY", "DEPLOYED", "BY", p.plain("LAST ATTEMPT"), "RUNTIME", "DAG DEPLOY", "ID")
	for i, d := range ds {
		st := states[i]
		cur, when, by := "-", "-", "-"
		if c := st.current; c != nil {
			cur, when, by = "#"+strconv.FormatInt(c.Sequence, 10), formatTime(c.CreatedAt, f.now()), orDash(c.CreatedBy.Name)
		}
		row(w, d.Name, cur, when, by, f.lastAttempt(p, st), orDash(d.RuntimeVersion), yesNo(d.IsDagDeployEnabled), d.ID)
	}
	return w.Flush()
}

// lastAttempt renders the newest deploy when it is not the current one:
// "! #8 FAILED (1h ago)" for a failed one, in red; "-" otherwise.
func (f *factory) lastAttempt(p palette, st deploymentState) painted {
	n := st.newest
	if n == nil || (st.current != nil && n.ID == st.current.ID) {
		return p.plain("-")
	}
	text := fmt.Sprintf("#%d %s (%s)", n.Sequence, n.Status, ago(f.now().Sub(n.CreatedAt)))
	if n.Status == dagdeck.DeployFailed {
		return p.failed("! " + text)
	}
	return p.plain(text)
}
