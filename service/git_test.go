package service_test

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// history deploys v1 and v2 and rolls back to v1.
func (e *env) gitHistory(t *testing.T) []*dagdeck.Deploy {
	t.Helper()
	e.deployment(t, "etl", true)
	d1 := e.deploy(t, "etl", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	d2 := e.deploy(t, "etl", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
	res, err := e.svc.Rollback(deployer, "etl", d1.ID, dagdeck.RollbackRequest{Description: "back", ConfirmDowngrade: true})
	if err != nil {
		t.Fatal(err)
	}
	return []*dagdeck.Deploy{d1, d2, res.Deploy}
}

// rebuild builds every commit of the Deployment's repository, which checks
// each against its recorded id, and returns the commits' objects.
func (e *env) rebuild(t *testing.T, ctx context.Context) []*gitrepo.Object {
	t.Helper()
	repo, err := e.svc.GitRepository(ctx, "etl")
	if err != nil {
		t.Fatal(err)
	}
	var out []*gitrepo.Object
	for i, entry := range repo.Commits {
		c, _, err := repo.Build(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != entry.ID {
			t.Fatalf("commit %d rebuilt as %s, recorded as %s", i, c.ID, entry.ID)
		}
		out = append(out, c)
	}
	return out
}

func TestDeployService_BundleCommit(t *testing.T) {
	e := newEnv(t)
	ds := e.gitHistory(t)
	for _, d := range ds {
		if !commitRE.MatchString(d.BundleCommit) {
			t.Fatalf("%s has bundle commit %q", d, d.BundleCommit)
		}
	}
	commits := e.rebuild(t, viewer)
	if len(commits) != 3 {
		t.Fatalf("%d commits, want 3", len(commits))
	}
	rb := string(commits[2].Data)
	tree1, _ := gitrepo.ParseCommitTree(commits[0].Data)
	tree3, _ := gitrepo.ParseCommitTree(commits[2].Data)
	if tree1 != tree3 || !strings.Contains(rb, "parent "+ds[1].BundleCommit+"\n") {
		t.Fatalf("the rollback commit is not v1's tree on top of v2:\n%s", rb)
	}
	for _, want := range []string{"author ci <token-id-ci@dagdeck.invalid> ", "\nback\n\nDagdeck-Deploy: " + ds[2].ID + "\nDagdeck-Sequence: 3\nDagdeck-Runtime: 1.1.0\n", "Dagdeck-Rollback-Of: " + ds[0].ID + "\n"} {
		if !strings.Contains(rb, want) {
			t.Fatalf("rollback commit lacks %q:\n%s", want, rb)
		}
	}

	t.Run("Backfill", func(t *testing.T) {
		// As if the deploys were recorded before commits existed: the same
		// record gives the same commits.
		err := e.store.Update(context.Background(), func(tx dagdeck.Tx) error {
			for _, d := range ds {
				got, err := tx.FindDeploy(context.Background(), d.ID)
				if err != nil {
					return err
				}
				got.BundleCommit, got.BundleCommitMessage = "", ""
				if err := tx.UpdateDeploy(context.Background(), got); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.BackfillAllCommits(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			got, err := e.svc.FindDeploy(viewer, "etl", d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.BundleCommit != d.BundleCommit {
				t.Fatalf("%s backfilled as %s, was %s", d, got.BundleCommit, d.BundleCommit)
			}
			if !commitRE.MatchString(got.BundleCommit) {
				t.Fatalf("%s backfilled as %q", d, got.BundleCommit)
			}
		}
		e.rebuild(t, viewer)
	})
	t.Run("FailedDeploysHaveNoCommit", func(t *testing.T) {
		created, err := e.svc.CreateDeploy(deployer, "etl", v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		if err != nil {
			t.Fatal(err)
		}
		failed := dagdeck.DeployFailed
		d, err := e.svc.UpdateDeploy(deployer, "etl", created.Deploy.ID, dagdeck.DeployUpdate{Status: &failed})
		if err != nil || d.BundleCommit != "" {
			t.Fatalf("cancelled deploy: %+v, %v; want no bundle commit", d, err)
		}
		if n := len(e.rebuild(t, viewer)); n != 3 {
			t.Fatalf("%d commits after a cancelled deploy, want 3", n)
		}
	})
	t.Run("DescriptionEdited", func(t *testing.T) {
		desc := "edited"
		if _, err := e.svc.UpdateDeploy(deployer, "etl", ds[1].ID, dagdeck.DeployUpdate{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		e.rebuild(t, viewer) // the commit keeps the message it was made with
	})
}

func TestDeployService_FindDeployByCommit(t *testing.T) {
	e := newEnv(t)
	ds := e.gitHistory(t)
	for _, ref := range []string{ds[1].BundleCommit, ds[1].BundleCommit[:7], strings.ToUpper(ds[1].BundleCommit[:12])} {
		d, err := e.svc.FindDeploy(viewer, "etl", ref)
		if err != nil || d.ID != ds[1].ID {
			t.Fatalf("FindDeploy(%q) = %v, %v; want %s", ref, d, err, ds[1])
		}
		d, err = e.svc.FindDeployByID(viewer, ref)
		if err != nil || d.ID != ds[1].ID {
			t.Fatalf("FindDeployByID(%q) = %v, %v; want %s", ref, d, err, ds[1])
		}
	}
	_, err := e.svc.FindDeploy(viewer, "etl", ds[1].BundleCommit[:6])
	apitest.WantCode(t, err, dagdeck.ENOTFOUND)

	t.Run("ErrAmbiguous", func(t *testing.T) {
		// Give two deploys commits that share a prefix.
		shared := ds[0].BundleCommit[:9]
		differ := "0"
		if ds[0].BundleCommit[9] == '0' {
			differ = "1"
		}
		err := e.store.Update(context.Background(), func(tx dagdeck.Tx) error {
			d, err := tx.FindDeploy(context.Background(), ds[1].ID)
			if err != nil {
				return err
			}
			d.BundleCommit = shared + differ + strings.Repeat("0", 30)
			return tx.UpdateDeploy(context.Background(), d)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.FindDeploy(viewer, "etl", shared[:8])
		apitest.WantCode(t, err, dagdeck.EINVALID)
		if !strings.Contains(dagdeck.ErrorMessage(err), "more than one deploy") {
			t.Fatalf("message %q", dagdeck.ErrorMessage(err))
		}
		if d, err := e.svc.FindDeploy(viewer, "etl", ds[0].BundleCommit[:10]); err != nil || d.ID != ds[0].ID {
			t.Fatalf("a longer prefix: %v, %v", d, err)
		}
	})
}

// TestDeployService_GitBlobIDsFromUploads: the git blob ids computed while
// files upload are the ids git gives their content.
func TestDeployService_GitBlobIDsFromUploads(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "etl", true)
	e.deploy(t, "etl", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	want := map[string]string{}
	var digests []string
	for _, content := range v1() {
		d := dagdeck.DigestOf([]byte(content))
		want[d] = gitrepo.HashObject(gitrepo.TypeBlob, []byte(content)).String()
		digests = append(digests, d)
	}
	var got map[string]string
	err := e.store.View(context.Background(), func(tx dagdeck.Tx) (err error) {
		got, err = tx.GitBlobIDs(context.Background(), digests)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded git blob ids %v, want %v", got, want)
	}
}
