package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

// waitForRuntime polls the Deployment's DAGs until the runtime reports DAGs
// or import errors of deploy d, and returns a line describing them.
func (f *factory) waitForRuntime(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy, hasDAGs bool, timeout time.Duration) (string, error) {
	if !hasDAGs {
		return "No DAG files to load; nothing to wait for.", nil
	}
	fmt.Fprintf(f.errOut, "Waiting for the runtime to load deploy #%d…\n", d.Sequence)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		list, err := f.client().ListDags(ctx, dep.ID)
		switch code := dagdeck.ErrorCode(err); {
		case err == nil && loadedBy(list, d.ID):
			return loadedSummary(list, d.ID), nil
		case code == dagdeck.ENOTFOUND || code == dagdeck.ENOTIMPLEMENTED:
			return "", fmt.Errorf("deployed, but cannot wait: the server does not report DAGs (%s)", dagdeck.ErrorMessage(err))
		case ctx.Err() != nil:
			return "", fmt.Errorf("deployed #%d, but the runtime did not load it within %s", d.Sequence, timeout)
		}
		select {
		case <-ctx.Done():
		case <-time.After(f.pollInterval):
		}
	}
}

// loadedBy reports whether the runtime has parsed deploy deployID.
func loadedBy(list *client.DagList, deployID string) bool {
	for _, d := range list.Dags {
		if d.DeployID == deployID {
			return true
		}
	}
	for _, e := range list.ImportErrors {
		if e.DeployID == deployID {
			return true
		}
	}
	return false
}

// loadedSummary says how many DAGs of the deploy loaded and which files failed.
func loadedSummary(list *client.DagList, deployID string) string {
	dags, failed := 0, ""
	for _, d := range list.Dags {
		if d.DeployID == deployID {
			dags++
		}
	}
	for _, e := range list.ImportErrors {
		if e.DeployID == deployID {
			failed += fmt.Sprintf("\n  %s: %s", e.File, e.Message)
		}
	}
	if failed != "" {
		return fmt.Sprintf("The runtime loaded %s; these files failed to import:%s", plural(dags, "DAG"), failed)
	}
	return fmt.Sprintf("The runtime loaded %s.", plural(dags, "DAG"))
}
