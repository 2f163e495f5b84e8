package main

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck/localruntime"
)

// Runtime modes of `dagdeck server --runtime`.
const (
	runtimeLocal = "local" // run every Deployment's DAGs inside the server
	runtimeNone  = "none"  // leave them to `dagdeck runtime` processes
)

// startRuntime wires the runtime into the service. With "local" it starts
// the embedded runtime for every Deployment, keeping its files under
// <data-dir>/runtime (the tasks' code elsewhere when they run as a task
// user, see taskFlags). With "none" the server runs no task: the service
// records what runtimes in other processes must do on deploys and
// downgrades (service.ExternalRuntime).
func (m *Main) startRuntime(ctx context.Context) error {
	switch m.Runtime {
	case runtimeNone:
		m.svc.SetRuntime(m.svc.ExternalRuntime())
		return nil
	case "", runtimeLocal:
	default:
		return fmt.Errorf("--runtime %q: want %s or %s", m.Runtime, runtimeLocal, runtimeNone)
	}
	user, codeDir, err := m.isolation(m.DataDir, privatePaths(m.DataDir, m.DatabaseURL, m.ArtifactsURL), m.Logger)
	if err != nil {
		return err
	}
	rt, err := localruntime.New(localruntime.Config{
		DataDir:  m.DataDir,
		Backend:  m.svc.LocalRuntimeBackend(),
		Logger:   m.Logger,
		TaskUser: user,
		CodeDir:  codeDir,
	})
	if err != nil {
		return err
	}
	m.svc.SetRuntime(rt)
	if err := rt.Start(ctx); err != nil {
		rt.Close()
		return fmt.Errorf("start the local runtime: %w", err)
	}
	m.runtime = rt
	return nil
}

// stopRuntime stops the embedded runtime: running tasks are stopped and
// recorded (retried on the next start when they have retries left).
func (m *Main) stopRuntime() error {
	if m.runtime == nil {
		return nil
	}
	return m.runtime.Close()
}
