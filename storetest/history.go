package storetest

import (
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

func testListDeploys(t *testing.T, open Opener) {
	// Two Deployments whose deploys interleave in time: a's at minutes
	// 1..6, b's at 1.5, 3.5 and 5.5. a's third and fifth deploys failed.
	setup := func(t *testing.T) (dagdeck.Store, *dagdeck.Deployment, []*dagdeck.Deploy, []*dagdeck.Deploy) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		var as, bs []*dagdeck.Deploy
		for i := 1; i <= 6; i++ {
			d := newDeploy(a, i)
			if i == 3 || i == 5 {
				d.Status = dagdeck.DeployFailed
			}
			as = append(as, createDeploy(t, s, d))
			if i%2 == 1 {
				d := newDeploy(b, i)
				d.CreatedAt = d.CreatedAt.Add(30 * time.Second)
				bs = append(bs, createDeploy(t, s, d))
			}
		}
		return s, a, as, bs
	}
	list := func(t *testing.T, s dagdeck.Store, f dagdeck.DeployFilter) []*dagdeck.Deploy {
		t.Helper()
		var got []*dagdeck.Deploy
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.ListDeploys(t.Context(), f)
			return err
		})
		return got
	}
	t.Run("OK", func(t *testing.T) {
		s, a, as, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID})
		wantEqual(t, []int64{6, 5, 4, 3, 2, 1}, sequences(got))
		wantEqual(t, as[5], got[0]) // every field
	})
	t.Run("OrderedBySequenceNotTime", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "skewed")
		for _, n := range []int{3, 1, 2} { // a clock that jumps around
			createDeploy(t, s, newDeploy(dep, n))
		}
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: dep.ID})
		wantEqual(t, []int64{3, 2, 1}, sequences(got))
		latest := func(tx dagdeck.Tx) error {
			d, err := tx.LatestDeploy(t.Context(), dep.ID, "")
			if err == nil && d.Sequence != 3 {
				t.Errorf("LatestDeploy has sequence %d, want 3", d.Sequence)
			}
			return err
		}
		view(t, s, latest)
	})
	t.Run("BeforeSequence", func(t *testing.T) {
		s, a, _, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, BeforeSequence: 4})
		wantEqual(t, []int64{3, 2, 1}, sequences(got))
	})
	t.Run("Status", func(t *testing.T) {
		s, a, _, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, Status: dagdeck.DeployFailed})
		wantEqual(t, []int64{5, 3}, sequences(got))
		got = list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, Status: dagdeck.DeployDeployed, BeforeSequence: 5})
		wantEqual(t, []int64{4, 2, 1}, sequences(got))
	})
	t.Run("CreatedBefore", func(t *testing.T) {
		s, a, _, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, CreatedBefore: at(3)})
		wantEqual(t, []int64{2, 1}, sequences(got))
	})
	t.Run("Limit", func(t *testing.T) {
		s, a, _, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, Limit: 2})
		wantEqual(t, []int64{6, 5}, sequences(got))
		got = list(t, s, dagdeck.DeployFilter{DeploymentID: a.ID, BeforeSequence: 5, Limit: 2})
		wantEqual(t, []int64{4, 3}, sequences(got))
	})
	t.Run("AllDeployments", func(t *testing.T) {
		s, _, as, bs := setup(t)
		want := []*dagdeck.Deploy{as[5], bs[2], as[4], as[3], bs[1], as[2], as[1], bs[0], as[0]}
		got := list(t, s, dagdeck.DeployFilter{})
		wantEqual(t, ids(want), ids(got))
		got = list(t, s, dagdeck.DeployFilter{Status: dagdeck.DeployFailed, Limit: 1})
		wantEqual(t, []string{as[4].ID}, ids(got))
		got = list(t, s, dagdeck.DeployFilter{CreatedBefore: at(2), Limit: 2})
		wantEqual(t, []string{bs[0].ID, as[0].ID}, ids(got))
	})
	t.Run("Empty", func(t *testing.T) {
		s, _, _, _ := setup(t)
		got := list(t, s, dagdeck.DeployFilter{DeploymentID: dagdeck.NewID()})
		wantEqual(t, []string(nil), ids(got))
	})
}

func testRetainedDeploys(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		since := at(100).Truncate(time.Second) // whole seconds: no doubt about "at or after"
		mk := func(dep *dagdeck.Deployment, created time.Time, status dagdeck.DeployStatus) *dagdeck.Deploy {
			d := newDeploy(dep, 0)
			d.CreatedAt, d.Status = created, status
			return createDeploy(t, s, d)
		}
		old := since.Add(-time.Hour)
		var (
			oldDeployed  = mk(a, old, dagdeck.DeployDeployed) // excluded: old, not current, unused
			oldFailed    = mk(a, old, dagdeck.DeployFailed)   // excluded
			current      = mk(a, old, dagdeck.DeployDeployed) // kept: a's current deploy
			oldInit      = mk(a, old, dagdeck.DeployInitialized)
			running      = mk(b, old, dagdeck.DeployDeployed) // kept: a running task uses it
			scheduled    = mk(b, old, dagdeck.DeployDeployed) // kept: a scheduled task uses it
			retrying     = mk(b, old, dagdeck.DeployDeployed) // kept: an up_for_retry task uses it
			finished     = mk(b, old, dagdeck.DeployDeployed) // excluded: only finished tasks use it
			atSince      = mk(b, since, dagdeck.DeployDeployed)
			recent       = mk(b, since.Add(time.Hour), dagdeck.DeployDeployed)
			recentFailed = mk(b, since.Add(time.Hour), dagdeck.DeployFailed) // excluded
			justTooOld   = mk(b, since.Add(-time.Millisecond), dagdeck.DeployDeployed)
		)
		a.CurrentDeployID = current.ID
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeployment(t.Context(), a) })
		r := createRun(t, s, b, "daily", "manual__1", 1)
		for i, c := range []struct {
			deploy *dagdeck.Deploy
			state  string
		}{
			{running, dagdeck.TaskRunning}, {scheduled, dagdeck.TaskScheduled}, {retrying, dagdeck.TaskUpForRetry},
			{finished, dagdeck.TaskSuccess}, {finished, dagdeck.TaskFailed}, {finished, dagdeck.TaskUpstreamFailed},
		} {
			ti := newTask(r, "task", c.deploy.ID)
			ti.TryNumber, ti.State = i+1, c.state
			createTask(t, s, ti)
		}
		var got []*dagdeck.Deploy
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.RetainedDeploys(t.Context(), since)
			return err
		})
		want := map[string]string{
			current.ID: "current", oldInit.ID: "initialized", running.ID: "running task",
			scheduled.ID: "scheduled task", retrying.ID: "up_for_retry task", atSince.ID: "deployed at since",
			recent.ID: "deployed after since",
		}
		notWant := map[string]string{
			oldDeployed.ID: "old deployed", oldFailed.ID: "old failed", finished.ID: "used by finished tasks only",
			recentFailed.ID: "recent but failed", justTooOld.ID: "deployed just before since",
		}
		seen := map[string]bool{}
		for _, d := range got {
			if seen[d.ID] {
				t.Errorf("deploy %s returned twice", d.ID)
			}
			seen[d.ID] = true
			if why, ok := notWant[d.ID]; ok {
				t.Errorf("deploy %s (%s) retained, want not", d.ID, why)
			} else if _, ok := want[d.ID]; !ok {
				t.Errorf("unknown deploy %s retained", d.ID)
			}
		}
		for id, why := range want {
			if !seen[id] {
				t.Errorf("deploy %s (%s) not retained", id, why)
			}
		}
	})
}
