package e2e

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestE2E_RefusesNewerSchema: a server must not run on a database that a
// newer dagdeck has migrated; it exits with a message saying so.
func TestE2E_RefusesNewerSchema(t *testing.T) {
	s := StartServer(t)
	s.Stop(t)
	db, err := sql.Open("sqlite", filepath.Join(s.DataDir, "dagdeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(context.Background(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', '2030-01-01T00:00:00Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	res := s.Run(t, t.TempDir(), s.Args...)
	if res.Code == 0 || !strings.Contains(res.Stderr, "newer") || !strings.Contains(res.Stderr, "999") {
		t.Fatalf("server on a newer schema: exit %d, stderr %q", res.Code, res.Stderr)
	}
}
