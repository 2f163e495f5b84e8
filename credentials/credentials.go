// Package credentials stores the API tokens the dagdeck CLI uses, one per
// server, and each server's default Deployment, in a small JSON file
// readable only by its owner:
//
//	{"default": "http://127.0.0.1:8080",
//	 "servers": {"http://127.0.0.1:8080": {"token": "ddk_…", "deployment": "etl-prod"}}}
//
// The server saves its first admin token there when it starts for the first
// time, so the CLI on the same machine works without configuration.
package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotFound is returned by Load when no token is stored for the server
// (or there is no credentials file at all).
var ErrNotFound = errors.New("no stored credentials")

// file is the JSON layout of the credentials file.
type file struct {
	Default string            `json:"default,omitempty"`
	Servers map[string]server `json:"servers"`
}

type server struct {
	Token      string `json:"token"`
	Deployment string `json:"deployment,omitempty"`
}

// Path returns where the credentials file lives: $DAGDECK_CONFIG if set,
// else $XDG_CONFIG_HOME/dagdeck/credentials.json, else
// ~/.config/dagdeck/credentials.json.
func Path() (string, error) {
	if p := os.Getenv("DAGDECK_CONFIG"); p != "" {
		return p, nil
	}
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "dagdeck", "credentials.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find credentials file: %w", err)
	}
	return filepath.Join(home, ".config", "dagdeck", "credentials.json"), nil
}

// Normalize returns the form of a server URL used as a key: without
// trailing slashes.
func Normalize(serverURL string) string { return strings.TrimRight(serverURL, "/") }

// Load returns the token stored for serverURL, or ErrNotFound.
func Load(serverURL string) (token string, err error) {
	return lookup(serverURL, func(s server) string { return s.Token })
}

// Default returns the default server URL, or "" if none is stored or the
// file cannot be read.
func Default() (serverURL string) {
	f, err := read()
	if err != nil {
		return ""
	}
	return f.Default
}

// Save stores token for serverURL and makes it the default server, keeping
// the tokens of other servers. The file is written with mode 0600 through a
// temporary file and a rename, so a crash leaves the old file or the new one.
// It changes nothing and fails if the existing file cannot be parsed.
func Save(serverURL, token string) error {
	return update(serverURL, func(f *file, key string, s *server) {
		s.Token = token
		f.Default = key
	})
}

// LoadDeployment returns the default Deployment stored for serverURL, or
// ErrNotFound.
func LoadDeployment(serverURL string) (string, error) {
	return lookup(serverURL, func(s server) string { return s.Deployment })
}

// SaveDeployment stores name as the default Deployment of serverURL (""
// removes it), keeping the tokens and the default server. It writes the
// file like Save and fails, changing nothing, if it cannot be parsed.
func SaveDeployment(serverURL, name string) error {
	return update(serverURL, func(_ *file, _ string, s *server) { s.Deployment = name })
}

// lookup returns the field of serverURL's entry that field picks, or
// ErrNotFound when there is no entry or the field is empty.
func lookup(serverURL string, field func(server) string) (string, error) {
	f, err := read()
	if err != nil {
		return "", err
	}
	s, ok := f.Servers[Normalize(serverURL)]
	if !ok || field(s) == "" {
		return "", ErrNotFound
	}
	return field(s), nil
}

// update applies change to serverURL's entry (created if missing) and to
// the file, then writes it; nothing changes if the file cannot be parsed.
func update(serverURL string, change func(f *file, key string, s *server)) error {
	f, err := read()
	if errors.Is(err, ErrNotFound) {
		f, err = &file{}, nil
	}
	if err != nil {
		return err
	}
	if f.Servers == nil {
		f.Servers = map[string]server{}
	}
	key := Normalize(serverURL)
	s := f.Servers[key]
	change(f, key, &s)
	f.Servers[key] = s
	return write(f)
}

// read loads the credentials file; ErrNotFound if it does not exist.
func read() (*file, error) {
	p, err := Path()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read credentials %s: %w", p, err)
	}
	return &f, nil
}

// write replaces the credentials file with f atomically.
func write(f *file) error {
	p, err := Path()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	if err := writeFileAtomic(p, append(b, '\n')); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}

// writeFileAtomic writes b to a 0600 temporary file beside p, syncs it and
// renames it over p.
func writeFileAtomic(p string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".credentials-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
