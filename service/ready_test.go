package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// hangingArtifacts is an artifact store whose lookups never answer, like
// an S3 server that accepts connections and says nothing.
type hangingArtifacts struct{ dagdeck.ArtifactStore }

func (hangingArtifacts) Stat(ctx context.Context, digest string) (dagdeck.BlobInfo, error) {
	<-ctx.Done()
	return dagdeck.BlobInfo{}, ctx.Err()
}

func TestService_Ready(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		res := e.svc.Ready(context.Background())
		if res.Status != dagdeck.ReadyOK || len(res.Checks) != 2 || res.Checks[0].Name != "database" || res.Checks[1].Name != "artifacts" {
			t.Fatalf("readiness = %+v", res)
		}
		for _, c := range res.Checks {
			if c.Status != dagdeck.ReadyOK || c.Error != "" {
				t.Fatalf("check = %+v", c)
			}
		}
	})
	t.Run("ErrArtifactsHang", func(t *testing.T) {
		db, fs := apitest.LocalStores(t)
		// The timeout bounds each check: generous enough for the database
		// on a loaded machine, while the hanging store never answers.
		svc := service.New(db, hangingArtifacts{fs}, service.WithReadyTimeout(2*time.Second))
		res := svc.Ready(context.Background())
		if res.Status != dagdeck.ReadyUnavailable || res.Checks[0].Status != dagdeck.ReadyOK ||
			res.Checks[1].Status != dagdeck.ReadyUnavailable || res.Checks[1].Error != "did not answer within 2s" {
			t.Fatalf("readiness = %+v", res)
		}
	})
	t.Run("ErrDatabaseClosed", func(t *testing.T) {
		db, fs := apitest.LocalStores(t)
		svc := service.New(db, fs)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		res := svc.Ready(context.Background())
		if res.Status != dagdeck.ReadyUnavailable || res.Checks[0].Status != dagdeck.ReadyUnavailable || res.Checks[0].Error != "failed" || res.Checks[1].Status != dagdeck.ReadyOK {
			t.Fatalf("readiness = %+v", res)
		}
	})
}
