package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// appendAudit appends n entries about dep (action "test.n") and returns them.
func appendAudit(t *testing.T, s dagdeck.Store, dep string, n int) []*dagdeck.AuditEntry {
	t.Helper()
	var out []*dagdeck.AuditEntry
	for i := range n {
		e := &dagdeck.AuditEntry{
			ID: dagdeck.NewID(), Time: at(i), Actor: dagdeck.Actor{ID: "t1", Kind: dagdeck.ActorToken, Name: "ci"},
			ActorRole: dagdeck.RoleDeployer, ClientAddr: "127.0.0.1", RequestID: fmt.Sprint("req-", i),
			Action: fmt.Sprint("test.", i), TargetKind: "deploy", TargetID: fmt.Sprint("d", i), DeploymentID: dep,
			Summary: map[string]any{"n": float64(i), "text": "<b>&\"quoted\"</b>"},
		}
		update(t, s, func(tx dagdeck.Tx) error { return tx.AppendAudit(t.Context(), e) })
		out = append(out, e)
	}
	return out
}

// verifyAudit runs the chain check over every stored entry.
func verifyAudit(t *testing.T, s dagdeck.Store) *dagdeck.AuditVerification {
	t.Helper()
	var v dagdeck.AuditVerifier
	view(t, s, func(tx dagdeck.Tx) error {
		return tx.EachAudit(t.Context(), func(e *dagdeck.AuditEntry) (bool, error) { return v.Add(e), nil })
	})
	return v.Result()
}

func testAudit(t *testing.T, open Opener) {
	t.Run("ChainAndList", func(t *testing.T) {
		s := newStore(t, open)
		es := append(appendAudit(t, s, "dep-a", 3), appendAudit(t, s, "dep-b", 2)...)
		for i, e := range es {
			wantPrev := ""
			if i > 0 {
				wantPrev = es[i-1].Hash
			}
			if e.Seq != int64(i+1) || e.PrevHash != wantPrev || e.Hash != e.ComputeHash() {
				t.Fatalf("entry %d: seq %d prev %q hash %q", i, e.Seq, e.PrevHash, e.Hash)
			}
		}
		if v := verifyAudit(t, s); !v.OK || v.Entries != 5 || v.HeadHash != es[4].Hash {
			t.Fatalf("verify = %+v", v)
		}
		var got []*dagdeck.AuditEntry
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.ListAudit(t.Context(), dagdeck.AuditFilter{DeploymentID: "dep-a", Limit: 2})
			return err
		})
		if len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 2 || got[0].Summary["text"] != "<b>&\"quoted\"</b>" || !got[0].Time.Equal(es[2].Time.Truncate(time.Microsecond)) {
			t.Fatalf("list dep-a = %+v", got)
		}
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.ListAudit(t.Context(), dagdeck.AuditFilter{Actor: "ci", Since: at(1), BeforeSeq: 5})
			return err
		})
		if len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 2 {
			t.Fatalf("list by actor since at(1) before 5 = %d entries", len(got))
		}
		view(t, s, func(tx dagdeck.Tx) (err error) {
			got, err = tx.ListAudit(t.Context(), dagdeck.AuditFilter{DeploymentID: "dep-b", Action: "test.1", TargetID: "d1"})
			return err
		})
		if len(got) != 1 || got[0].Seq != 5 {
			t.Fatalf("list by action and target = %+v", got)
		}
	})
	t.Run("LinearUnderConcurrency", func(t *testing.T) {
		s := newStore(t, open)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					e := &dagdeck.AuditEntry{ID: dagdeck.NewID(), Time: t0, Action: "test.concurrent", Summary: map[string]any{}}
					if err := s.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.AppendAudit(t.Context(), e) }); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if v := verifyAudit(t, s); !v.OK || v.Entries != 40 {
			t.Fatalf("verify after concurrent appends = %+v", v)
		}
	})
}

// Tamper checks that a chain verification detects rows changed behind the
// store's back, naming the first bad entry. exec runs one SQL statement
// directly on the database of the store open returns.
func Tamper(t *testing.T, open func(t *testing.T) (dagdeck.Store, func(query string) error)) {
	for _, tt := range []struct {
		name       string
		statements []string
		wantBroken int64
	}{
		{"EditedSummary", []string{`UPDATE audit_log SET summary = '{"n":1,"text":"forged"}' WHERE seq = 2`}, 2},
		{"EditedActor", []string{`UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3`}, 3},
		{"Removed", []string{`DELETE FROM audit_log WHERE seq = 2`}, 3},
		{"Reordered", []string{
			`UPDATE audit_log SET seq = 100 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 100`,
		}, 2},
		{"Rehashed", []string{`UPDATE audit_log SET action = 'test.x', hash = 'f00d' WHERE seq = 4`}, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, exec := open(t)
			appendAudit(t, s, "dep", 5)
			if v := verifyAudit(t, s); !v.OK {
				t.Fatalf("before tampering: %+v", v)
			}
			for _, q := range tt.statements {
				if err := exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			v := verifyAudit(t, s)
			if v.OK || v.BrokenSeq != tt.wantBroken || v.Problem == "" {
				t.Fatalf("after tampering: %+v, want entry %d named", v, tt.wantBroken)
			}
		})
	}
}
