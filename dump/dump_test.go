package dump_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dump"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

var admin = dagdeck.NewContextWithActor(context.Background(), &dagdeck.Actor{ID: "a", Kind: dagdeck.ActorToken, Name: "admin", Role: dagdeck.RoleAdmin})

// Stores is a pair of backends; RoundTrip tests use it for source and target.
type Stores struct {
	Meta      dagdeck.Store
	Artifacts dagdeck.ArtifactStore
}

func localStores(t *testing.T) Stores {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	return Stores{db, fs}
}

// populate creates two Deployments with deploys, a rollback, env vars,
// tokens and a user through the service.
func populate(t *testing.T, s Stores) {
	t.Helper()
	svc := service.New(s.Meta, s.Artifacts, service.WithLogger(slog.New(slog.DiscardHandler)))
	on := true
	for _, name := range []string{"prod", "staging"} {
		if _, err := svc.CreateDeployment(admin, dagdeck.DeploymentCreate{Name: name, IsDagDeployEnabled: &on}); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	for i, content := range []string{"v1", "v2", "v3"} {
		files := map[string]string{"Dockerfile": "FROM x:1.1.0\n", "include/a.sh": "echo " + content + "\n", "dags/a.yaml": "dag_id: a\n"}
		d := deployFiles(t, svc, "prod", files)
		if i == 0 {
			first = d.ID
		}
	}
	deployExternal(t, svc, "staging", map[string]string{"dags/b.yaml": "dag_id: b\n"})
	v, on := "bq", true
	if _, err := svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "WAREHOUSE", Value: &v}}, AutoRollback: &dagdeck.AutoRollbackUpdate{Enabled: &on}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Rollback(admin, "prod", first, dagdeck.RollbackRequest{Description: "back to v1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateToken(admin, "ci", dagdeck.RoleDeployer); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(admin, "oncall", "correct horse", dagdeck.RoleDeployer); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateWebhook(admin, dagdeck.WebhookCreate{URL: "https://cd.example.com/hook", Events: []string{dagdeck.EventDeployDeployed}, Deployment: "prod"}); err != nil {
		t.Fatal(err)
	}
}

// stagingImage is the external image of staging's deploy, pinned at stagingDigest.
const stagingImage = "registry.example.com/etl:staging"

var stagingDigest = dagdeck.DigestOf([]byte("etl staging image"))

