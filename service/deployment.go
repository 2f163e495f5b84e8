package service

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/dagdeck/dagdeck"
)

// CreateDeployment creates a Deployment. Requires the admin role.
// EINVALID for a bad name, description or executor; ECONFLICT if the name is taken.
func (s *Service) CreateDeployment(ctx context.Context, req dagdeck.DeploymentCreate) (*dagdeck.Deployment, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	if err := dagdeck.ValidateDeploymentName(req.Name); err != nil {
		return nil, err
	}
	if err := dagdeck.ValidateDescription(req.Description); err != nil {
		return nil, err
	}
	if req.Executor == "" {
		req.Executor = dagdeck.ExecutorLocal
	}
	if req.Executor != dagdeck.ExecutorLocal {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "unknown executor %q: only %q is available", req.Executor, dagdeck.ExecutorLocal)
	}
	now := s.Now()
	d := &dagdeck.Deployment{
		ID:                 dagdeck.NewID(),
		Name:               req.Name,
		Description:        req.Description,
		Executor:           req.Executor,
		SchedulerSize:      "small",
		WorkerQueues:       []string{"default"},
		WorkerConcurrency:  4,
		IsDagDeployEnabled: req.IsDagDeployEnabled == nil || *req.IsDagDeployEnabled,
		AutoRollback:       dagdeck.DefaultAutoRollbackPolicy,
		Env:                []dagdeck.EnvVar{},
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if _, err := tx.FindDeploymentByName(ctx, d.Name); err == nil {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "a Deployment named %q already exists", d.Name)
		}
		if err := tx.CreateDeployment(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditDeploymentCreated, targetKind: "deployment", targetID: d.ID, deploymentID: d.ID,
			summary: map[string]any{"name": d.Name, "description": d.Description, "isDagDeployEnabled": d.IsDagDeployEnabled}})
	})
	if err != nil {
		return nil, err
	}
	return d.WithoutSecrets(), nil
}

// FindDeployment returns a Deployment by id or name, without secret env
// values. ENOTFOUND if none.
func (s *Service) FindDeployment(ctx context.Context, idOrName string) (*dagdeck.Deployment, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var d *dagdeck.Deployment
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		if d, err = findDeployment(ctx, tx, idOrName); err != nil {
			return err
		}
		return withPolicy(ctx, tx, d)
	})
	if err != nil {
		return nil, err
	}
	return d.WithoutSecrets(), nil
}

// ListDeployments returns every Deployment, ordered by name, without secret
// env values.
func (s *Service) ListDeployments(ctx context.Context) ([]*dagdeck.Deployment, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleViewer); err != nil {
		return nil, err
	}
	var ds []*dagdeck.Deployment
	err := s.store.View(ctx, func(tx dagdeck.Tx) (err error) {
		if ds, err = tx.ListDeployments(ctx); err != nil {
			return err
		}
		for _, d := range ds {
			if err := withPolicy(ctx, tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	for i, d := range ds {
		ds[i] = d.WithoutSecrets()
	}
	return ds, err
}

// UpdateDeployment changes a Deployment's settings. Requires the admin role.
// Env changes are recorded so a rollback plan can name the keys changed since
// its target.
func (s *Service) UpdateDeployment(ctx context.Context, idOrName string, upd dagdeck.DeploymentUpdate) (*dagdeck.Deployment, error) {
	if _, err := dagdeck.Authorize(ctx, dagdeck.RoleAdmin); err != nil {
		return nil, err
	}
	var d *dagdeck.Deployment
	err := s.store.Update(ctx, func(tx dagdeck.Tx) (err error) {
		if d, err = lockDeployment(ctx, tx, idOrName); err != nil {
			return err
		}
		if err := refuseDagDeployFlipDuringUpload(ctx, tx, d, upd); err != nil {
			return err
		}
		if err := withPolicy(ctx, tx, d); err != nil {
			return err
		}
		before := *d
		now := s.Now()
		changed, err := applyDeploymentUpdate(d, upd, now)
		if err != nil {
			return err
		}
		for _, key := range changed {
			if err := tx.RecordEnvChange(ctx, d.ID, key, now); err != nil {
				return err
			}
		}
		if upd.Name != nil && *upd.Name != d.Name {
			if _, err := tx.FindDeploymentByName(ctx, *upd.Name); err == nil {
				return dagdeck.Errorf(dagdeck.ECONFLICT, "a Deployment named %q already exists", *upd.Name)
			}
		}
		d.UpdatedAt = now
		if err := tx.UpdateDeployment(ctx, d); err != nil {
			return err
		}
		if upd.AutoRollback != nil {
			if err := tx.PutAutoRollbackPolicy(ctx, d.ID, &d.AutoRollback); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, change{action: dagdeck.AuditDeploymentUpdated, targetKind: "deployment", targetID: d.ID, deploymentID: d.ID,
			summary: deploymentDiff(&before, d, changed)})
	})
	if err != nil {
		return nil, err
	}
	return d.WithoutSecrets(), nil
}

// refuseDagDeployFlipDuringUpload refuses to change the DAG-deploy setting
// while a deploy packaged for the other setting is uploading: finalizing it
// would silently set it back.
func refuseDagDeployFlipDuringUpload(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deployment, upd dagdeck.DeploymentUpdate) error {
	if upd.IsDagDeployEnabled == nil || *upd.IsDagDeployEnabled == d.IsDagDeployEnabled {
		return nil
	}
	inflight, err := tx.LatestDeploy(ctx, d.ID, dagdeck.DeployInitialized)
	switch {
	case err == nil:
		return dagdeck.Errorf(dagdeck.ECONFLICT, "%s of Deployment %s is still uploading; change the DAG-deploy setting after it finishes or is cancelled", inflight, d.Name)
	case dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND:
		return err
	}
	return nil
}

// applyDeploymentUpdate validates upd and applies it to d, returning the env
// keys whose value or secrecy changed.
func applyDeploymentUpdate(d *dagdeck.Deployment, upd dagdeck.DeploymentUpdate, now time.Time) ([]string, error) {
	if upd.Name != nil {
		if err := dagdeck.ValidateDeploymentName(*upd.Name); err != nil {
			return nil, err
		}
		d.Name = *upd.Name
	}
	if upd.Description != nil {
		if err := dagdeck.ValidateDescription(*upd.Description); err != nil {
			return nil, err
		}
		d.Description = *upd.Description
	}
	if upd.Executor != nil {
		if *upd.Executor != dagdeck.ExecutorLocal {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "unknown executor %q: only %q is available", *upd.Executor, dagdeck.ExecutorLocal)
		}
		d.Executor = *upd.Executor
	}
	if upd.SchedulerSize != nil {
		if !slices.Contains([]string{"small", "medium", "large"}, *upd.SchedulerSize) {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "scheduler size %q: want small, medium or large", *upd.SchedulerSize)
		}
		d.SchedulerSize = *upd.SchedulerSize
	}
	if upd.WorkerQueues != nil {
		d.WorkerQueues = *upd.WorkerQueues
	}
	if upd.WorkerConcurrency != nil {
		if *upd.WorkerConcurrency < 1 || *upd.WorkerConcurrency > 256 {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "worker concurrency %d: want 1 to 256", *upd.WorkerConcurrency)
		}
		d.WorkerConcurrency = *upd.WorkerConcurrency
	}
	if upd.IsDagDeployEnabled != nil {
		d.IsDagDeployEnabled = *upd.IsDagDeployEnabled
	}
	if upd.AutoRollback != nil {
		p := upd.AutoRollback.Apply(d.AutoRollback)
		if err := p.Validate(); err != nil {
			return nil, err
		}
		d.AutoRollback = p
	}
	return applyEnvUpdates(d, upd.Env, now)
}

