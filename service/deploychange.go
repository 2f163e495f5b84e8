package service

import (
	"context"

	"github.com/dagdeck/dagdeck"
)

// changeDeploy runs fn, in a write transaction under the Deployment's
// lock, on the deploy that ref names, and returns the deploy as fn left
// it. ENOTFOUND for an unknown Deployment or deploy; fn's error as it is.
func (s *Service) changeDeploy(ctx context.Context, deploymentIDOrName, ref string, fn func(tx dagdeck.Tx, dep *dagdeck.Deployment, d *dagdeck.Deploy) error) (*dagdeck.Deploy, error) {
	var d *dagdeck.Deploy
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		dep, err := lockDeployment(ctx, tx, deploymentIDOrName)
		if err != nil {
			return err
		}
		if d, err = s.findDeployOf(ctx, tx, dep, ref); err != nil {
			return err
		}
		return fn(tx, dep, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
