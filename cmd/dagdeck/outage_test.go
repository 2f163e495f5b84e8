package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// outageBound is how long a request may take to fail while a dependency is
// down: well below the client's own 2-minute deadline, which is what the
// requests met before every call to a dependency was bounded. It is a
// deadline that makes the test fail, not a timing measurement.
const outageBound = 30 * time.Second

// startOutageMain starts the server in-process on its own PostgreSQL cluster
// and S3 server, which the test stops and starts.
func startOutageMain(t *testing.T) *outageEnv {
	t.Helper()
	pg, s3 := testenv.NewPostgresCluster(t), testenv.NewS3Instance(t)
	bucket := s3.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", s3.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3.SecretKey)
	var out bytes.Buffer
	m := &Main{Addr: "127.0.0.1:0", Runtime: runtimeNone, Stdout: &out, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.DataDir = t.TempDir()
	m.DatabaseURL = pg.NewDatabase(t)
	m.ArtifactsURL = "s3://" + bucket + "/dagdeck?endpoint=http://" + s3.Endpoint + "&region=" + s3.Region
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	token := tokenRE.FindString(out.String())
	if token == "" {
		t.Fatalf("the first start printed no admin token:\n%s", out.String())
	}
	return &outageEnv{c: client.New(m.URL(), token), url: m.URL(), token: token, pg: pg, s3: s3}
}

// outageEnv is a test server on stores that the test stops and starts.
type outageEnv struct {
	c     *client.Client // an admin's client that does not retry
	url   string
	token string
	pg    *testenv.PostgresCluster
	s3    *testenv.S3Instance
}

// requireUnavailable checks that err is EUNAVAILABLE naming dependency.
func requireUnavailable(t *testing.T, what string, err error, dependency string) {
	t.Helper()
	if dagdeck.ErrorCode(err) != dagdeck.EUNAVAILABLE || !strings.Contains(dagdeck.ErrorMessage(err), dependency) {
		t.Fatalf("%s: got %v (code %s); want EUNAVAILABLE naming the %s", what, err, dagdeck.ErrorCode(err), dependency)
	}
}

// TestMain_DependencyOutage stops the real S3 server, then the real
// PostgreSQL cluster, under a running server: requests that need them fail
// promptly with 503 EUNAVAILABLE naming the dependency, and everything works
// again once they are back.
func TestMain_DependencyOutage(t *testing.T) {
	env := startOutageMain(t)
	c, pg, s3 := env.c, env.pg, env.s3
	ctx := context.Background()
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	v1, v2 := apitest.Project("2.0.0", "v1"), apitest.Project("2.0.0", "v2")
	first, err := apitest.Deploy(ctx, c, "prod", v1, v1.Request("2.0.0", "v1"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("S3Stopped", func(t *testing.T) {
		s3.Stop()
		bctx, cancel := context.WithTimeout(ctx, outageBound)
		defer cancel()
		_, err := c.CreateDeploy(bctx, "prod", v2.Request("2.0.0", "v2"))
		requireUnavailable(t, "deploy", err, "artifact store")
		blob := []byte("a file the store has never seen")
		err = c.UploadBlob(bctx, dagdeck.DigestOf(blob), bytes.NewReader(blob), int64(len(blob)))
		requireUnavailable(t, "upload", err, "artifact store")
		if err := s3.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := apitest.Deploy(ctx, c, "prod", v2, v2.Request("2.0.0", "v2")); err != nil {
			t.Fatalf("deploy after S3 is back: %v", err)
		}
	})
	t.Run("PostgresStopped", func(t *testing.T) {
		pg.Stop()
		bctx, cancel := context.WithTimeout(ctx, outageBound)
		defer cancel()
		_, err := c.ListDeploys(bctx, "prod", client.ListDeploysOptions{})
		requireUnavailable(t, "history", err, "metadata store")
		_, err = c.Rollback(bctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "outage"})
		requireUnavailable(t, "rollback", err, "metadata store")
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
		res, err := c.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "after the outage"})
		if err != nil || res.Deploy.RollbackFromID != first.ID {
			t.Fatalf("rollback after PostgreSQL is back: %+v %v", res, err)
		}
	})
}

// TestMain_DeployAcrossPostgresRestart restarts the real PostgreSQL cluster
// in the middle of a deploy made by a client that retries as the CLI does:
// the finalize that meets the outage is retried, and the deploy succeeds.
func TestMain_DeployAcrossPostgresRestart(t *testing.T) {
	env := startOutageMain(t)
	pg := env.pg
	ctx := context.Background()
	if _, err := env.c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	retried := make(chan error, 100)
	c := client.New(env.url, env.token, client.WithRetry(outageBound, func(err error, _ time.Duration) { retried <- err }))
	v1 := apitest.Project("2.0.0", "v1")
	created, err := c.CreateDeploy(ctx, "prod", v1.Request("2.0.0", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	uploadAll(t, c, v1, created.Missing)

	pg.Stop()
	restarted := make(chan error, 1)
	go func() {
		<-retried // the finalize met the outage and will try again
		restarted <- pg.Start()
	}()
	d, err := c.FinalizeDeploy(ctx, "prod", created.Deploy.ID)
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if err != nil || d.Status != dagdeck.DeployDeployed {
		t.Fatalf("finalize across a PostgreSQL restart: %+v %v", d, err)
	}
}

// uploadAll uploads the files of p with the given digests.
func uploadAll(t *testing.T, c *client.Client, p apitest.Files, digests []string) {
	t.Helper()
	byDigest := map[string]string{}
	for _, content := range p {
		byDigest[dagdeck.DigestOf([]byte(content))] = content
	}
	for _, d := range digests {
		if err := c.UploadBlob(context.Background(), d, strings.NewReader(byDigest[d]), int64(len(byDigest[d]))); err != nil {
			t.Fatal(err)
		}
	}
}