func applyEnvUpdates(d *dagdeck.Deployment, updates []dagdeck.EnvUpdate, now time.Time) ([]string, error) {
	env := make(map[string]dagdeck.EnvVar, len(d.Env))
	for _, v := range d.Env {
		env[v.Key] = v
	}
	var changed []string
	for _, u := range updates {
		if err := dagdeck.ValidateEnvKey(u.Key); err != nil {
			return nil, err
		}
		old, had := env[u.Key]
		if u.Value == nil {
			if had {
				delete(env, u.Key)
				changed = append(changed, u.Key)
			}
			continue
		}
		if len(*u.Value) > dagdeck.MaxEnvValueLen {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "value of %s is %d bytes; the limit is %d", u.Key, len(*u.Value), dagdeck.MaxEnvValueLen)
		}
		if had && old.Value == *u.Value && old.IsSecret == u.IsSecret {
			continue
		}
		env[u.Key] = dagdeck.EnvVar{Key: u.Key, Value: *u.Value, IsSecret: u.IsSecret, UpdatedAt: now}
		changed = append(changed, u.Key)
	}
	d.Env = d.Env[:0]
	for _, v := range env {
		d.Env = append(d.Env, v)
	}
	sort.Slice(d.Env, func(i, j int) bool { return d.Env[i].Key < d.Env[j].Key })
	return changed, nil
}

// deploymentDiff says what an update changed: each setting before and
// after, and the env keys whose value or secrecy changed (never a value).
func deploymentDiff(before, after *dagdeck.Deployment, envKeys []string) map[string]any {
	m := map[string]any{}
	field := func(name string, from, to any) {
		if fmt.Sprint(from) != fmt.Sprint(to) {
			m[name] = map[string]any{"before": from, "after": to}
		}
	}
	field("name", before.Name, after.Name)
	field("description", before.Description, after.Description)
	field("executor", before.Executor, after.Executor)
	field("schedulerSize", before.SchedulerSize, after.SchedulerSize)
	field("workerQueues", before.WorkerQueues, after.WorkerQueues)
	field("workerConcurrency", before.WorkerConcurrency, after.WorkerConcurrency)
	field("isDagDeployEnabled", before.IsDagDeployEnabled, after.IsDagDeployEnabled)
	field("autoRollback", before.AutoRollback, after.AutoRollback)
	if len(envKeys) > 0 {
		m["envKeysChanged"] = envKeys
	}
	return m
}

// withPolicy sets d's automatic rollback policy (its own, or the
// default) and its runtime's activation of the current deploy.
func withPolicy(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deployment) error {
	if err := withActivation(ctx, tx, d); err != nil {
		return err
	}
	p, err := tx.AutoRollbackPolicy(ctx, d.ID)
	switch {
	case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
		d.AutoRollback = dagdeck.DefaultAutoRollbackPolicy
	case err != nil:
		return err
	default:
		d.AutoRollback = *p
	}
	return nil
}
