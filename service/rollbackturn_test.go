package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// turnHeld reports whether a rollback of the Deployment holds its turn.
func (e *env) turnHeld(t *testing.T, deploymentID string) bool {
	var until time.Time
	err := e.store.View(context.Background(), func(tx dagdeck.Tx) (err error) {
		until, err = tx.RollbackTurnHeldUntil(context.Background(), deploymentID)
		return err
	})
	if err != nil {
		t.Error(err)
	}
	return !until.IsZero()
}

// variant is v1 with a report script that says n.
func variant(n int) project {
	p := v1()
	p["include/report.sh"] = fmt.Sprintf("echo variant %d\n", n)
	return p
}

func TestRollback_WaitsItsTurn(t *testing.T) {
	t.Run("GoesAheadOfLaterDeploys", func(t *testing.T) {
		e := newEnv(t)
		dep := e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", variant(2), variant(2).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		inflight, err := e.svc.CreateDeploy(deployer, "prod", variant(3).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			res *dagdeck.RollbackResult
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "incident", WaitSeconds: 60})
			done <- result{res, err}
		}()
		apitest.WaitFor(t, 30*time.Second, "the rollback to hold its turn", func() bool { return e.turnHeld(t, dep.ID) })
		e.upload(t, variant(3), inflight.Missing)
		if _, err := e.svc.FinalizeDeploy(deployer, "prod", inflight.Deploy.ID); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("rollback that waited its turn: %v", r.err)
		}
		if r.res.Deploy.Sequence != inflight.Deploy.Sequence+1 || r.res.Plan.CurrentDeploy.ID != inflight.Deploy.ID {
			t.Fatalf("rollback is #%d after a plan from %s; want #%d, right after the deploy it waited for", r.res.Deploy.Sequence, r.res.Plan.CurrentDeploy, inflight.Deploy.Sequence+1)
		}
		if e.turnHeld(t, dep.ID) {
			t.Fatal("the rollback's turn is still held after it finished")
		}
	})
	t.Run("DeploysRefusedWhileHeld", func(t *testing.T) {
		e := newEnv(t)
		dep := e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		err := e.store.Update(context.Background(), func(tx dagdeck.Tx) error {
			return tx.HoldRollbackTurn(context.Background(), dep.ID, e.clock.Now().Add(time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateDeploy(deployer, "prod", variant(2).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT || !strings.Contains(dagdeck.ErrorMessage(err), "rollback") {
			t.Fatalf("a deploy while a rollback holds its turn: %v, want ECONFLICT naming the rollback", err)
		}
		e.clock.Add(2 * time.Minute) // the turn lapses
		if _, err := e.svc.CreateDeploy(deployer, "prod", variant(2).request(dagdeck.DeployImageAndDAG, "1.1.0", true)); err != nil {
			t.Fatalf("a deploy after the turn lapsed: %v", err)
		}
	})
	t.Run("NoWaitRefusesAtOnce", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.deploy(t, "prod", variant(2), variant(2).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if _, err := e.svc.CreateDeploy(deployer, "prod", variant(3).request(dagdeck.DeployImageAndDAG, "1.1.0", true)); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "incident"})
		apitest.WantCode(t, err, dagdeck.ECONFLICT)
		_, err = e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "incident", WaitSeconds: 61})
		apitest.WantCode(t, err, dagdeck.EINVALID)
	})
}

func TestRollback_Replan(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	seen := e.deploy(t, "prod", variant(2), variant(2).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	e.deploy(t, "prod", variant(3), variant(3).request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	req := dagdeck.RollbackRequest{Description: "incident", ExpectedCurrentDeployID: seen.ID}

	_, err := e.svc.Rollback(deployer, "prod", first.ID, req)
	apitest.WantCode(t, err, dagdeck.ECONFLICT)
	req.Replan = true
	res, err := e.svc.Rollback(deployer, "prod", first.ID, req)
	if err != nil || res.Deploy.RollbackFromID != first.ID {
		t.Fatalf("re-planned rollback of the same class: %+v %v", res, err)
	}

	t.Run("NewlyRequiredDowngrade", func(t *testing.T) {
		seen := res.Deploy
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		req := dagdeck.RollbackRequest{Description: "incident", ExpectedCurrentDeployID: seen.ID, Replan: true, ConfirmDowngrade: true}
		_, err := e.svc.Rollback(deployer, "prod", first.ID, req)
		apitest.WantCode(t, err, dagdeck.EUNPROCESSABLE)
		if len(e.runtime.downgrades) != 0 {
			t.Fatalf("a refused re-plan stopped running tasks: %v", e.runtime.downgrades)
		}
	})
}

// TestRollback_DuringStreamOfDeploys issues a rollback while deployers
// deploy continuously: it waits its turn and succeeds.
func TestRollback_DuringStreamOfDeploys(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	stop := make(chan struct{})
	var landed atomic.Int64
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() { e.deployUntil(t, stop, w, &landed) })
	}
	apitest.WaitFor(t, 30*time.Second, "the deploy stream to land deploys", func() bool { return landed.Load() >= 3 })
	res, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "incident", WaitSeconds: 60})
	n := landed.Load()
	apitest.WaitFor(t, 30*time.Second, "the deploy stream to go on after the rollback", func() bool { return landed.Load() > n })
	close(stop)
	wg.Wait()
	if err != nil || res.Deploy.RollbackFromID != first.ID {
		t.Fatalf("rollback during a stream of deploys: %+v %v", res, err)
	}
}

// deployUntil deploys variants of v1 on prod until stop is closed, counting
// the deploys that land; conflicts with other deploys are expected.
func (e *env) deployUntil(t *testing.T, stop chan struct{}, worker int, landed *atomic.Int64) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		p := variant(1000*worker + i)
		created, err := e.svc.CreateDeploy(deployer, "prod", p.request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		if dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
			time.Sleep(time.Millisecond) // yield to the others; not synchronisation
			continue
		} else if err != nil {
			t.Error(err)
			return
		}
		for _, content := range p { // every file: the server skips what it has
			if err := e.svc.PutBlob(deployer, dagdeck.DigestOf([]byte(content)), strings.NewReader(content), int64(len(content))); err != nil {
				t.Error(err)
				return
			}
		}
		if _, err := e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID); err != nil {
			t.Error(err)
			return
		}
		landed.Add(1)
	}
}
