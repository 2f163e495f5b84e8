package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// PostgresCluster is a PostgreSQL cluster of one test's own, which the test
// may stop and start again (on the same port, with the same data) to see
// how dagdeck behaves while its database is unreachable. Other tests use
// PostgresURL's shared cluster and are never disturbed.
type PostgresCluster struct {
	mu       sync.Mutex
	bin      string
	base     string
	data     string
	port     int
	runAs    *pgUser
	proc     *pgProcess
	adminURL string
}

// NewPostgresCluster starts a cluster for t alone, stopped and removed when
// t ends. It skips t when PostgreSQL is not installed (fails it with
// CI=true), like PostgresURL.
func NewPostgresCluster(t testing.TB) *PostgresCluster {
	t.Helper()
	// Not t.TempDir: when running as root, the cluster runs as an
	// unprivileged user, who cannot enter the test's private directory.
	dir, err := os.MkdirTemp("", "dagdeck-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := newPostgresCluster(dir)
	switch {
	case errors.Is(err, errPgNotInstalled) && os.Getenv("CI") != "true":
		t.Skip(err)
	case err != nil:
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func newPostgresCluster(dir string) (*PostgresCluster, error) {
	bin, err := pgFindBinaries()
	if err != nil {
		return nil, err
	}
	runAs, err := pgLookupUser()
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp(dir, "pg-")
	if err != nil {
		return nil, err
	}
	if err := pgChown(base, runAs); err != nil {
		return nil, err
	}
	c := &PostgresCluster{bin: bin, base: base, data: filepath.Join(base, "data"), runAs: runAs}
	if err := pgInitdb(bin, c.data, runAs); err != nil {
		return nil, err
	}
	if c.port, err = pgFreePort(); err != nil {
		return nil, err
	}
	c.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, c.Start()
}

// NewDatabase creates an empty database on the cluster and returns its URL.
func (c *PostgresCluster) NewDatabase(t testing.TB) string {
	t.Helper()
	return createDatabase(t, c.adminURL)
}

// Stop shuts the cluster down (fast shutdown: connections are closed); a
// stopped cluster refuses connections. Stopping a stopped cluster does nothing.
func (c *PostgresCluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		c.proc.stop()
		c.proc = nil
	}
}

// Start starts the stopped cluster again on its port and waits until it
// accepts connections.
func (c *PostgresCluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		return nil
	}
	p, err := pgLaunch(c.bin, c.base, c.data, c.port, c.runAs)
	c.proc = p
	return err
}

// S3Instance is an S3 server of one test's own, which the test may stop and
// start again (on the same address, with the same objects) to see how
// dagdeck behaves while its artifact store is unreachable.
type S3Instance struct {
	S3Server
	mu   sync.Mutex
	bin  string
	root string
	proc *s3Process
}

// NewS3Instance starts an S3 server for t alone, stopped and removed when
// t ends. It skips t when versitygw is not installed (fails it with
// CI=true), like S3.
func NewS3Instance(t testing.TB) *S3Instance {
	t.Helper()
	s, err := newS3Instance(t.TempDir())
	switch {
	case errors.Is(err, errS3NotInstalled) && os.Getenv("CI") != "true":
		t.Skip(err)
	case err != nil:
		t.Fatalf("start S3 server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func newS3Instance(dir string) (*S3Instance, error) {
	bin, err := s3FindBinary()
	if err != nil {
		return nil, err
	}
	s := &S3Instance{bin: bin, root: filepath.Join(dir, "root")}
	s.S3Server = S3Server{AccessKey: "dagdecktest", SecretKey: "dagdecktest-secret-key-0123456789", Region: "us-east-1"}
	if err := os.Mkdir(s.root, 0o755); err != nil {
		return nil, err
	}
	if s.Endpoint, err = s3FreeAddr(); err != nil {
		return nil, err
	}
	return s, s.Start()
}

// Stop stops the server; a stopped server refuses connections. Stopping a
// stopped server does nothing.
func (s *S3Instance) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}

// Start starts the stopped server again on its address and waits until it
// serves requests.
func (s *S3Instance) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	p, err := s3LaunchIn(s.bin, s.root, s.S3Server)
	s.proc = p
	return err
}
