package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// DefaultReadyTimeout bounds each dependency check of Ready.
const DefaultReadyTimeout = 2 * time.Second

// readyProbe is a blob nobody stores: asking for it makes the artifact
// store answer without transferring anything.
var readyProbe = dagdeck.DigestOf([]byte("dagdeck readiness probe"))

// WithReadyTimeout sets how long Ready waits for each dependency.
func WithReadyTimeout(d time.Duration) Option { return func(s *Service) { s.readyTimeout = d } }

// Ready checks, concurrently and each within the ready timeout, that the
// metadata store runs a transaction and the artifact store answers a
// lookup. It needs no authentication: it reveals no data, only whether
// each dependency answered (the reasons go to the log).
func (s *Service) Ready(ctx context.Context) *dagdeck.Readiness {
	checks := []struct {
		name  string
		probe func(context.Context) error
	}{
		{"database", func(ctx context.Context) error {
			return s.store.View(ctx, func(dagdeck.Tx) error { return nil })
		}},
		{"artifacts", func(ctx context.Context) error {
			_, err := s.artifacts.Stat(ctx, readyProbe)
			if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
				return nil
			}
			return err
		}},
	}
	out := &dagdeck.Readiness{Status: dagdeck.ReadyOK, Checks: make([]dagdeck.DependencyCheck, len(checks))}
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Checks[i] = s.check(ctx, c.name, c.probe)
		}()
	}
	wg.Wait()
	for _, c := range out.Checks {
		if c.Status != dagdeck.ReadyOK {
			out.Status = dagdeck.ReadyUnavailable
		}
	}
	return out
}

// check runs one probe within the ready timeout.
func (s *Service) check(ctx context.Context, name string, probe func(context.Context) error) dagdeck.DependencyCheck {
	ctx, cancel := context.WithTimeout(ctx, s.readyTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- probe(ctx) }() // a store may ignore ctx: never wait for it longer
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		return dagdeck.DependencyCheck{Name: name, Status: dagdeck.ReadyOK}
	}
	s.logger.Warn("readiness check failed", "dependency", name, "err", err)
	msg := "failed"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("did not answer within %s", s.readyTimeout)
	}
	return dagdeck.DependencyCheck{Name: name, Status: dagdeck.ReadyUnavailable, Error: msg}
}
