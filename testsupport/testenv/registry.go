package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"
)

// registryInstallCommand installs the registry the tests run against.
const registryInstallCommand = "apt-get install -y docker-registry"

// registryStartTimeout bounds how long the registry may take to answer.
const registryStartTimeout = 30 * time.Second

// OCIRegistry is a running OCI registry (Distribution's docker-registry,
// filesystem storage in a temporary directory) on 127.0.0.1, plain HTTP.
type OCIRegistry struct {
	// Host is 127.0.0.1:PORT, the registry part of image references.
	Host string
	// User and Password are the only credentials it accepts; both are
	// empty when it needs none.
	User, Password string
}

// registryInstance is one registry started once per test binary.
type registryInstance struct {
	once    sync.Once
	running OCIRegistry
	proc    *child
	err     error
}

var (
	registryMu     sync.Mutex // guards the instances' proc and registryBaseDir against StopRegistries
	registryBase   string
	openRegistry   registryInstance
	authRegistry   registryInstance
	registryRepos  atomic.Int64
	registryUnsafe = regexp.MustCompile(`[^a-z0-9]+`)
)

// errRegistryNotInstalled means the docker-registry binary was not found.
var errRegistryNotInstalled = errors.New("docker-registry not found in PATH; install it with: " + registryInstallCommand)

// Registry returns the test binary's registry that needs no credentials,
// starting it on first use. If docker-registry is not installed, Registry
// skips the test, or fails it when the environment variable CI is "true".
func Registry(t testing.TB) OCIRegistry {
	t.Helper()
	return openRegistry.get(t, false)
}

// RegistryWithAuth returns the test binary's registry that answers 401
// unless a request carries its User and Password (htpasswd auth).
func RegistryWithAuth(t testing.TB) OCIRegistry {
	t.Helper()
	return authRegistry.get(t, true)
}

// StopRegistries stops the registries started by Registry and
// RegistryWithAuth and removes their data. Call it from TestMain after
// m.Run; on Linux they are killed with the test binary anyway.
func StopRegistries() {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, r := range []*registryInstance{&openRegistry, &authRegistry} {
		if r.proc != nil {
			r.proc.stop(5 * time.Second)
			r.proc = nil
		}
	}
	if registryBase != "" {
		os.RemoveAll(registryBase)
		registryBase = ""
	}
}

func (r *registryInstance) get(t testing.TB, auth bool) OCIRegistry {
	t.Helper()
	r.once.Do(func() { r.running, r.proc, r.err = registryStart(auth) })
	switch {
	case errors.Is(r.err, errRegistryNotInstalled) && os.Getenv("CI") != "true":
		t.Skip(r.err)
	case r.err != nil:
		t.Fatalf("start registry: %v", r.err)
	}
	return r.running
}

// Repository returns a repository reference (HOST/NAME) that no other test
// of this binary uses.
func (r OCIRegistry) Repository(t testing.TB) string {
	n := registryRepos.Add(1)
	slug := strings.Trim(registryUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(slug) > 60 {
		slug = slug[:60]
	}
	return fmt.Sprintf("%s/t%d-%s", r.Host, n, strings.Trim(slug, "-"))
}

// Push pushes a small random image to ref (repository:tag), moving the tag
// if it exists, and returns the image's manifest digest.
func (r OCIRegistry) Push(t testing.TB, ref string) string {
	t.Helper()
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatalf("random image: %v", err)
	}
	if err := remote.Write(tag, img, remote.WithAuth(r.authenticator()), remote.WithContext(t.Context())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatalf("digest of %s: %v", ref, err)
	}
	return digest.String()
}

func (r OCIRegistry) authenticator() authn.Authenticator {
	if r.User == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.User, Password: r.Password}
}

// registryStart starts a registry on a free port and waits until it answers.
func registryStart(auth bool) (OCIRegistry, *child, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return OCIRegistry{}, nil, errRegistryNotInstalled
	}
	dir, err := registryDir()
	if err != nil {
		return OCIRegistry{}, nil, err
	}
	var reg OCIRegistry
	if auth {
		reg.User, reg.Password = "dagdeck", "registry-test-password"
	}
	// Another process may take the free port before the registry binds it; retry then.
	for attempt := 1; ; attempt++ {
		if reg.Host, err = s3FreeAddr(); err != nil { // any free loopback port
			return OCIRegistry{}, nil, err
		}
		proc, err := registryLaunch(bin, dir, reg)
		if err == nil || attempt == 3 {
			return reg, proc, err
		}
	}
}

// registryDir returns a new directory under the registries' base directory.
func registryDir() (string, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if registryBase == "" {
		base, err := os.MkdirTemp("", "dagdeck-registry-")
		if err != nil {
			return "", err
		}
		registryBase = base
	}
	return os.MkdirTemp(registryBase, "registry-")
}

// registryLaunch writes reg's configuration into dir, starts the registry
// and waits until it answers.
func registryLaunch(bin, dir string, reg OCIRegistry) (*child, error) {
	config, err := registryConfig(dir, reg)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = s3SysProcAttr() // as for versitygw: killed with the test binary on Linux
	c, err := startChild(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := c.waitHTTP("http://"+reg.Host+"/v2/", registryStartTimeout); err != nil { // 200, or 401 with auth: it is serving
		c.stop(5 * time.Second)
		log, _ := os.ReadFile(logFile.Name())
		return nil, fmt.Errorf("docker-registry on %s: %w; its output:\n%s", reg.Host, err, log)
	}
	return c, nil
}

// registryConfig writes the registry's config.yml (and htpasswd file when
// reg has credentials) into dir and returns the config's path.
func registryConfig(dir string, reg OCIRegistry) (string, error) {
	storage := filepath.Join(dir, "storage")
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: dagdeck-test-secret
`, storage, reg.Host)
	if reg.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(reg.Password), bcrypt.MinCost)
		if err != nil {
			return "", err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(reg.User+":"+string(hash)+"\n"), 0o600); err != nil {
			return "", err
		}
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: dagdeck-test\n    path: %s\n", htpasswd)
	}
	path := filepath.Join(dir, "config.yml")
	return path, os.WriteFile(path, []byte(config), 0o600)
}
