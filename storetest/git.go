package storetest

import (
	"fmt"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func testGitBlobIDs(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t, open)
		ids := map[string]string{}
		var digests []string
		for i := range 1200 { // more than one lookup batch
			d := dagdeck.DigestOf([]byte(fmt.Sprint("blob", i)))
			ids[d] = commitOf(i)
			digests = append(digests, d)
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutGitBlobIDs(t.Context(), ids) })
		unknown := dagdeck.DigestOf([]byte("unknown"))
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.GitBlobIDs(t.Context(), append(digests, unknown))
			wantNoError(t, err)
			wantEqual(t, ids, got)
			return nil
		})
	})
	t.Run("KeepsTheFirstID", func(t *testing.T) {
		s := newStore(t, open)
		d := dagdeck.DigestOf([]byte("blob"))
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutGitBlobIDs(t.Context(), map[string]string{d: commitOf(1)}) })
		update(t, s, func(tx dagdeck.Tx) error { return tx.PutGitBlobIDs(t.Context(), map[string]string{d: commitOf(2)}) })
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.GitBlobIDs(t.Context(), []string{d})
			wantNoError(t, err)
			wantEqual(t, map[string]string{d: commitOf(1)}, got)
			return nil
		})
	})
}

func testFindDeploysByCommit(t *testing.T, open Opener) {
	s := newStore(t, open)
	a := createDeployment(t, s, "a")
	b := createDeployment(t, s, "b")
	da := createDeploy(t, s, newDeploy(a, 1))
	db := newDeploy(b, 2)
	db.BundleCommit = da.BundleCommit[:12] + commitOf(3)[12:] // shares a 12-digit prefix
	createDeploy(t, s, db)
	none := newDeploy(a, 4)
	none.BundleCommit, none.BundleCommitMessage = "", ""
	createDeploy(t, s, none)
	for _, tc := range []struct {
		name, deployment, prefix string
		limit                    int
		want                     []*dagdeck.Deploy
	}{
		{"Whole", "", da.BundleCommit, 2, []*dagdeck.Deploy{da}},
		{"SharedPrefix", "", da.BundleCommit[:12], 5, []*dagdeck.Deploy{da, db}},
		{"Limit", "", da.BundleCommit[:12], 1, []*dagdeck.Deploy{da}},
		{"OneDeployment", b.ID, da.BundleCommit[:7], 5, []*dagdeck.Deploy{db}},
		{"Unknown", "", "fffffff" + "0", 5, nil},
	} {
		view(t, s, func(tx dagdeck.Tx) error {
			got, err := tx.FindDeploysByCommit(t.Context(), tc.deployment, tc.prefix, tc.limit)
			wantNoError(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("%s: %d deploys, want %d", tc.name, len(got), len(tc.want))
			}
			for i := range got {
				wantEqual(t, tc.want[i], got[i])
			}
			return nil
		})
	}
}
