package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/sqlite"
)

// openStore opens the metadata store named by a URL:
// sqlite:///path/to/dagdeck.db (default) or postgres://….
func openStore(ctx context.Context, rawURL string) (dagdeck.Store, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("database URL %q: want sqlite:///path or postgres://…", rawURL)
	}
	switch scheme {
	case "sqlite":
		path := rest
		if path == "" {
			return nil, fmt.Errorf("database URL %q names no file", rawURL)
		}
		return sqlite.Open(ctx, path)
	case "postgres", "postgresql":
		return openPostgres(ctx, rawURL)
	}
	return nil, fmt.Errorf("database URL %q: unknown scheme %q (want sqlite or postgres)", rawURL, scheme)
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
		return file.Open(filepath.FromSlash(u.Path))
	case "s3":
		return openS3(ctx, rawURL)
	}
	return nil, fmt.Errorf("artifacts URL %q: unknown scheme %q (want file or s3)", rawURL, u.Scheme)
}
