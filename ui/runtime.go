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

// RuntimeSource reads what the runtime reports about a Deployment: its DAGs
// and import errors, its runs and its task instances, newest first. The
// service implements it once the runtime is part of it; the UI shows those
// sections only when a source exists and has data.
type RuntimeSource interface {
	ListDags(ctx context.Context, deployment string) ([]*dagdeck.Dag, []*dagdeck.ImportError, error)
	ListRuns(ctx context.Context, deployment string, f dagdeck.RunFilter) ([]*dagdeck.DagRun, error)
	ListTaskInstances(ctx context.Context, deployment string, f dagdeck.TaskFilter) ([]*dagdeck.TaskInstance, error)
}

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

// runtimeView returns the runtime data of dep, or nil when there is none to show.
func (u *UI) runtimeView(ctx context.Context, dep *dagdeck.Deployment) (*runtimeView, error) {
	if u.runtime == nil {
		return nil, nil
	}
	var (
		v   = &runtimeView{deploys: make(map[string]*dagdeck.Deploy)}
		err error
	)
	if v.Dags, v.ImportErrors, err = u.runtime.ListDags(ctx, dep.ID); err != nil {
		return nil, err
	}
	if v.Runs, err = u.runtime.ListRuns(ctx, dep.ID, dagdeck.RunFilter{DeploymentID: dep.ID, Limit: recentRuns}); err != nil {
		return nil, err
	}
	if v.Tasks, err = u.runtime.ListTaskInstances(ctx, dep.ID, dagdeck.TaskFilter{DeploymentID: dep.ID, Limit: recentTasks}); err != nil {
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
		d, err := u.svc.FindDeploy(ctx, dep.ID, id)
		if err != nil && dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			return nil, err
		}
		v.deploys[id] = d
	}
	return v, nil
}
