package storetest

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testCreateDeploy(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		d := newDeploy(dep, 1)
		d.RollbackFromID = dagdeck.NewID()
		d.ArtifactsPruned = true
		createDeploy(t, s, d)
		if d.Sequence != 1 {
			t.Fatalf("Sequence = %d, want 1", d.Sequence)
		}
		wantStoredDeploy(t, s, d)
	})
	t.Run("NilPointers", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		d := newDeploy(dep, 1)
		d.Status, d.FinalizedAt, d.Git = dagdeck.DeployInitialized, nil, nil
		createDeploy(t, s, d)
		wantStoredDeploy(t, s, d)
	})
	t.Run("EmptyGit", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		d := newDeploy(dep, 1)
		d.Git = &dagdeck.Git{}
		createDeploy(t, s, d)
		wantStoredDeploy(t, s, d)
	})
	t.Run("Sequence", func(t *testing.T) {
		s := newStore(t, open)
		a := createDeployment(t, s, "a")
		b := createDeployment(t, s, "b")
		var got []int64
		for i, dep := range []*dagdeck.Deployment{a, a, b, a, b} {
			d := newDeploy(dep, i)
			d.Sequence = 99 // ignored: the store assigns it
			got = append(got, createDeploy(t, s, d).Sequence)
		}
		wantEqual(t, []int64{1, 2, 1, 3, 2}, got)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		d := createDeploy(t, s, newDeploy(dep, 1))
		dup := newDeploy(dep, 2)
		dup.ID = d.ID
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateDeploy(t.Context(), dup) })
		wantCode(t, err, dagdeck.ECONFLICT)
		// The failed insert used no sequence number.
		if got := createDeploy(t, s, newDeploy(dep, 3)).Sequence; got != 2 {
			t.Fatalf("next sequence = %d, want 2", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		d := newDeploy(&dagdeck.Deployment{ID: dagdeck.NewID(), Name: "ghost"}, 1)
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateDeploy(t.Context(), d) })
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testFindDeploy(t *testing.T, open Opener) {
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		createDeploys(t, s, createDeployment(t, s, "etl"), 1)
		err := viewErr(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.FindDeploy(t.Context(), dagdeck.NewID())
			return err
		})
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testUpdateDeploy(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		d := newDeploy(dep, 1)
		d.Status, d.FinalizedAt = dagdeck.DeployInitialized, nil
		createDeploy(t, s, d)
		other := createDeploy(t, s, newDeploy(dep, 2))

		want := *d
		want.Status, want.FinalizedAt, want.FailureReason = dagdeck.DeployFailed, ptr(at(9)), "upload timed out"
		want.Description = "edited"
		want.ImageRepository, want.ImageTag, want.ImageDigest = "repo2", "tag2", dagdeck.DigestOf([]byte("i2"))
		want.ImageRegistryDigest = dagdeck.DigestOf([]byte("r2"))
		want.RuntimeVersion, want.DagBundleVersion, want.DagBundleDigest = "1.0.0", "b2", dagdeck.DigestOf([]byte("d2"))
		want.IsDagDeployEnabled, want.ArtifactsPruned = false, true
		want.BundleCommit, want.BundleCommitMessage = commitOf(77), "made at finalize\n"
		// Immutable fields are not written.
		u := want
		u.DeploymentID, u.Sequence, u.Type = dagdeck.NewID(), 42, dagdeck.DeployDAGOnly
		u.CreatedAt, u.CreatedBy = at(99), dagdeck.Actor{ID: "x", Kind: dagdeck.ActorUser, Name: "x"}
		u.RollbackFromID, u.Git = "x", nil
		update(t, s, func(tx dagdeck.Tx) error { return tx.UpdateDeploy(t.Context(), &u) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDeploy(t.Context(), d.ID)
			wantNoError(t, err)
			wantEqual(t, &want, got)
			got, err = tx.FindDeploy(t.Context(), other.ID)
			wantNoError(t, err)
			wantEqual(t, other, got)
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		d := newDeploy(createDeployment(t, s, "etl"), 1)
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.UpdateDeploy(t.Context(), d) })
		wantCode(t, err, dagdeck.ENOTFOUND)
	})
}

func testLatestDeploy(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		deployed := createDeploy(t, s, newDeploy(dep, 1))
		failed := newDeploy(dep, 2)
		failed.Status = dagdeck.DeployFailed
		createDeploy(t, s, failed)
		createDeploy(t, s, newDeploy(other, 3))
		view(t, s, func(tx dagdeck.Tx) error {
			for _, c := range []struct {
				status dagdeck.DeployStatus
				want   *dagdeck.Deploy
			}{{"", failed}, {dagdeck.DeployFailed, failed}, {dagdeck.DeployDeployed, deployed}} {
				got, err := tx.LatestDeploy(t.Context(), dep.ID, c.status)
				wantNoError(t, err)
				wantEqual(t, c.want, got)
			}
			return nil
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		empty := createDeployment(t, s, "empty")
		createDeploys(t, s, dep, 2)
		view(t, s, func(tx dagdeck.Tx) error {
			_, err := tx.LatestDeploy(t.Context(), empty.ID, "")
			wantCode(t, err, dagdeck.ENOTFOUND)
			_, err = tx.LatestDeploy(t.Context(), dep.ID, dagdeck.DeployInitialized)
			wantCode(t, err, dagdeck.ENOTFOUND)
			return nil
		})
	})
}

func testImageTagTaken(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "etl")
		other := createDeployment(t, s, "other")
		plain := createDeploy(t, s, newDeploy(dep, 1))
		rollback := newDeploy(dep, 2)
		rollback.ImageTag, rollback.RollbackFromID = "deploy-restored", plain.ID
		createDeploy(t, s, rollback)
		elsewhere := newDeploy(other, 3)
		createDeploy(t, s, elsewhere)
		view(t, s, func(tx dagdeck.Tx) error {
			for _, c := range []struct {
				tag  string
				want bool
			}{
				{plain.ImageTag, true},
				{"deploy-restored", false},  // only a rollback deploy shows it
				{elsewhere.ImageTag, false}, // another Deployment's
				{"deploy-never", false},
			} {
				got, err := tx.ImageTagTaken(t.Context(), dep.ID, c.tag)
				wantNoError(t, err)
				if got != c.want {
					t.Errorf("ImageTagTaken(%q) = %v, want %v", c.tag, got, c.want)
				}
			}
			return nil
		})
	})
}

// wantStoredDeploy fails unless the store returns d as it is.
func wantStoredDeploy(t *testing.T, s dagdeck.Store, d *dagdeck.Deploy) {
	t.Helper()
	view(t, s, func(tx dagdeck.Tx) error {
		got, err := tx.FindDeploy(t.Context(), d.ID)
		wantNoError(t, err)
		wantEqual(t, d, got)
		return nil
	})
}
