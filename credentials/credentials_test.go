package credentials_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dagdeck/dagdeck/credentials"
)

// The tests change environment variables, so they do not run in parallel.

func TestPath(t *testing.T) {
	t.Setenv("DAGDECK_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/ana")
	tests := []struct {
		name, config, xdg, want string
	}{
		{"DAGDECK_CONFIG", "/etc/dd.json", "/xdg", "/etc/dd.json"},
		{"XDG", "", "/xdg", "/xdg/dagdeck/credentials.json"},
		{"home", "", "", "/home/ana/.config/dagdeck/credentials.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DAGDECK_CONFIG", tt.config)
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)
			got, err := credentials.Path()
			if err != nil || got != tt.want {
				t.Fatalf("Path() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "credentials.json")
	t.Setenv("DAGDECK_CONFIG", p)

	if _, err := credentials.Load("http://a"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Load before Save: %v", err)
	}
	if got := credentials.Default(); got != "" {
		t.Fatalf("Default before Save = %q", got)
	}
	if err := credentials.Save("http://a/", "ddk_a"); err != nil {
		t.Fatal(err)
	}
	if err := credentials.Save("http://b", "ddk_b"); err != nil {
		t.Fatal(err)
	}
	for server, want := range map[string]string{"http://a": "ddk_a", "http://b/": "ddk_b"} {
		if got, err := credentials.Load(server); err != nil || got != want {
			t.Fatalf("Load(%q) = %q, %v; want %q", server, got, err, want)
		}
	}
	if got := credentials.Default(); got != "http://b" {
		t.Fatalf("Default = %q", got)
	}
	if _, err := credentials.Load("http://c"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Load unknown server: %v", err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, mode %v", err, fi.Mode())
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestLoad_Corrupt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "credentials.json")
	t.Setenv("DAGDECK_CONFIG", p)
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := credentials.Load("http://a"); err == nil || errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Load of a corrupt file: %v", err)
	}
	if err := credentials.Save("http://a", "x"); err == nil {
		t.Fatal("Save over a corrupt file succeeded; it would drop other servers' tokens")
	}
}

func TestSaveDeployment(t *testing.T) {
	p := filepath.Join(t.TempDir(), "credentials.json")
	t.Setenv("DAGDECK_CONFIG", p)

	if _, err := credentials.LoadDeployment("http://a"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("LoadDeployment before any save: %v", err)
	}
	if err := credentials.Save("http://a", "ddk_a"); err != nil {
		t.Fatal(err)
	}
	if err := credentials.SaveDeployment("http://a/", "etl-prod"); err != nil {
		t.Fatal(err)
	}
	if err := credentials.SaveDeployment("http://b", "etl-dev"); err != nil {
		t.Fatal(err)
	}
	for server, want := range map[string]string{"http://a": "etl-prod", "http://b/": "etl-dev"} {
		if got, err := credentials.LoadDeployment(server); err != nil || got != want {
			t.Fatalf("LoadDeployment(%q) = %q, %v; want %q", server, got, err, want)
		}
	}
	// The token and the default server survive, and a new token keeps the
	// saved Deployment.
	if got, err := credentials.Load("http://a"); err != nil || got != "ddk_a" || credentials.Default() != "http://a" {
		t.Fatalf("token %q, %v; default %q", got, err, credentials.Default())
	}
	if err := credentials.Save("http://a", "ddk_new"); err != nil {
		t.Fatal(err)
	}
	if got, _ := credentials.LoadDeployment("http://a"); got != "etl-prod" {
		t.Fatalf("a new token dropped the default Deployment: %q", got)
	}
	if err := credentials.SaveDeployment("http://a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := credentials.LoadDeployment("http://a"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("LoadDeployment after clearing: %v", err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v", err)
	}
}
