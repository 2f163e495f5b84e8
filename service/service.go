// Package service implements dagdeck's business rules on top of the
// metadata store, the artifact store and the runtime: creating and finalizing
// deploys, rollback eligibility and plans, retention and garbage collection,
// tokens, users and sessions. Handlers translate, this package decides, the
// stores persist.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// Defaults for Service options.
const (
	DefaultUploadTimeout = 30 * time.Minute
	DefaultGCGrace       = time.Hour
)

// Service is the control plane's core. Create it with New.
type Service struct {
	store     dagdeck.Store
	artifacts dagdeck.ArtifactStore
	runtime   dagdeck.Runtime
	now       func() time.Time
	retention time.Duration
	// uploadTimeout is how long a deploy may stay INITIALIZED before it is failed as abandoned.
	uploadTimeout time.Duration
	// uploadLease is how long an upload lease lasts without renewal.
	uploadLease time.Duration
	// gcGrace protects recently stored blobs that no deploy references yet.
	gcGrace time.Duration
	logger  *slog.Logger
	hooks   []func(*dagdeck.Deploy)
	// observer hears about finished deploys, rollbacks, uploads and GC (metrics).
	observer dagdeck.Observer
	// manifests caches decoded manifests (immutable, content-addressed).
	manifests *boundedCache[*dagdeck.Manifest]
	// trees caches git trees by the manifests they are built from.
	trees *boundedCache[*gitrepo.Tree]
	// gitIDs keeps git blob ids recorded in the store, by digest (content-
	// addressed, so never stale): a deploy's tree asks the store only about
	// files recent trees did not have.
	gitIDs *boundedCache[string]
	// uploadedGitIDs keeps the git blob ids of blobs uploaded lately,
	// computed as they streamed in, until a tree records them: committing
	// a deploy reads none of its new files again.
	uploadedGitIDs *boundedCache[string]
	// outboxWake nudges the webhook deliverer when an event was queued.
	outboxWake chan struct{}
	// readyTimeout bounds each dependency check of Ready.
	readyTimeout time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests use it to move time forward).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRetention sets the retention window (default 90 days).
func WithRetention(d time.Duration) Option { return func(s *Service) { s.retention = d } }

// WithUploadTimeout sets how long an upload may stay unfinished.
func WithUploadTimeout(d time.Duration) Option { return func(s *Service) { s.uploadTimeout = d } }

// WithGCGrace sets the age below which unreferenced blobs are kept.
func WithGCGrace(d time.Duration) Option { return func(s *Service) { s.gcGrace = d } }

// WithRuntime sets the runtime that deploys are applied to.
func WithRuntime(r dagdeck.Runtime) Option { return func(s *Service) { s.runtime = r } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// New returns a Service over the given stores.
func New(store dagdeck.Store, artifacts dagdeck.ArtifactStore, opts ...Option) *Service {
	s := &Service{
		store:          store,
		artifacts:      artifacts,
		now:            time.Now,
		retention:      dagdeck.DefaultRetention,
		uploadTimeout:  DefaultUploadTimeout,
		uploadLease:    DefaultUploadLease,
		gcGrace:        DefaultGCGrace,
		logger:         slog.Default(),
		manifests:      newBoundedCache[*dagdeck.Manifest](manifestCacheSize),
		trees:          newBoundedCache[*gitrepo.Tree](treeCacheSize),
		gitIDs:         newBoundedCache[string](gitIDCacheSize),
		uploadedGitIDs: newBoundedCache[string](gitIDCacheSize),
		outboxWake:     make(chan struct{}, 1),
		readyTimeout:   DefaultReadyTimeout,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetRuntime sets the runtime after construction (the runtime itself needs the service).
func (s *Service) SetRuntime(r dagdeck.Runtime) { s.runtime = r }

// OnDeployed registers fn to be called, after commit, with every deploy that
// becomes current (the web UI uses it to push updates).
func (s *Service) OnDeployed(fn func(*dagdeck.Deploy)) { s.hooks = append(s.hooks, fn) }

// Retention returns the retention window.
func (s *Service) Retention() time.Duration { return s.retention }

// Now returns the service's current time in UTC, truncated to microseconds
// (the precision every store keeps).
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// findDeployment resolves an id or a name.
func findDeployment(ctx context.Context, tx dagdeck.Tx, idOrName string) (*dagdeck.Deployment, error) {
	if idOrName == "" {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "a Deployment id or name is required")
	}
	d, err := tx.FindDeployment(ctx, idOrName)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		d, err = tx.FindDeploymentByName(ctx, idOrName)
	}
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %q not found", idOrName)
	}
	return d, err
}

