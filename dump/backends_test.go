package dump_test

import (
	"context"
	"os"
	"testing"

	"github.com/dagdeck/dagdeck/postgres"
	"github.com/dagdeck/dagdeck/s3"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopPostgres()
	testenv.StopS3()
	os.Exit(code)
}

// TestDump_RoundTripToPostgresAndS3 moves an installation from SQLite and
// a folder to a real PostgreSQL and a real S3-compatible server.
func TestDump_RoundTripToPostgresAndS3(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := testenv.S3(t)
	store, err := s3.Open(ctx, s3.Config{Bucket: srv.NewBucket(t), Prefix: "dagdeck", Endpoint: srv.Endpoint, Region: srv.Region, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	RoundTrip(t, localStores(t), Stores{db, store})
}
