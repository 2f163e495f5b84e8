package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

var tokenRE = regexp.MustCompile(`ddk_[A-Za-z0-9_-]+`)

// TestE2E_Replicas runs three `dagdeck server` processes on one PostgreSQL
// database and one S3 bucket, deploys and rolls back through all of them
// concurrently while they collect garbage, and checks that every history is
// complete and strictly ordered and that all replicas agree on what is current.
func TestE2E_Replicas(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	s3 := testenv.S3(t)
	bucket := s3.NewBucket(t)
	artifacts := fmt.Sprintf("s3://%s/dagdeck?endpoint=%s&insecure=true&region=%s", bucket, s3.Endpoint, s3.Region)
	args := []string{"--database-url", dbURL, "--artifacts", artifacts, "--gc-interval", "1s", "--gc-grace", "0s", "--runtime=none"}

	first := NewServer(t, args...)
	withS3Env(first, s3)
	first.Start(t)
	token := tokenRE.FindString(first.Output())
	if token == "" {
		t.Fatalf("no admin token printed:\n%s", first.Output())
	}
	replicas := []*Server{first}
	for i := 0; i < 2; i++ {
		r := NewServer(t, args...)
		withS3Env(r, s3)
		r.Start(t)
		replicas = append(replicas, r)
	}

	ctx := context.Background()
	clients := make([]*client.Client, len(replicas))
	for i, r := range replicas {
		clients[i] = client.New(r.URL, token)
	}
	base := map[string]*dagdeck.Deploy{}
	for i, name := range []string{"orders", "billing"} {
		if _, err := clients[i].CreateDeployment(ctx, client.DeploymentCreate{Name: name, IsDagDeployEnabled: true}); err != nil {
			t.Fatal(err)
		}
		d, err := apitest.Deploy(ctx, clients[(i+1)%3], name, apitest.Project("1.1.0", "base "+name), apitest.Project("1.1.0", "base "+name).Request("1.1.0", "base"))
		if err != nil {
			t.Fatal(err)
		}
		base[name] = d
	}

	landed := hammer(t, clients, base)

	for name := range base {
		var current string
		for i, c := range clients {
			dep, err := c.GetDeployment(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && dep.CurrentDeployID != current {
				t.Fatalf("replica %d says %s is current for %s; replica 0 says %s", i, dep.CurrentDeployID, name, current)
			}
			current = dep.CurrentDeployID
		}
		checkHistory(t, clients[2], name, landed[name], current)
		checkGitReplicas(t, replicas, token, name)
	}
}

// checkGitReplicas checks that every replica serves the Deployment's git
// repository with the same refs, that its HEAD is the current deploy's
// commit, and that a clone from one replica fetches from another.
func checkGitReplicas(t *testing.T, replicas []*Server, token, name string) {
	t.Helper()
	dir := t.TempDir()
	var refs string
	for i, r := range replicas {
		got := apitest.Git(t, dir, "ls-remote", apitest.WithToken(r.URL+"/git/"+name+".git", token))
		if i > 0 && got != refs {
			t.Fatalf("replica %d serves refs\n%s\nreplica 0 serves\n%s", i, got, refs)
		}
		refs = got
	}
	clone := filepath.Join(dir, name)
	apitest.Git(t, dir, "clone", "-q", apitest.WithToken(replicas[0].URL+"/git/"+name+".git", token), clone)
	apitest.Git(t, clone, "fetch", "-q", apitest.WithToken(replicas[1].URL+"/git/"+name+".git", token))
	cur, err := client.New(replicas[2].URL, token).GetDeployment(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := client.New(replicas[2].URL, token).GetDeployByID(context.Background(), cur.CurrentDeployID)
	if err != nil {
		t.Fatal(err)
	}
	if head := apitest.Git(t, clone, "rev-parse", "HEAD"); head != d.BundleCommit {
		t.Fatalf("%s: HEAD %s, current deploy's commit %s", name, head, d.BundleCommit)
	}
}

// withS3Env gives the server process the S3 credentials (as AWS_* variables).
func withS3Env(s *Server, s3 testenv.S3Server) {
	s.Env = append(s.Env, "AWS_ACCESS_KEY_ID="+s3.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3.SecretKey)
}

// hammer deploys and rolls back from many goroutines through all replicas
// and runs GC on them; it returns the ids that landed per Deployment.
func hammer(t *testing.T, clients []*client.Client, base map[string]*dagdeck.Deploy) map[string]map[string]bool {
	ctx := context.Background()
	var mu sync.Mutex
	landed := map[string]map[string]bool{}
	for name, d := range base {
		landed[name] = map[string]bool{d.ID: true}
	}
	var wg sync.WaitGroup
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := clients[w%len(clients)]
			name := []string{"orders", "billing"}[w%2]
			for i := 0; i < 5; i++ {
				id, err := deployOrRollback(ctx, c, name, base[name].ID, w, i)
				if w%4 == 0 && i == 2 {
					if _, gcErr := c.GC(ctx); gcErr != nil {
						t.Errorf("gc: %v", gcErr)
					}
				}
				if err != nil {
					if dagdeck.ErrorCode(err) != dagdeck.ECONFLICT && !nothingToRollBack(err) {
						t.Errorf("replica %s: %v", c.BaseURL(), err)
					}
					continue
				}
				mu.Lock()
				landed[name][id] = true
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return landed
}

func deployOrRollback(ctx context.Context, c *client.Client, name, baseID string, w, i int) (string, error) {
	if (w+i)%3 == 0 {
		res, err := c.Rollback(ctx, name, baseID, dagdeck.RollbackRequest{Description: fmt.Sprintf("rollback %d/%d", w, i)})
		if err != nil {
			return "", err
		}
		return res.Deploy.ID, nil
	}
	p := apitest.Project("1.1.0", fmt.Sprintf("worker %d attempt %d", w, i))
	d, err := apitest.Deploy(ctx, c, name, p, p.Request("1.1.0", fmt.Sprintf("deploy %d/%d", w, i)))
	if err != nil {
		return "", err
	}
	return d.ID, nil
}

// nothingToRollBack reports whether err refuses a rollback to the code
// that is current already.
func nothingToRollBack(err error) bool {
	return dagdeck.ErrorCode(err) == dagdeck.EUNPROCESSABLE && strings.Contains(dagdeck.ErrorMessage(err), "nothing to roll back")
}

// checkHistory verifies a history is gap-free, strictly ordered, holds every
// deploy that landed, ends in the current deploy, and that every DEPLOYED
// deploy's artifacts survived the concurrent garbage collection.
func checkHistory(t *testing.T, c *client.Client, name string, landed map[string]bool, current string) {
	t.Helper()
	ctx := context.Background()
	all, err := c.ListAllDeploys(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var lastDeployed string
	for i, d := range all {
		if want := int64(len(all) - i); d.Sequence != want {
			t.Fatalf("%s row %d has sequence %d, want %d", name, i, d.Sequence, want)
		}
		seen[d.ID] = true
		if d.Status == dagdeck.DeployDeployed {
			if lastDeployed == "" {
				lastDeployed = d.ID
			}
			rc, err := c.DownloadArchive(ctx, name, d.ID, "dags")
			if err != nil {
				t.Fatalf("%s: artifacts of DEPLOYED %s are gone: %v", name, d, err)
			}
			rc.Close()
		}
	}
	for id := range landed {
		if !seen[id] {
			t.Fatalf("%s: deploy %s landed but is not in the history", name, id)
		}
	}
	if lastDeployed != current || len(landed) < 3 {
		t.Fatalf("%s: current %s, last DEPLOYED %s, %d landed", name, current, lastDeployed, len(landed))
	}
}
