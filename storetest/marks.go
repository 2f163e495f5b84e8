package storetest

import (
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testMarks(t *testing.T, open Opener) {
	t.Run("PutReplaceListDelete", func(t *testing.T) {
		s := newStore(t, open)
		dep := createDeployment(t, s, "prod")
		other := createDeployment(t, s, "other")
		ds := createDeploys(t, s, dep, 2)
		od := createDeploys(t, s, other, 1)
		by := dagdeck.Actor{ID: "u1", Kind: dagdeck.ActorUser, Name: "ana"}
		put := func(m *dagdeck.DeployMark) {
			update(t, s, func(tx dagdeck.Tx) error { return tx.PutMark(t.Context(), m) })
		}
		put(&dagdeck.DeployMark{DeployID: ds[0].ID, DeploymentID: dep.ID, Kind: dagdeck.MarkPin, Reason: "first", By: by, At: at(1), Until: ptr(at(100))})
		put(&dagdeck.DeployMark{DeployID: ds[0].ID, DeploymentID: dep.ID, Kind: dagdeck.MarkPin, Reason: "replaced", By: by, At: at(2)})
		put(&dagdeck.DeployMark{DeployID: ds[1].ID, DeploymentID: dep.ID, Kind: dagdeck.MarkQuarantine, Reason: "bad", By: by, At: at(3)})
		put(&dagdeck.DeployMark{DeployID: od[0].ID, DeploymentID: other.ID, Kind: dagdeck.MarkQuarantine, Reason: "bad too", By: by, At: at(4)})
		var ms []*dagdeck.DeployMark
		view(t, s, func(tx dagdeck.Tx) (err error) { ms, err = tx.ListMarks(t.Context(), dep.ID); return err })
		if len(ms) != 2 || ms[0].Reason != "replaced" || ms[0].Until != nil || ms[1].Kind != dagdeck.MarkQuarantine || ms[1].By.Name != "ana" || !ms[1].At.Equal(at(3).Truncate(1000)) {
			t.Fatalf("marks of prod = %+v", ms)
		}
		view(t, s, func(tx dagdeck.Tx) (err error) { ms, err = tx.ListMarks(t.Context(), ""); return err })
		if len(ms) != 3 {
			t.Fatalf("all marks = %d, want 3", len(ms))
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.DeleteMark(t.Context(), ds[1].ID, dagdeck.MarkQuarantine) })
		err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.DeleteMark(t.Context(), ds[1].ID, dagdeck.MarkQuarantine) })
		if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Fatalf("deleting a missing mark: %v", err)
		}
	})
}