// deployExternal deploys the external stagingImage with the DAG files dags.
func deployExternal(t *testing.T, svc *service.Service, dep string, dags map[string]string) *dagdeck.Deploy {
	t.Helper()
	m := &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs}
	for path, content := range dags {
		m.Files = append(m.Files, dagdeck.ManifestFile{Path: path, Mode: 0o644, Size: int64(len(content)), Digest: dagdeck.DigestOf([]byte(content))})
	}
	req := dagdeck.DeployCreate{Type: dagdeck.DeployImageAndDAG, RuntimeVersion: "2.0.0", Description: "external image",
		ImageName: stagingImage, ImageRegistryDigest: stagingDigest, DagManifest: m}
	created, err := svc.CreateDeploy(admin, dep, req)
	if err != nil {
		t.Fatal(err)
	}
	for path, content := range dags {
		if err := svc.PutBlob(admin, dagdeck.DigestOf([]byte(content)), bytes.NewReader([]byte(content)), int64(len(content))); err != nil {
			t.Fatalf("upload %s: %v", path, err)
		}
	}
	d, err := svc.FinalizeDeploy(admin, dep, created.Deploy.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func deployFiles(t *testing.T, svc *service.Service, dep string, files map[string]string) *dagdeck.Deploy {
	t.Helper()
	img := &dagdeck.Manifest{Kind: dagdeck.ManifestImage}
	dags := &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs}
	byDigest := map[string]string{}
	for p, c := range files {
		f := dagdeck.ManifestFile{Path: p, Mode: 0o644, Size: int64(len(c)), Digest: dagdeck.DigestOf([]byte(c))}
		byDigest[f.Digest] = c
		if filepath.Dir(p) == "dags" {
			dags.Files = append(dags.Files, f)
		} else {
			img.Files = append(img.Files, f)
		}
	}
	rv := "1.1.0"
	if files["Dockerfile"] == "FROM x:2.0.0\n" {
		rv = "2.0.0"
	}
	created, err := svc.CreateDeploy(admin, dep, dagdeck.DeployCreate{Type: dagdeck.DeployImageAndDAG, RuntimeVersion: rv, ImageManifest: img, DagManifest: dags, Description: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range created.Missing {
		if err := svc.PutBlob(admin, d, bytes.NewReader([]byte(byDigest[d])), int64(len(byDigest[d]))); err != nil {
			t.Fatal(err)
		}
	}
	d, err := svc.FinalizeDeploy(admin, dep, created.Deploy.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshot is what must survive a move: histories, settings, tokens, users, blobs.
type snapshot struct {
	Deployments []*dagdeck.Deployment
	Deploys     map[string][]*dagdeck.Deploy
	Tokens      []*dagdeck.Token
	Users       []string
	Blobs       map[string]int64
	EnvKeys     map[string][]string
	Audit       []*dagdeck.AuditEntry
	Webhooks    []string // id, URL and secret
}

func take(t *testing.T, s Stores) snapshot {
	t.Helper()
	ctx := context.Background()
	snap := snapshot{Deploys: map[string][]*dagdeck.Deploy{}, Blobs: map[string]int64{}, EnvKeys: map[string][]string{}}
	err := s.Meta.View(ctx, func(tx dagdeck.Tx) (err error) {
		if snap.Deployments, err = tx.ListDeployments(ctx); err != nil {
			return err
		}
		for _, d := range snap.Deployments {
			if snap.Deploys[d.Name], err = tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: d.ID}); err != nil {
				return err
			}
			if snap.EnvKeys[d.Name], err = tx.EnvKeysChangedSince(ctx, d.ID, d.CreatedAt); err != nil {
				return err
			}
		}
		if snap.Tokens, err = tx.ListTokens(ctx); err != nil {
			return err
		}
		users, err := tx.ListUsers(ctx)
		for _, u := range users {
			snap.Users = append(snap.Users, u.Name+"/"+u.PasswordHash)
		}
		if err != nil {
			return err
		}
		ws, err := tx.ListWebhooks(ctx)
		for _, w := range ws {
			snap.Webhooks = append(snap.Webhooks, w.ID+" "+w.URL+" "+w.Secret)
		}
		if err != nil {
			return err
		}
		return tx.EachAudit(ctx, func(e *dagdeck.AuditEntry) (bool, error) {
			snap.Audit = append(snap.Audit, e)
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Artifacts.Walk(ctx, func(b dagdeck.BlobInfo) error { snap.Blobs[b.Digest] = b.Size; return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(snap.Users)
	return snap
}

// RoundTrip exports from a populated source and imports into target, and
// checks that nothing was lost.
func RoundTrip(t *testing.T, source, target Stores) {
	t.Helper()
	populate(t, source)
	var buf bytes.Buffer
	out, err := dump.Export(context.Background(), source.Meta, source.Artifacts, &buf)
	if err != nil {
		t.Fatal(err)
	}
	in, err := dump.Import(context.Background(), target.Meta, target.Artifacts, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if *in != *out || out.Deploys != 5 || out.Deployments != 2 || out.Blobs == 0 {
		t.Fatalf("exported %+v, imported %+v", out, in)
	}
	want, got := take(t, source), take(t, target)
	wantJSON, _ := json.MarshalIndent(want, "", " ")
	gotJSON, _ := json.MarshalIndent(got, "", " ")
	if !bytes.Equal(wantJSON, gotJSON) || len(want.Blobs) == 0 || len(want.Audit) < 10 || len(want.Webhooks) != 1 {
		t.Fatalf("the target differs from the source:\nsource %s\ntarget %s", wantJSON, gotJSON)
	}
	if p, err := service.New(target.Meta, target.Artifacts).FindDeployment(admin, "prod"); err != nil || !p.AutoRollback.Enabled || p.AutoRollback.WatchSeconds != dagdeck.DefaultAutoRollbackPolicy.WatchSeconds {
		t.Fatalf("the automatic rollback policy was not kept: %+v %v", p, err)
	}
	if d := got.Deploys["staging"][0]; d.ImageRegistryDigest != stagingDigest || d.ImageDigest != "" {
		t.Fatalf("the pinned external image was not kept: %+v", d)
	}
	// The admin can still log in with the same password after the move.
	svc := service.New(target.Meta, target.Artifacts)
	if _, _, err := svc.Login(context.Background(), "oncall", "correct horse"); err != nil {
		t.Fatalf("login after import: %v", err)
	}
}

func TestDump_RoundTripLocal(t *testing.T) {
	RoundTrip(t, localStores(t), localStores(t))
}

func TestDump_ImportRefusesNonEmptyTarget(t *testing.T) {
	source, target := localStores(t), localStores(t)
	populate(t, source)
	populate(t, target)
	var buf bytes.Buffer
	if _, err := dump.Export(context.Background(), source.Meta, source.Artifacts, &buf); err != nil {
		t.Fatal(err)
	}
	_, err := dump.Import(context.Background(), target.Meta, target.Artifacts, &buf)
	if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT {
		t.Fatalf("import into a non-empty target: %v", err)
	}
}

func TestDump_ImportRejectsCorruptBlob(t *testing.T) {
	source, target := localStores(t), localStores(t)
	populate(t, source)
	var buf bytes.Buffer
	if _, err := dump.Export(context.Background(), source.Meta, source.Artifacts, &buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte("echo v2"))
	if i < 0 {
		t.Fatal("blob content not found in the export")
	}
	b[i+5] = 'X' // corrupt one file's content
	_, err := dump.Import(context.Background(), target.Meta, target.Artifacts, bytes.NewReader(b))
	if dagdeck.ErrorCode(err) != dagdeck.EINVALID {
		t.Fatalf("import of a corrupt blob: %v", err)
	}
	if snap := take(t, target); len(snap.Deployments) != 0 {
		t.Fatalf("a failed import left %d Deployments", len(snap.Deployments))
	}
}

func TestDump_ImportRefusesEditedAuditLog(t *testing.T) {
	source, target := localStores(t), localStores(t)
	populate(t, source)
	var buf bytes.Buffer
	if _, err := dump.Export(context.Background(), source.Meta, source.Artifacts, &buf); err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(buf.Bytes(), []byte(`"description":"back to v1"`), []byte(`"description":"back to v9"`), -1)
	if bytes.Equal(edited, buf.Bytes()) {
		t.Fatal("the export does not hold the rollback's description")
	}
	_, err := dump.Import(context.Background(), target.Meta, target.Artifacts, bytes.NewReader(edited))
	if err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("import of an edited audit log: %v", err)
	}
}
