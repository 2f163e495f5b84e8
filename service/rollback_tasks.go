package service

import (
	"context"
	"fmt"
	"io"
	"testing/fstest"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// planTasksAndErasure says what happens to the running tasks and, for a
// downgrade, which feature metadata is erased.
func (s *Service) planTasksAndErasure(ctx context.Context, tx dagdeck.Tx, plan *dagdeck.RollbackPlan) error {
	downgrade := plan.Runtime.Change == dagdeck.RuntimeDowngrade
	plan.RequiresConfirmation = downgrade
	running, err := tx.ListTaskInstances(ctx, dagdeck.TaskFilter{DeploymentID: plan.DeploymentID, State: dagdeck.TaskRunning})
	if err != nil {
		return err
	}
	var tasks codeTasks
	if downgrade && len(running) > 0 {
		if tasks, err = s.tasksOf(ctx, plan.TargetDeploy); err != nil {
			return err
		}
	}
	for _, ti := range running {
		plan.RunningTasks = append(plan.RunningTasks, dagdeck.PlannedTask{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID,
			TryNumber: ti.TryNumber, DeployID: ti.DeployID, Outcome: runningOutcome(ti, downgrade, tasks, plan.TargetDeploy)})
	}
	if !downgrade {
		return nil
	}
	for _, f := range dagdeck.FeaturesLost(plan.Runtime.From, plan.Runtime.To) {
		n, err := tx.CountFeatureRows(ctx, plan.DeploymentID, f)
		if err != nil {
			return err
		}
		plan.Erased = append(plan.Erased, dagdeck.ErasedFeature{Feature: f, Rows: n})
	}
	return nil
}

// runningOutcome says what a rollback to target does to a running try.
func runningOutcome(ti *dagdeck.TaskInstance, downgrade bool, tasks codeTasks, target *dagdeck.Deploy) string {
	switch {
	case !downgrade:
		return "finishes on the code it started with; tasks that start afterwards run the rolled-back code"
	case ti.TryNumber >= ti.MaxTries:
		return "fails now; no retries left"
	case !tasks.has(ti.DagID, ti.TaskID):
		return fmt.Sprintf("fails now; not retried: deploy #%d has no task %s in DAG %s, so its run ends", target.Sequence, ti.TaskID, ti.DagID)
	}
	return "fails now; retried after the rollback, on the rolled-back code and runtime"
}

// codeTasks is the set of task ids per DAG id of a deploy's code.
type codeTasks map[string]map[string]bool

func (c codeTasks) has(dagID, taskID string) bool { return c[dagID][taskID] }

// tasksOf loads the DAGs of a deploy's code, as the runtime will on its
// runtime version, and returns their tasks. A DAG that fails to import has
// none.
func (s *Service) tasksOf(ctx context.Context, d *dagdeck.Deploy) (codeTasks, error) {
	m, err := s.dagFiles(ctx, d)
	if err != nil {
		return nil, err
	}
	// The DAG files are few and small: read into memory, they load with
	// the runtime's own loader (an in-memory fs.FS).
	files := fstest.MapFS{}
	for _, f := range m.Files {
		if f.Digest == "" {
			continue
		}
		b, err := s.readBlob(ctx, f.Digest)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		files[f.Path] = &fstest.MapFile{Data: b, Mode: f.Mode}
	}
	dags, _ := dagfile.LoadDir(files, dagfile.Options{RuntimeVersion: d.RuntimeVersion})
	out := make(codeTasks, len(dags))
	for _, dag := range dags {
		out[dag.ID] = make(map[string]bool, len(dag.Tasks))
		for _, t := range dag.Tasks {
			out[dag.ID][t.ID] = true
		}
	}
	return out, nil
}

// readBlob reads a whole stored file.
func (s *Service) readBlob(ctx context.Context, digest string) ([]byte, error) {
	rc, err := s.artifacts.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, dagdeck.MaxFileSize))
}
