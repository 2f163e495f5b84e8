package ui

import (
	"context"

	"github.com/dagdeck/dagdeck"
)

// How many recent runs and task instances a Deployment's page shows.
const (
	recentRuns  = 15
	recentTasks = 30
)

// runtimeView is what a Deployment runs: its DAGs, import errors, recent
// runs and task instances, each with the deploy it came from.
type runtimeView struct {
	Dags         []*dagdeck.Dag
	ImportErrors []*dagdeck.ImportError
	Runs         []*dagdeck.DagRun
	Tasks        []*dagdeck.TaskInstance
	deploys      map[string]*dagdeck.Deploy
}

// Deploy returns the deploy with that id, or nil if it is unknown.
func (v *runtimeView) Deploy(id string) *dagdeck.Deploy { return v.deploys[id] }

// runtimeView returns what the runtime reported about dep, or nil when it
// reported nothing (no runtime runs it, or nothing is deployed).
func (u *UI) runtimeView(ctx context.Context, dep *dagdeck.Deployment) (*runtimeView, error) {
	var (
		v   = &runtimeView{deploys: make(map[string]*dagdeck.Deploy)}
		err error
	)
	if v.Dags, v.ImportErrors, err = u.svc.Runtime.ListDags(ctx, dep.ID); err != nil {
		return nil, err
	}
	if v.Runs, err = u.svc.Runtime.ListRuns(ctx, dep.ID, dagdeck.RunQuery{Limit: recentRuns}); err != nil {
		return nil, err
	}
	if v.Tasks, err = u.svc.Runtime.ListTaskInstances(ctx, dep.ID, dagdeck.TaskQuery{Limit: recentTasks}); err != nil {
		return nil, err
	}
	if len(v.Dags)+len(v.ImportErrors)+len(v.Runs)+len(v.Tasks) == 0 {
		return nil, nil
	}
	var ids []string
	for _, d := range v.Dags {
		ids = append(ids, d.DeployID)
	}
	for _, e := range v.ImportErrors {
		ids = append(ids, e.DeployID)
	}
	for _, t := range v.Tasks {
		ids = append(ids, t.DeployID)
	}
	for _, id := range ids {
		if _, seen := v.deploys[id]; seen || id == "" {
			continue
		}
		d, err := u.svc.History.FindDeploy(ctx, dep.ID, id)
		if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			return nil, err
		}
		v.deploys[id] = d
	}
	return v, nil
}
