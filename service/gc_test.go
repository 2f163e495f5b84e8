package service_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func TestDeployService_GC(t *testing.T) {
	day := 24 * time.Hour
	t.Run("DeletesOnlyWhatNothingReferences", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		old := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(100 * day)
		cur := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))

		res, err := e.svc.GC(admin)
		if err != nil {
			t.Fatal(err)
		}
		// v1's unique files (Dockerfile, report.sh, report.yaml) and its two manifests go.
		if res.BlobsDeleted != 5 || res.DeploysPruned != 1 {
			t.Fatalf("gc = %+v, want 5 blobs deleted and 1 deploy pruned", res)
		}
		for path, content := range v2() {
			if _, err := e.artifacts.Stat(admin, dagdeck.DigestOf([]byte(content))); err != nil {
				t.Fatalf("referenced file %s deleted: %v", path, err)
			}
		}
		d, _ := e.svc.FindDeploy(viewer, "prod", old.ID)
		if !d.ArtifactsPruned || d.Rollback.Eligible {
			t.Fatalf("old deploy after gc = %+v", d)
		}
		if h := history(t, e, "prod"); len(h) != 2 {
			t.Fatalf("gc removed history records: %d left", len(h))
		}
		// A second run finds nothing more.
		if res, err := e.svc.GC(admin); err != nil || res.BlobsDeleted != 0 {
			t.Fatalf("second gc = %+v, %v", res, err)
		}
		off := false // the current deploy restores the setting, so it can be rolled back to
		if _, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{IsDagDeployEnabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Rollback(deployer, "prod", cur.ID, dagdeck.RollbackRequest{Description: "still works"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("KeepsWindowAndRollbackRenews", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		old := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(80 * day)
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if _, err := e.svc.Rollback(deployer, "prod", old.ID, dagdeck.RollbackRequest{Description: "renew", ConfirmDowngrade: true}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(30 * day) // old is 110 days old, but the rollback (current) references its files
		if res, err := e.svc.GC(admin); err != nil || res.DeploysPruned != 0 {
			t.Fatalf("gc = %+v, %v", res, err)
		}
		for path, content := range v1() {
			if _, err := e.artifacts.Stat(admin, dagdeck.DigestOf([]byte(content))); err != nil {
				t.Fatalf("file %s of the current (rolled-back) code deleted: %v", path, err)
			}
		}
	})

	t.Run("KeepsWhatDeploysDuringTheSweepReference", func(t *testing.T) {
		// The sweep walks the store without a lock; a deploy made meanwhile
		// re-references v1's files, which nothing retained referenced when
		// the collection started. They must stay.
		e := newEnv(t)
		walking := &hookedStore{ArtifactStore: e.artifacts}
		e.svc = service.New(e.store, walking, service.WithClock(e.clock.Now), service.WithRuntime(e.runtime), service.WithGCGrace(0))
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(100 * day)
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		// v2's runtime with v1's report: only v1's Dockerfile and image
		// manifest are garbage (the DAG manifest is the same as v1's).
		mixed := project{"Dockerfile": v2()["Dockerfile"], "include/report.sh": v1()["include/report.sh"], "dags/report.yaml": v1()["dags/report.yaml"]}
		var again *dagdeck.Deploy
		walking.onWalk = func() {
			again = e.deploy(t, "prod", mixed, mixed.request(dagdeck.DeployImageAndDAG, "2.0.0", true))
			for range 9 { // more than a batch reads at first
				e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
			}
		}

		res, err := e.svc.GC(admin)
		if err != nil {
			t.Fatal(err)
		}
		if again == nil || res.BlobsDeleted != 2 {
			t.Fatalf("gc = %+v; want 2 blobs deleted (v1's Dockerfile and image manifest)", res)
		}
		for path, content := range mixed {
			if _, err := e.artifacts.Stat(admin, dagdeck.DigestOf([]byte(content))); err != nil {
				t.Fatalf("file %s of the deploy made during gc deleted: %v", path, err)
			}
		}
		if _, _, err := e.svc.DeployManifest(viewer, "prod", again.ID, dagdeck.PartImage); err != nil {
			t.Fatalf("manifest of the deploy made during gc: %v", err)
		}
	})

	t.Run("KeepsUnfinishedUploads", func(t *testing.T) {
		e := newEnv(t)
		e.deployment(t, "prod", true)
		e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
		e.clock.Add(100 * day)
		e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		// v1 is expired and not current: only the unfinished deploy below,
		// which reuses its files (nothing to upload), keeps them.
		created, err := e.svc.CreateDeploy(deployer, "prod", v1().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if err != nil || len(created.Missing) != 0 {
			t.Fatalf("create: %v, missing %v", err, created)
		}
		if _, err := e.svc.GC(admin); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinalizeDeploy(deployer, "prod", created.Deploy.ID); err != nil {
			t.Fatalf("gc deleted files of an unfinished deploy: %v", err)
		}
	})

	t.Run("ViewerMayNotCollect", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.svc.GC(viewer)
		apitest.WantCode(t, err, dagdeck.EFORBIDDEN)
	})
}

// TestDeployService_GCGraceUsesWallClock checks that a blob's age comes from
// the same clock as its date (the artifact store's real time), however far
// the service's clock is from it.
func TestDeployService_GCGraceUsesWallClock(t *testing.T) {
	years := 3 * 365 * 24 * time.Hour
	for _, tt := range []struct {
		name     string
		offset   time.Duration
		grace    time.Duration
		wantKept bool
	}{
		{"YoungBlobKeptWhenClockAhead", years, time.Hour, true},
		{"OldBlobDeletedWhenClockBehind", -years, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, service.WithGCGrace(tt.grace))
			e.clock.Set(time.Now().Add(tt.offset))
			content := []byte("uploaded, never referenced")
			digest := dagdeck.DigestOf(content)
			if err := e.artifacts.Put(admin, digest, bytes.NewReader(content), int64(len(content))); err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.GC(admin)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.artifacts.Stat(admin, digest)
			if kept := err == nil; kept != tt.wantKept || res.BlobsDeleted != map[bool]int{true: 0, false: 1}[tt.wantKept] {
				t.Fatalf("blob kept = %v (stat: %v), gc = %+v; want kept = %v", kept, err, res, tt.wantKept)
			}
		})
	}
}

// hookedStore calls onWalk (once) when a Walk starts.
type hookedStore struct {
	dagdeck.ArtifactStore
	onWalk func()
}

func (h *hookedStore) Walk(ctx context.Context, fn func(dagdeck.BlobInfo) error) error {
	if f := h.onWalk; f != nil {
		h.onWalk = nil
		f()
	}
	return h.ArtifactStore.Walk(ctx, fn)
}
