package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// copyDeploys adds n copies of d to its Deployment's history straight
// through the store, each a day older than the one after it, so a test
// gets a long history, most of it past the retention window, quickly.
func (e *env) copyDeploys(t *testing.T, d *dagdeck.Deploy, n int) {
	t.Helper()
	ctx := context.Background()
	err := e.store.Update(ctx, func(tx dagdeck.Tx) error {
		for i := range n {
			c := *d
			c.ID = dagdeck.NewID()
			c.CreatedAt = d.CreatedAt.Add(-time.Duration(n-i) * 24 * time.Hour)
			c.Description = fmt.Sprint("copy ", i)
			if err := tx.CreateDeploy(ctx, &c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHistoryService_StreamDeploys(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	const n = 2345
	e.copyDeploys(t, first, n-2)
	e.clock.Add(time.Second)
	latest := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	t.Run("EveryDeployOnceInOrderInEqualPages", func(t *testing.T) {
		var sizes []int
		want := latest.Sequence
		err := e.svc.StreamDeploys(viewer, "prod", "", func(ds []*dagdeck.Deploy) error {
			sizes = append(sizes, len(ds))
			for _, d := range ds {
				if d.Sequence != want {
					return fmt.Errorf("got #%d, want #%d", d.Sequence, want)
				}
				want--
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want != 0 {
			t.Fatalf("the stream ended before #%d", want)
		}
		last := sizes[len(sizes)-1]
		for _, size := range sizes[:len(sizes)-1] {
			if size != sizes[0] {
				t.Fatalf("page sizes %v: want equal pages but the last", sizes)
			}
		}
		if len(sizes) < 3 || last == 0 || last > sizes[0] {
			t.Fatalf("page sizes %v: want several pages, the last one no larger", sizes)
		}
	})

	t.Run("EligibilityAsInPages", func(t *testing.T) {
		page, err := e.svc.ListDeploys(viewer, "prod", "", 3)
		if err != nil {
			t.Fatal(err)
		}
		var streamed []*dagdeck.Deploy
		expired := 0
		err = e.svc.StreamDeploys(viewer, "prod", "", func(ds []*dagdeck.Deploy) error {
			if streamed == nil {
				streamed = ds[:3]
			}
			for _, d := range ds {
				if d.Rollback.Reason == dagdeck.ReasonExpired {
					expired++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range page.Deploys {
			if s := streamed[i]; s.ID != d.ID || s.Rollback != d.Rollback || s.DescriptionEdited != d.DescriptionEdited {
				t.Fatalf("streamed %+v, paged %+v", s, d)
			}
		}
		if !streamed[1].Rollback.Eligible || expired == 0 {
			t.Fatalf("the second deploy: %+v; %d expired, want the old copies", streamed[1].Rollback, expired)
		}
	})

	t.Run("FromCursor", func(t *testing.T) {
		page, err := e.svc.ListDeploys(viewer, "prod", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		err = e.svc.StreamDeploys(viewer, "prod", page.NextCursor, func(ds []*dagdeck.Deploy) error {
			got = ds[0].Sequence
			return errStop
		})
		if !errors.Is(err, errStop) || got != latest.Sequence-10 {
			t.Fatalf("first streamed #%d (%v), want #%d", got, err, latest.Sequence-10)
		}
	})

	t.Run("ErrorsBeforeAnyPage", func(t *testing.T) {
		called := false
		fn := func([]*dagdeck.Deploy) error { called = true; return nil }
		apitest.WantCode(t, e.svc.StreamDeploys(viewer, "nope", "", fn), dagdeck.ENOTFOUND)
		apitest.WantCode(t, e.svc.StreamDeploys(viewer, "prod", "garbage", fn), dagdeck.EINVALID)
		apitest.WantCode(t, e.svc.StreamDeploys(context.Background(), "prod", "", fn), dagdeck.EUNAUTHORIZED)
		if called {
			t.Fatal("fn was called")
		}
	})

	t.Run("EmptyHistory", func(t *testing.T) {
		e.deployment(t, "empty", true)
		err := e.svc.StreamDeploys(viewer, "empty", "", func([]*dagdeck.Deploy) error {
			return errors.New("called")
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

var errStop = errors.New("stop")

// TestDeployService_GCPrunesALongHistory: a collection flags every old
// deploy whose manifests it deleted, over many pages and write batches,
// and a second one finds nothing left to flag.
func TestDeployService_GCPrunesALongHistory(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	old := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	const copies = 1234
	e.copyDeploys(t, old, copies)
	e.clock.Add(100 * 24 * time.Hour)
	cur := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

	res, err := e.svc.GC(admin)
	if err != nil || res.DeploysPruned != copies+1 {
		t.Fatalf("gc = %+v, %v; want %d deploys pruned", res, err, copies+1)
	}
	err = e.svc.StreamDeploys(viewer, "prod", "", func(ds []*dagdeck.Deploy) error {
		for _, d := range ds {
			if d.ArtifactsPruned != (d.ID != cur.ID) {
				return fmt.Errorf("deploy #%d: pruned %v", d.Sequence, d.ArtifactsPruned)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.svc.GC(admin); err != nil || res.DeploysPruned != 0 || res.BlobsDeleted != 0 {
		t.Fatalf("second gc = %+v, %v", res, err)
	}
}
