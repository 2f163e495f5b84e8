package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

func newGitServer(t *testing.T, opts ...service.Option) (*testServer, *apitest.Clock) {
	t.Helper()
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := apitest.NewClock(time.Now().UTC())
	svc := service.New(db, fs, append([]service.Option{service.WithLogger(logger), service.WithClock(c.Now)}, opts...)...)
	secret, err := svc.EnsureAdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(svc.Services(), logger).Handler())
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, svc: svc, adminToken: secret}, c
}

func project(marker string) apitest.Files {
	p := apitest.Project("1.1.0", marker)
	p["include/"+marker+".txt"] = marker + "\n"
	return p
}

func TestGit_PrunedHistoryIsServedShallow(t *testing.T) {
	ts, clk := newGitServer(t, service.WithRetention(24*time.Hour), service.WithGCGrace(0))
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "etl", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	var ds []*dagdeck.Deploy
	deployV := func(marker string) {
		p := project(marker)
		d, err := deploy(ctx, admin, "etl", p, p.Request("1.1.0", marker))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	deployV("one")
	deployV("two")
	dir := t.TempDir()
	url := apitest.WithToken(ts.URL+"/git/etl.git", ts.adminToken)
	old := filepath.Join(dir, "old")
	apitest.Git(t, dir, "clone", "-q", url, old)

	clk.Add(72 * time.Hour)
	deployV("three")
	deployV("four")
	res, err := admin.GC(ctx)
	if err != nil || res.DeploysPruned != 2 {
		t.Fatalf("GC = %+v, %v; want 2 deploys pruned", res, err)
	}
	for _, proto := range []string{"0", "2"} {
		fresh := filepath.Join(dir, "fresh"+proto)
		apitest.Git(t, dir, "-c", "protocol.version="+proto, "clone", "-q", url, fresh)
		if got := apitest.Git(t, fresh, "rev-list", "HEAD"); got != ds[3].BundleCommit+"\n"+ds[2].BundleCommit {
			t.Fatalf("v%s fresh clone history:\n%s\nwant #4 and #3 only", proto, got)
		}
		if got := apitest.Git(t, fresh, "rev-parse", "--is-shallow-repository"); got != "true" {
			t.Fatalf("v%s: the fresh clone is not shallow", proto)
		}
	}
	apitest.Git(t, old, "pull", "-q", "--ff-only")
	if got := apitest.Git(t, old, "rev-list", "--count", "HEAD"); got != "4" {
		t.Fatalf("the old clone has %s commits after pull, want 4", got)
	}
}

func TestGit_Access(t *testing.T) {
	ts, _ := newGitServer(t)
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "etl", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	p := project("one")
	if _, err := deploy(ctx, admin, "etl", p, p.Request("1.1.0", "one")); err != nil {
		t.Fatal(err)
	}
	viewer, err := admin.CreateToken(ctx, "dash", dagdeck.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "other", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	runtimeOther, err := admin.CreateToken(ctx, "rt-other", dagdeck.RoleRuntime, "other")
	if err != nil {
		t.Fatal(err)
	}
	refs := "/info/refs?service=git-upload-pack"
	for _, tc := range []struct {
		name, path, user, password string
		status                     int
	}{
		{"anonymous", "/git/etl.git" + refs, "", "", http.StatusUnauthorized},
		{"bad token", "/git/etl.git" + refs, "x", "ddk_nope", http.StatusUnauthorized},
		{"viewer", "/git/etl.git" + refs, "anyone", viewer.Secret, http.StatusOK},
		{"by id without .git", "/git/" + mustDeploymentID(t, ts, "etl") + refs, "x", viewer.Secret, http.StatusOK},
		{"unknown repository", "/git/nope.git" + refs, "x", viewer.Secret, http.StatusNotFound},
		{"unknown repository, anonymous", "/git/nope.git" + refs, "", "", http.StatusUnauthorized},
		{"runtime token of another Deployment", "/git/etl.git" + refs, "x", runtimeOther.Secret, http.StatusNotFound},
		{"runtime token of that Deployment", "/git/other.git" + refs, "x", runtimeOther.Secret, http.StatusOK},
		{"nested path", "/git/a/b.git" + refs, "x", viewer.Secret, http.StatusNotFound},
		{"dumb protocol", "/git/etl.git/info/refs", "x", viewer.Secret, http.StatusForbidden},
		{"unknown operation", "/git/etl.git/objects/info/packs", "x", viewer.Secret, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
			if tc.password != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			if tc.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != `Basic realm="dagdeck"` {
				t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if tc.status == http.StatusNotFound && strings.Contains(string(body), "nope") {
				t.Fatalf("the 404 names the repository: %s", body)
			}
		})
	}
}

func mustDeploymentID(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	d, err := ts.client(ts.adminToken).GetDeployment(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestGit_URLBehindTrustedProxy(t *testing.T) {
	db, fs := apitest.LocalStores(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, fs, service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(svc.Services(), logger)
	proxies, _ := server.ParseProxies("127.0.0.1")
	srv.SetTrustedProxies(proxies)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	c := client.New(ts.URL, secret)
	if _, err := c.CreateDeployment(context.Background(), client.DeploymentCreate{Name: "etl"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ proto, want string }{
		{"", ts.URL + "/git/etl.git"},
		{"https", "https://" + strings.TrimPrefix(ts.URL, "http://") + "/git/etl.git"},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/deployments/etl", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var dep dagdeck.Deployment
		err = json.NewDecoder(resp.Body).Decode(&dep)
		resp.Body.Close()
		if err != nil || dep.GitURL != tc.want {
			t.Fatalf("X-Forwarded-Proto %q: gitUrl %q, %v; want %q", tc.proto, dep.GitURL, err, tc.want)
		}
	}
}
