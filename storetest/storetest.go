// Package storetest is the conformance suite of dagdeck.Store: every
// metadata store backend runs Run against a real database of its kind, so
// that the service layer can rely on one behaviour whatever the backend.
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) dagdeck.Store {
//			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
//			...
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
package storetest

import (
	"errors"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// Opener returns a new, empty, migrated store for one test and arranges
// (with t.Cleanup) for it to be closed.
type Opener func(t *testing.T) dagdeck.Store

// Run runs the conformance suite against the stores open returns. Every
// subtest opens its own store, and subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) dagdeck.Store) {
	suites := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"CreateDeployment", testCreateDeployment},
		{"FindDeployment", testFindDeployment},
		{"ListDeployments", testListDeployments},
		{"UpdateDeployment", testUpdateDeployment},
		{"EnvChanges", testEnvChanges},
		{"CreateDeploy", testCreateDeploy},
		{"FindDeploy", testFindDeploy},
		{"UpdateDeploy", testUpdateDeploy},
		{"ListDeploys", testListDeploys},
		{"LatestDeploy", testLatestDeploy},
		{"ImageTagTaken", testImageTagTaken},
		{"RetainedManifests", testRetainedManifests},
		{"PruneCandidates", testPruneCandidates},
		{"Tokens", testTokens},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"ReplaceDags", testReplaceDags},
		{"ReplaceDagsChanges", testReplaceDagsChanges},
		{"DagRuns", testDagRuns},
		{"TaskInstances", testTaskInstances},
		{"CountTaskInstances", testCountTaskInstances},
		{"TaskLogs", testTaskLogs},
		{"XCom", testXCom},
		{"FeatureRows", testFeatureRows},
		{"Update", testUpdate},
		{"Locks", testLocks},
		{"Concurrency", testConcurrency},
		{"Audit", testAudit},
		{"Webhooks", testWebhooks},
		{"Marks", testMarks},
		{"GitBlobIDs", testGitBlobIDs},
		{"FindDeploysByCommit", testFindDeploysByCommit},
		{"RollbackTurns", testRollbackTurns},
		{"AutoRollback", testAutoRollback},
		{"Activations", testActivations},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.fn(t, Opener(open)) })
	}
}

// newStore marks t parallel and opens a fresh store for it.
func newStore(t *testing.T, open Opener) dagdeck.Store {
	t.Helper()
	t.Parallel()
	return open(t)
}

// update runs fn in a write transaction and fails t on error.
func update(t *testing.T, s dagdeck.Store, fn func(tx dagdeck.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a read transaction and fails t on error.
func view(t *testing.T, s dagdeck.Store, fn func(tx dagdeck.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// viewErr runs fn in a read transaction and returns its error.
func viewErr(t *testing.T, s dagdeck.Store, fn func(tx dagdeck.Tx) error) error {
	t.Helper()
	return s.View(t.Context(), fn)
}

// wantCode fails t unless err carries the dagdeck error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := dagdeck.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

// wantNoError fails t if err is not nil.
func wantNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// errTest is returned by transaction functions that must roll back.
var errTest = errors.New("storetest: deliberate failure")
