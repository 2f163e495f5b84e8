package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgStartTimeout bounds how long initdb plus the server start may take.
const pgStartTimeout = 60 * time.Second

// pgRunAs is the unprivileged user the cluster runs as when the tests run
// as root: PostgreSQL refuses to run as root.
const pgRunAs = "nobody"

var (
	pgOnce     sync.Once
	pgMu       sync.Mutex // guards pgProc and pgBaseDir against StopPostgres
	pgProc     *pgProcess
	pgBaseDir  string
	pgAdminURL string
	pgStartErr error
)

// errPgNotInstalled means the PostgreSQL server binaries were not found.
var errPgNotInstalled = errors.New("PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin or PATH; install PostgreSQL 15 (apt-get install postgresql-15) or set DAGDECK_PG_BIN to their directory")

// PostgresURL returns the URL of a new, empty database on the test binary's
// throwaway PostgreSQL cluster, starting the cluster on first use (initdb in
// a temporary directory, listening on 127.0.0.1 on a free port, fsync off).
// Each call creates a database of its own, so tests are isolated.
//
// If PostgreSQL is not installed, PostgresURL skips the test, or fails it
// when the environment variable CI is "true". Call StopPostgres from
// TestMain to stop the cluster and remove its files; on Linux the server is
// killed with the test binary anyway.
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgStartErr = pgStart() })
	switch {
	case errors.Is(pgStartErr, errPgNotInstalled) && os.Getenv("CI") != "true":
		t.Skip(pgStartErr)
	case pgStartErr != nil:
		t.Fatalf("start PostgreSQL: %v", pgStartErr)
	}
	return createDatabase(t, pgAdminURL)
}

// createDatabase creates an empty database on the cluster of adminURL and
// returns its URL.
func createDatabase(t testing.TB, adminURL string) string {
	t.Helper()
	name := "test_" + pgRandomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return pgDatabaseURL(adminURL, name)
}

// StopPostgres stops the cluster started by PostgresURL, if any, and
// removes its files. Call it from TestMain after m.Run; PostgresURL must not
// be called afterwards.
func StopPostgres() {
	pgMu.Lock()
	defer pgMu.Unlock()
	if pgProc != nil {
		pgProc.stop()
		pgProc = nil
	}
	if pgBaseDir != "" {
		os.RemoveAll(pgBaseDir)
		pgBaseDir = ""
	}
}

// pgStart creates a cluster in a new temporary directory and starts it.
func pgStart() error {
	bin, err := pgFindBinaries()
	if err != nil {
		return err
	}
	runAs, err := pgLookupUser()
	if err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "dagdeck-postgres-")
	if err != nil {
		return err
	}
	pgMu.Lock()
	defer pgMu.Unlock()
	pgBaseDir = base
	if err := pgChown(base, runAs); err != nil {
		return err
	}
	data := filepath.Join(base, "data")
	if err := pgInitdb(bin, data, runAs); err != nil {
		return err
	}
	// Another process may take the free port before postgres binds it; retry then.
	for attempt := 1; ; attempt++ {
		port, err := pgFreePort()
		if err != nil {
			return err
		}
		pgAdminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
		pgProc, err = pgLaunch(bin, base, data, port, runAs)
		if err == nil || attempt == 3 {
			return err
		}
	}
}

// pgFindBinaries returns the directory holding initdb and postgres:
// $DAGDECK_PG_BIN, the newest /usr/lib/postgresql/*/bin, or PATH's.
func pgFindBinaries() (string, error) {
	var dirs []string
	if d := os.Getenv("DAGDECK_PG_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { return pgMajor(versioned[i]) > pgMajor(versioned[j]) })
	dirs = append(dirs, versioned...)
	if p, err := exec.LookPath("postgres"); err == nil {
		if p, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, d := range dirs {
		if pgIsExecutable(filepath.Join(d, "initdb")) && pgIsExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errPgNotInstalled
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func pgIsExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// pgUser is the account the cluster runs as; nil means the current one.
type pgUser struct {
	Name     string
	UID, GID uint32
}

// pgLookupUser returns the unprivileged user to run as when running as
// root, and nil otherwise.
func pgLookupUser() (*pgUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(pgRunAs)
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: look up user %q to run it as: %w", pgRunAs, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %q: %w", pgRunAs, err)
	}
	return &pgUser{Name: u.Username, UID: uint32(uid), GID: uint32(gid)}, nil
}

// pgChown gives dir to u (when running as root).
func pgChown(dir string, u *pgUser) error {
	if u == nil {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, int(u.UID), int(u.GID))
	})
}

// pgInitdb creates a cluster in data with a trusted superuser "postgres".
func pgInitdb(bin, data string, u *pgUser) error {
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.Dir = filepath.Dir(data)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = pgSysProcAttr(u)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w; its output:\n%s", err, out)
	}
	return nil
}

// pgFreePort returns a loopback port that was free just now.
func pgFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// pgProcess is a running postmaster.
type pgProcess struct{ *child }

// pgLaunch starts postgres on data and waits until it accepts connections.
func pgLaunch(bin, base, data string, port int, u *pgUser) (*pgProcess, error) {
	logPath := filepath.Join(base, fmt.Sprintf("postgres-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+base, "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=300", "-c", "logging_collector=off")
	cmd.Dir = base
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = pgSysProcAttr(u)

	c, err := startChild(cmd)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p := &pgProcess{c}
	if err := p.waitReady(fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("postgres on port %d: %w; its log:\n%s", port, err, log)
	}
	return p, nil
}

// waitReady polls the server until it accepts a connection, it exits or a
// deadline passes.
func (p *pgProcess) waitReady(adminURL string) error {
	deadline := time.NewTimer(pgStartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, adminURL)
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-p.exited:
			return fmt.Errorf("exited before accepting connections: %v", p.cmd.ProcessState)
		case <-deadline.C:
			return fmt.Errorf("not accepting connections after %v: %w", pgStartTimeout, err)
		case <-tick.C:
		}
	}
}

// stop shuts the server down (fast shutdown), killing it if it does not exit promptly.
func (p *pgProcess) stop() { p.child.stop(10 * time.Second) }

// pgDatabaseURL returns adminURL with its database replaced by name.
func pgDatabaseURL(adminURL, name string) string {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		panic(err) // adminURL is ours
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

func pgRandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
