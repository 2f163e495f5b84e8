package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// mustOpen opens and migrates the database at url, closed when t ends.
func mustOpen(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// holdLock runs lock in an Update that keeps its locks until release is
// closed; it returns once the locks are taken, and the Update's result
// arrives on the returned channel.
func holdLock(t *testing.T, db *DB, lock func(ctx context.Context, tx dagdeck.Tx) error, release <-chan struct{}) <-chan error {
	t.Helper()
	held := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(tx dagdeck.Tx) error {
			if err := lock(context.Background(), tx); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("taking the first lock: %v", err)
	}
	return done
}

// tryLock runs lock in an Update and sends its result on the returned channel.
func tryLock(db *DB, lock func(ctx context.Context, tx dagdeck.Tx) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(tx dagdeck.Tx) error { return lock(context.Background(), tx) })
	}()
	return done
}

// waitBlocked waits until a session of the database waits for a lock.
func waitBlocked(t *testing.T, db *DB) {
	t.Helper()
	apitest.WaitFor(t, 10*time.Second, "a session to wait for a lock", func() bool {
		var n int
		err := db.db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
}

// wantDone waits for an Update's result and fails t on error or after a deadline.
func wantDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("transaction still blocked after 10s")
	}
}

func wantBlocked(t *testing.T, db *DB, done <-chan error) {
	t.Helper()
	waitBlocked(t, db)
	select {
	case err := <-done:
		t.Fatalf("transaction finished (%v) while the lock was held", err)
	default:
	}
}

func TestLockDeployment(t *testing.T) {
	db := mustOpen(t, testenv.PostgresURL(t))
	d := &dagdeck.Deployment{ID: dagdeck.NewID(), Name: "etl", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.Update(t.Context(), func(tx dagdeck.Tx) error { return tx.CreateDeployment(t.Context(), d) }); err != nil {
		t.Fatal(err)
	}
	lock := func(ctx context.Context, tx dagdeck.Tx) error { return tx.LockDeployment(ctx, d.ID) }
	release := make(chan struct{})
	first := holdLock(t, db, lock, release)
	second := tryLock(db, lock)
	wantBlocked(t, db, second)
	close(release)
	wantDone(t, first)
	wantDone(t, second)
}

func TestLockGC(t *testing.T) {
	db := mustOpen(t, testenv.PostgresURL(t))
	shared := func(ctx context.Context, tx dagdeck.Tx) error { return tx.LockGC(ctx, false) }
	exclusive := func(ctx context.Context, tx dagdeck.Tx) error { return tx.LockGC(ctx, true) }

	release := make(chan struct{})
	first := holdLock(t, db, shared, release)
	wantDone(t, tryLock(db, shared)) // shared locks coexist
	gc := tryLock(db, exclusive)
	wantBlocked(t, db, gc) // the collector waits for deploys
	close(release)
	wantDone(t, first)
	wantDone(t, gc)

	release = make(chan struct{})
	first = holdLock(t, db, exclusive, release)
	deploy := tryLock(db, shared)
	wantBlocked(t, db, deploy) // deploys wait for the collector
	close(release)
	wantDone(t, first)
	wantDone(t, deploy)
}
