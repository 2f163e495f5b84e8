package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// Load of BenchmarkRollbackUnderDeploys: deployers deploying without pause,
// and the rollback goal of issue 11: within rollbackGoal, as the CLI's
// first request waits at most that long.
const (
	loadDeployers = 8
	rollbackGoal  = 10 * time.Second
)

// BenchmarkRollbackUnderDeploys issues rollbacks one after another while
// loadDeployers clients deploy continuously to the same Deployment, through
// a real server (SQLite, file artifacts) on 127.0.0.1. It reports the share
// of rollbacks that succeeded within rollbackGoal (the goal is ≥ 99 %) and
// their latency percentiles; it asserts nothing.
func BenchmarkRollbackUnderDeploys(b *testing.B) {
	c := loadServer(b)
	ctx := context.Background()
	targets := loadTargets(b, c)
	stop := make(chan struct{})
	var deployed, deployErrs atomic.Int64
	var wg sync.WaitGroup
	for w := range loadDeployers {
		wg.Go(func() { deployContinuously(c, w, stop, &deployed, &deployErrs) })
	}
	var lat []time.Duration
	ok := 0
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		_, err := c.Rollback(ctx, "prod", targets[i%2].ID, dagdeck.RollbackRequest{Description: fmt.Sprintf("incident %d", i), WaitSeconds: int(rollbackGoal.Seconds())})
		d := time.Since(start)
		lat = append(lat, d)
		if err == nil && d <= rollbackGoal {
			ok++
		} else if err != nil {
			b.Logf("rollback %d after %s: %v", i, d.Round(time.Millisecond), err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	reportRollbackLoad(b, lat, ok, deployed.Load(), deployErrs.Load())
}

// loadServer starts a real server on 127.0.0.1 with a Deployment "prod"
// and returns an admin's client.
func loadServer(b *testing.B) *client.Client {
	db, fs := apitest.LocalStores(b)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(db, fs, service.WithLogger(logger))
	secret, err := svc.EnsureAdminToken(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(server.New(svc.Services(), logger).Handler())
	b.Cleanup(ts.Close)
	c := client.New(ts.URL, secret)
	if _, err := c.CreateDeployment(context.Background(), client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		b.Fatal(err)
	}
	return c
}

// loadTargets deploys two different versions to roll back to, in turn (so
// no rollback restores what is already current).
func loadTargets(b *testing.B, c *client.Client) [2]*dagdeck.Deploy {
	var out [2]*dagdeck.Deploy
	for i := range out {
		p := apitest.Project("2.0.0", fmt.Sprintf("target %d", i))
		d, err := apitest.Deploy(context.Background(), c, "prod", p, p.Request("2.0.0", "target"))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// deployContinuously deploys new versions until stop is closed, counting
// the deploys that landed and the errors other than conflicts.
func deployContinuously(c *client.Client, worker int, stop chan struct{}, deployed, errs *atomic.Int64) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		p := apitest.Project("2.0.0", fmt.Sprintf("worker %d deploy %d", worker, i))
		_, err := apitest.Deploy(context.Background(), c, "prod", p, p.Request("2.0.0", "load"))
		switch dagdeck.ErrorCode(err) {
		case "":
			deployed.Add(1)
		case dagdeck.ECONFLICT:
		default:
			errs.Add(1)
		}
	}
}

// reportRollbackLoad reports the share of rollbacks within the goal, the
// latency percentiles and the deploys that landed meanwhile.
func reportRollbackLoad(b *testing.B, lat []time.Duration, ok int, deployed, deployErrs int64) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(100*float64(ok)/float64(len(lat)), "%ok≤10s")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(deployed), "deploys")
	if deployErrs > 0 {
		b.ReportMetric(float64(deployErrs), "deploy-errors")
	}
}