// lockDeployment resolves an id or name, takes the Deployment's row lock
// for the rest of the transaction and re-reads the row under it, so what
// the caller writes back is never a copy read before another replica's
// change.
func lockDeployment(ctx context.Context, tx dagdeck.Tx, idOrName string) (*dagdeck.Deployment, error) {
	dep, err := findDeployment(ctx, tx, idOrName)
	if err != nil {
		return nil, err
	}
	if err := tx.LockDeployment(ctx, dep.ID); err != nil {
		return nil, err
	}
	return tx.FindDeployment(ctx, dep.ID)
}

// activated tells the runtime and the hooks about a new current deploy,
// and records what the runtime did (see dagdeck.Activation): the caller
// learns it in the deploy's Activation, and the history shows it until the
// runtime has switched.
func (s *Service) activated(ctx context.Context, d *dagdeck.Deploy) {
	if s.runtime != nil {
		ctx := context.WithoutCancel(ctx)
		a := &dagdeck.Activation{DeployID: d.ID, State: dagdeck.ActivationActive}
		if err := s.runtime.Activate(ctx, d); err != nil {
			s.logger.Error("activate deploy in runtime", "deploy", d.ID, "err", err)
			a.State, a.Error = dagdeck.ActivationFailed, err.Error()
		} else if l, ok := s.runtime.(dagdeck.DeferredActivation); ok && l.ActivatesLater() {
			if !s.runtimeReported(ctx, d.DeploymentID) {
				return // no runtime runs this Deployment (real Airflow follows its git repository)
			}
			a.State = dagdeck.ActivationPending
		}
		d.Activation = s.recordActivation(ctx, d.DeploymentID, a)
	}
	for _, fn := range s.hooks {
		fn(d)
	}
}

// prepareRuntime asks the runtime, when it can, to lay out d's code now,
// in the background, while the deploy is being committed: its Activate then
// only switches. What fails here, Activate meets again and reports.
func (s *Service) prepareRuntime(ctx context.Context, d *dagdeck.Deploy) {
	p, ok := s.runtime.(dagdeck.Preparer)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		if err := p.Prepare(ctx, d); err != nil {
			s.logger.Debug("prepare deploy in runtime", "deploy", d.ID, "err", err)
		}
	}()
}

// recordActivation stores a, unless the Deployment has moved on to another
// deploy meanwhile, and returns it.
func (s *Service) recordActivation(ctx context.Context, deploymentID string, a *dagdeck.Activation) *dagdeck.Activation {
	a.At = s.Now()
	err := s.store.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.LockDeployment(ctx, deploymentID); err != nil {
			return err
		}
		dep, err := tx.FindDeployment(ctx, deploymentID)
		if err != nil || dep.CurrentDeployID != a.DeployID {
			return err
		}
		// The runtime may have reported already that it could not lay out
		// the code it switched to (reportedBroken): that stands.
		if prev, err := tx.FindActivation(ctx, deploymentID); err == nil && a.State == dagdeck.ActivationActive &&
			prev.DeployID == a.DeployID && prev.State == dagdeck.ActivationFailed {
			*a = *prev
			return nil
		}
		return tx.PutActivation(ctx, deploymentID, a)
	})
	if err != nil {
		s.logger.Error("record activation", "deployment", deploymentID, "deploy", a.DeployID, "err", err)
	}
	return a
}

// runtimeReported reports whether a separate runtime has ever reported a
// deploy of the Deployment, i.e. whether one runs it.
func (s *Service) runtimeReported(ctx context.Context, deploymentID string) bool {
	err := s.store.View(ctx, func(tx dagdeck.Tx) error {
		_, err := tx.FindActivation(ctx, deploymentID)
		return err
	})
	return err == nil
}

// withActivation sets d's Activation from the store; none when there is none.
func withActivation(ctx context.Context, tx dagdeck.Tx, d *dagdeck.Deployment) error {
	a, err := tx.FindActivation(ctx, d.ID)
	switch {
	case dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND:
		return nil
	case err != nil:
		return err
	}
	if a.DeployID == d.CurrentDeployID {
		d.Activation = a
	}
	return nil
}
