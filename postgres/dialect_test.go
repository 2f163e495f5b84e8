package postgres

import (
	"strings"
	"testing"
)

func TestQueries(t *testing.T) {
	q := dialect.Queries
	if got := q.ClaimOutbox; !strings.HasSuffix(got, `LIMIT $2 FOR UPDATE SKIP LOCKED`) {
		t.Errorf("ClaimOutbox = %q, want it to lock and skip locked rows", got)
	}
	if got := q.FindDeploy; !strings.HasSuffix(got, `WHERE id = $1`) {
		t.Errorf("FindDeploy = %q, want PostgreSQL placeholders", got)
	}
}
