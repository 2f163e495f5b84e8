package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/postgres"
	"github.com/dagdeck/dagdeck/s3"
	"github.com/dagdeck/dagdeck/sqlite"
	"github.com/spf13/pflag"
)

// Database kinds of --database-url.
const (
	dbSQLite   = "sqlite"
	dbPostgres = "postgres"
)

// parseDatabaseURL says which database a URL names: sqlite and the file
// path (sqlite:///path/to/dagdeck.db), or postgres and the URL itself.
func parseDatabaseURL(rawURL string) (kind, target string, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	switch {
	case ok && scheme == "sqlite" && rest != "":
		return dbSQLite, rest, nil
	case ok && scheme == "sqlite":
		return "", "", fmt.Errorf("database URL %q names no file", redact(rawURL))
	case ok && (scheme == "postgres" || scheme == "postgresql"):
		return dbPostgres, rawURL, nil
	}
	return "", "", fmt.Errorf("database URL %q: want sqlite:///path/dagdeck.db or postgres://…", redact(rawURL))
}

// redact hides the password of a URL for logs and messages.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// openStore opens and migrates the metadata store named by a URL.
func openStore(ctx context.Context, rawURL string) (dagdeck.Store, error) {
	kind, target, err := parseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if kind == dbSQLite {
		db, err := sqlite.Open(ctx, target)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return db, nil
	}
	db, err := postgres.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// openArtifacts opens the artifact store named by a URL:
// file:///path/to/dir (default) or s3://bucket/prefix.
func openArtifacts(ctx context.Context, rawURL string) (dagdeck.ArtifactStore, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("artifacts URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Path == "" {
			return nil, fmt.Errorf("artifacts URL %q names no folder", rawURL)
		}
		fs, err := file.Open(filepath.FromSlash(u.Path))
		if err != nil {
			return nil, err
		}
		return fs, nil
	case "s3":
		c, err := s3.ConfigFromURL(rawURL)
		if err != nil {
			return nil, err
		}
		store, err := s3.Open(ctx, c)
		if err != nil {
			return nil, err
		}
		return store, nil
	}
	return nil, fmt.Errorf("artifacts URL %q: unknown scheme %q (want file or s3)", rawURL, u.Scheme)
}

// resolveBackends fills in the default backend URLs: a SQLite database and
// an artifact folder inside dataDir, which it creates if needed.
func resolveBackends(dataDir string, databaseURL, artifactsURL *string) error {
	if *databaseURL != "" && *artifactsURL != "" {
		return nil
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if *databaseURL == "" {
		*databaseURL = "sqlite://" + filepath.Join(dir, "dagdeck.db")
	}
	if *artifactsURL == "" {
		*artifactsURL = "file://" + filepath.ToSlash(filepath.Join(dir, "artifacts"))
	}
	return nil
}

// backendFlags are the flags that choose the stores, shared by server,
// migrate, export and import.
type backendFlags struct {
	DataDir, DatabaseURL, ArtifactsURL string
}

func (b *backendFlags) register(f *pflag.FlagSet) {
	f.StringVar(&b.DataDir, "data-dir", defaultDataDir(), "directory for the default SQLite database and artifact folder (env DAGDECK_DATA)")
	f.StringVar(&b.DatabaseURL, "database-url", os.Getenv("DAGDECK_DATABASE_URL"), "metadata store: sqlite:///path/dagdeck.db or postgres://… (default: SQLite in the data directory; env DAGDECK_DATABASE_URL)")
	f.StringVar(&b.ArtifactsURL, "artifacts", os.Getenv("DAGDECK_ARTIFACTS"), "artifact store: file:///path or s3://bucket/prefix (default: a folder in the data directory; env DAGDECK_ARTIFACTS)")
}

func (b *backendFlags) resolve() error {
	return resolveBackends(b.DataDir, &b.DatabaseURL, &b.ArtifactsURL)
}

// cleanTemp removes temporary upload files that crashed or cancelled
// uploads left behind more than an hour ago.
func cleanTemp(ctx context.Context, artifacts dagdeck.ArtifactStore) (int, error) {
	switch a := artifacts.(type) {
	case *file.Store:
		return a.CleanTemp(time.Hour)
	case *s3.Store:
		return a.CleanTemp(ctx, time.Hour)
	}
	return 0, nil
}

// defaultDataDir is where dagdeck keeps its data without --data-dir:
// $DAGDECK_DATA, else $XDG_DATA_HOME/dagdeck, else ~/.local/share/dagdeck —
// never the current folder, which is often a project that gets deployed.
func defaultDataDir() string {
	if d := os.Getenv("DAGDECK_DATA"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "dagdeck")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "dagdeck")
	}
	return ".dagdeck"
}
