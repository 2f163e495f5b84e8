package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// fillHistory gives a new Deployment n DEPLOYED deploys and returns it.
func fillHistory(tb testing.TB, db *DB, n int) *dagdeck.Deployment {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dep := &dagdeck.Deployment{ID: dagdeck.NewID(), Name: "history", CreatedAt: t0, UpdatedAt: t0}
	err := db.Update(ctx, func(tx dagdeck.Tx) error {
		if err := tx.CreateDeployment(ctx, dep); err != nil {
			return err
		}
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Minute)
			d := &dagdeck.Deploy{
				ID: dagdeck.NewID(), DeploymentID: dep.ID, Type: dagdeck.DeployImageAndDAG,
				Status: dagdeck.DeployDeployed, Description: fmt.Sprint("deploy ", i), CreatedAt: at,
				CreatedBy: dagdeck.Actor{ID: "t", Kind: dagdeck.ActorToken, Name: "ci"}, FinalizedAt: &at,
				ImageTag: dagdeck.ImageTagFor(at), ImageDigest: dagdeck.DigestOf([]byte(at.String())),
				RuntimeVersion: "2.0.0", DagBundleVersion: dagdeck.BundleVersionFor(at),
				DagBundleDigest: dagdeck.DigestOf([]byte(at.String() + "d")), IsDagDeployEnabled: true,
			}
			if err := tx.CreateDeploy(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dep
}

// BenchmarkListDeploys100k reads pages of 50 from the middle of the history
// of a Deployment with 100,000 deploys (DESIGN §8: ≤ 20 ms server time).
func BenchmarkListDeploys100k(b *testing.B) {
	db, err := Open(b.Context(), tempPathB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 100_000
	dep := fillHistory(b, db, n)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		before := int64(n - (i*50)%(n-50))
		err := db.View(b.Context(), func(tx dagdeck.Tx) error {
			page, err := tx.ListDeploys(b.Context(), dagdeck.DeployFilter{DeploymentID: dep.ID, BeforeSequence: before, Limit: 50})
			if err == nil && len(page) != 50 {
				err = fmt.Errorf("page of %d deploys before %d", len(page), before)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func tempPathB(b *testing.B) string { return b.TempDir() + "/dagdeck.db" }

// TestListDeploysPlan checks that a history page uses the (deployment_id,
// sequence) index without sorting, whatever the size of the history.
func TestListDeploysPlan(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	fillHistory(t, db, 10)
	if _, err := db.write.ExecContext(t.Context(), `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []dagdeck.DeployFilter{
		{DeploymentID: "d", BeforeSequence: 500, Limit: 50},
		{DeploymentID: "d", Limit: 50},
		{DeploymentID: "d", Status: dagdeck.DeployDeployed, BeforeSequence: 500, Limit: 50},
	} {
		q, args := dialect.ListDeploysQuery(f)
		all := queryPlan(t, db, q, args...)
		t.Logf("%+v: %s", f, all)
		if !strings.Contains(all, "USING INDEX") || strings.Contains(all, "TEMP B-TREE") || strings.Contains(all, "SCAN deploys") && !strings.Contains(all, "INDEX") {
			t.Errorf("plan for %+v: %s; want an index walk without a sort", f, all)
		}
	}
}

// TestListPruneCandidatesPlan checks that the collector's walk over old
// deploys uses the (deployment_id, status, sequence) index without sorting,
// on its first page too, with and without statistics.
func TestListPruneCandidatesPlan(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	fillHistory(t, db, 2000)
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := db.write.ExecContext(t.Context(), `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		for _, below := range []int64{math.MaxInt64, 500} {
			all := queryPlan(t, db, dialect.Queries.ListPruneCandidates,
				"d", dagdeck.DeployDeployed, below, dialect.EncodeTime(time.Now()), false, 500)
			if !strings.Contains(all, "deploys_deployment_status_sequence") || strings.Contains(all, "TEMP B-TREE") {
				t.Errorf("analyzed %v, below %d: %s; want the (deployment_id, status, sequence) index without a sort", analyzed, below, all)
			}
		}
	}
}

// queryPlan returns the steps of SQLite's plan for q, joined by "; ".
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.read.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
