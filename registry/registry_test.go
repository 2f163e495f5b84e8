package registry_test

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/dagdeck/dagdeck/registry"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopRegistries()
	os.Exit(code)
}

// anonymous is a keychain without credentials, so the tests never read
// the Docker config of whoever runs them.
var anonymous = registry.Resolver{Keychain: staticKeychain{authn.Anonymous}}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func TestResolve(t *testing.T) {
	t.Parallel()
	reg := testenv.Registry(t)
	repo := reg.Repository(t)
	first := reg.Push(t, repo+":1.0")

	t.Run("Tag", func(t *testing.T) {
		img, err := anonymous.Resolve(t.Context(), repo+":1.0")
		if err != nil {
			t.Fatal(err)
		}
		if img.Repository != repo || img.Tag != "1.0" || img.Digest != first || img.Pinned() != repo+"@"+first {
			t.Fatalf("resolved %+v, want %s:1.0 at %s", img, repo, first)
		}
	})
	t.Run("Digest", func(t *testing.T) {
		img, err := anonymous.Resolve(t.Context(), repo+"@"+first)
		if err != nil {
			t.Fatal(err)
		}
		if img.Repository != repo || img.Tag != "" || img.Digest != first {
			t.Fatalf("resolved %+v", img)
		}
	})
	t.Run("MovedTag", func(t *testing.T) {
		repo := reg.Repository(t)
		a := reg.Push(t, repo+":prod")
		b := reg.Push(t, repo+":prod")
		img, err := anonymous.Resolve(t.Context(), repo+":prod")
		if err != nil || a == b || img.Digest != b {
			t.Fatalf("resolved %+v, %v; pushed %s then %s", img, err, a, b)
		}
	})
}

func TestResolve_Errors(t *testing.T) {
	t.Parallel()
	reg := testenv.Registry(t)
	repo := reg.Repository(t)
	digest := reg.Push(t, repo+":1.0")
	unknownDigest := "sha256:" + strings.Repeat("ab", 32)

	tests := []struct {
		name     string
		ref      string
		kind     error
		wantText []string
	}{
		{"UnknownTag", repo + ":nope", registry.ErrNotFound, []string{repo + ":nope does not exist", "MANIFEST_UNKNOWN"}},
		{"UnknownRepository", reg.Host + "/no/such/repo:1", registry.ErrNotFound, []string{"does not exist", "the registry answered"}},
		{"UnknownDigest", repo + "@" + unknownDigest, registry.ErrNotFound, []string{"does not exist", "MANIFEST_UNKNOWN"}},
		{"NoTag", repo, registry.ErrInvalidReference, []string{"want repository:tag"}},
		{"Garbage", "UPPER CASE/x:1", registry.ErrInvalidReference, []string{"invalid image reference"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := anonymous.Resolve(t.Context(), tt.ref)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("resolve %s: %+v, %v; want %v", tt.ref, img, err, tt.kind)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	if _, err := anonymous.Resolve(t.Context(), repo+"@"+digest); err != nil {
		t.Fatalf("the pushed image itself: %v", err)
	}
}

func TestResolve_RegistryDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = anonymous.Resolve(t.Context(), host+"/etl:1.0")
	if !errors.Is(err, registry.ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach the registry "+host) {
		t.Fatalf("resolve against a closed port: %v", err)
	}
}

func TestResolve_Unauthorized(t *testing.T) {
	t.Parallel()
	reg := testenv.RegistryWithAuth(t)
	repo := reg.Repository(t)
	digest := reg.Push(t, repo+":1.0")

	_, err := anonymous.Resolve(t.Context(), repo+":1.0")
	if !errors.Is(err, registry.ErrUnauthorized) || !strings.Contains(err.Error(), "docker login "+reg.Host) || !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Fatalf("resolve without credentials: %v", err)
	}
	wrong := registry.Resolver{Keychain: staticKeychain{&authn.Basic{Username: reg.User, Password: "wrong"}}}
	if _, err := wrong.Resolve(t.Context(), repo+":1.0"); !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("resolve with a wrong password: %v", err)
	}
	right := registry.Resolver{Keychain: staticKeychain{&authn.Basic{Username: reg.User, Password: reg.Password}}}
	img, err := right.Resolve(t.Context(), repo+":1.0")
	if err != nil || img.Digest != digest {
		t.Fatalf("resolve with credentials: %+v, %v; want %s", img, err, digest)
	}
}

// TestResolve_DockerConfig checks that the zero Resolver takes credentials
// from the Docker config, as docker and crane do.
func TestResolve_DockerConfig(t *testing.T) {
	reg := testenv.RegistryWithAuth(t)
	repo := reg.Repository(t)
	digest := reg.Push(t, repo+":1.0")
	dir := t.TempDir()
	auth := base64(reg.User + ":" + reg.Password)
	config := `{"auths": {"` + reg.Host + `": {"auth": "` + auth + `"}}}`
	if err := os.WriteFile(dir+"/config.json", []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	img, err := new(registry.Resolver).Resolve(t.Context(), repo+":1.0")
	if err != nil || img.Digest != digest {
		t.Fatalf("resolve with the Docker config's credentials: %+v, %v", img, err)
	}
}
