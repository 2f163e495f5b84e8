package storetest

import (
	"slices"
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

func testRetainedManifests(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		since := at(100).Truncate(time.Second) // whole seconds: no doubt about "at or after"
		// Each deploy's manifests are named after it: "<name> image" and "<name> dags".
		mk := func(dep *dagdeck.Deployment, name string, created time.Time, status dagdeck.DeployStatus) *dagdeck.Deploy {
			d := newDeploy(dep, 0)
			d.CreatedAt, d.Status = created, status
			d.ImageDigest, d.DagBundleDigest = name+" image", name+" dags"
			return createDeploy(t, s, d)
		}
		old := since.Add(-time.Hour)
		mk(a, "old deployed", old, dagdeck.DeployDeployed) // excluded: old, not current, unused
		mk(a, "old failed", old, dagdeck.DeployFailed)     // excluded
		current := mk(a, "current", old, dagdeck.DeployDeployed)
		mk(a, "initialized", old, dagdeck.DeployInitialized)
		running := mk(b, "running task", old, dagdeck.DeployDeployed)
		scheduled := mk(b, "scheduled task", old, dagdeck.DeployDeployed)
		retrying := mk(b, "up_for_retry task", old, dagdeck.DeployDeployed)
		finished := mk(b, "finished tasks only", old, dagdeck.DeployDeployed) // excluded
		mk(b, "deployed at since", since, dagdeck.DeployDeployed)
		mk(b, "deployed after since", since.Add(time.Hour), dagdeck.DeployDeployed)
		mk(b, "recent failed", since.Add(time.Hour), dagdeck.DeployFailed)                        // excluded
		mk(b, "deployed just before since", since.Add(-time.Millisecond), dagdeck.DeployDeployed) // excluded
		shared := mk(b, "deployed after since", since.Add(2*time.Hour), dagdeck.DeployDeployed)   // same manifests: once
		shared.ImageDigest = ""                                                                   // an external image: no manifest
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeploy(t.Context(), shared) })
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
		var got []string
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.RetainedManifests(t.Context(), since)
			return err
		})
		var want []string
		for _, name := range []string{"current", "initialized", "running task", "scheduled task", "up_for_retry task", "deployed at since", "deployed after since"} {
			want = append(want, name+" image", name+" dags")
		}
		slices.Sort(got)
		slices.Sort(want)
		wantEqual(t, want, got)
	})
}

func testPruneCandidates(t *testing.T, open Opener) {
	t.Run("OldUnflaggedDeployedOnlyHighestFirstInPages", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		deploys := createDeploys(t, s, a, 9) // created at minutes 1..9
		failed := newDeploy(a, 2)
		failed.Status = dagdeck.DeployFailed
		createDeploy(t, s, failed)
		createDeploys(t, s, b, 3)
		var changed bool
		update(t, s, func(tx dagdeck.Tx) (err error) {
			changed, err = tx.SetArtifactsPruned(t.Context(), deploys[3].ID)
			return err
		})
		if !changed {
			t.Fatal("SetArtifactsPruned: not changed")
		}
		var pages [][]dagdeck.PruneCandidate
		below := int64(0)
		for {
			var page []dagdeck.PruneCandidate
			view(t, s, func(tx dagdeck.Tx) (err error) {
				page, err = tx.ListPruneCandidates(t.Context(), a.ID, at(7), below, 3)
				return err
			})
			pages = append(pages, page)
			if len(page) < 3 {
				break
			}
			below = page[len(page)-1].Sequence
		}
		c := func(d *dagdeck.Deploy) dagdeck.PruneCandidate {
			return dagdeck.PruneCandidate{ID: d.ID, Sequence: d.Sequence, ImageDigest: d.ImageDigest, DagBundleDigest: d.DagBundleDigest}
		}
		// Minutes 1..6, not #4 (flagged), not the failed one, not b's.
		want := [][]dagdeck.PruneCandidate{
			{c(deploys[5]), c(deploys[4]), c(deploys[2])},
			{c(deploys[1]), c(deploys[0])},
		}
		wantEqual(t, want, pages)

		// Their manifests, each once: #6 shares #5's image and has no DAG bundle.
		deploys[5].ImageDigest, deploys[5].DagBundleDigest = deploys[4].ImageDigest, ""
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeploy(t.Context(), deploys[5]) })
		var digests []string
		view(t, s, func(tx dagdeck.Tx) (err error) {
			digests, err = tx.PruneCandidateManifests(t.Context(), a.ID, at(7))
			return err
		})
		var wantDigests []string
		for _, d := range []*dagdeck.Deploy{deploys[0], deploys[1], deploys[2], deploys[4]} {
			wantDigests = append(wantDigests, d.ImageDigest, d.DagBundleDigest)
		}
		slices.Sort(digests)
		slices.Sort(wantDigests)
		wantEqual(t, wantDigests, digests)
	})
	t.Run("SetArtifactsPruned", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		d := createDeploys(t, s, a, 1)[0]
		for i, want := range []bool{true, false} {
			var changed bool
			update(t, s, func(tx dagdeck.Tx) (err error) {
				changed, err = tx.SetArtifactsPruned(t.Context(), d.ID)
				return err
			})
			if changed != want {
				t.Fatalf("call %d: changed %v, want %v", i+1, changed, want)
			}
		}
		var got *dagdeck.Deploy
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.FindDeploy(t.Context(), d.ID)
			return err
		})
		d.ArtifactsPruned = true
		wantEqual(t, d, got)
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error {
			_, err := tx.SetArtifactsPruned(t.Context(), dagdeck.NewID())
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}
