package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/testenv"
)

// TestE2E_ImagePinnedByDigest deploys external images from a real registry
// that needs credentials, moves the tag, and rolls back both ways between
// external and packaged images, with the real binary.
func TestE2E_ImagePinnedByDigest(t *testing.T) {
	reg := testenv.RegistryWithAuth(t)
	repo := reg.Repository(t)
	ref := repo + ":prod"
	first := reg.Push(t, ref)

	s := NewServer(t)
	dockerConfig := t.TempDir()
	s.Env = append(s.Env, "DOCKER_CONFIG="+dockerConfig)
	s.Start(t)
	dir := t.TempDir()
	WriteProject(t, dir, project("1.1.0", "report v1"))
	s.MustRun(t, dir, "deployment", "create", "--name", "etl")

	// Refused before anything is recorded: no credentials, then an unknown tag.
	wantRefused(t, s, dir, ref, "refused access to "+ref, "docker login "+reg.Host, "nothing was deployed")
	writeDockerConfig(t, dockerConfig, reg)
	wantRefused(t, s, dir, repo+":nope", "does not exist", "MANIFEST_UNKNOWN", "nothing was deployed")

	var ext1 dagdeck.Deploy
	s.JSON(t, dir, &ext1, "deploy", dir, "-d", "etl", "--image-name", ref, "--description", "external image")
	if ext1.ImageRegistryDigest != first || ext1.ImageDigest != "" || ext1.ImageTag != "prod" || ext1.PinnedImage() != repo+"@"+first {
		t.Fatalf("first external deploy = %+v, pushed %s", ext1, first)
	}

	second := reg.Push(t, ref) // the tag moves
	var ext2 dagdeck.Deploy
	s.JSON(t, dir, &ext2, "deploy", dir, "-d", "etl", "--image", "--image-name", ref, "--description", "same tag, new image")
	if ext2.Type != dagdeck.DeployImageOnly || ext2.ImageRegistryDigest != second || ext2.DagBundleDigest != ext1.DagBundleDigest {
		t.Fatalf("image-only external deploy = %+v, pushed %s", ext2, second)
	}
	var packaged dagdeck.Deploy
	s.JSON(t, dir, &packaged, "deploy", dir, "-d", "etl", "--image", "--description", "back to our own image")
	if packaged.ImageDigest == "" || packaged.ImageRegistryDigest != "" || packaged.DagBundleDigest != ext1.DagBundleDigest {
		t.Fatalf("packaged image-only deploy = %+v", packaged)
	}

	table := s.MustRun(t, dir, "deploys", "list", "-d", "etl")
	wantLines(t, table, repo+":prod @"+first[:19], repo+":prod @"+second[:19], packaged.ImageTag)
	wantLines(t, s.MustRun(t, dir, "deploys", "inspect", ext1.ID), "Image pinned:", repo+"@"+first)

	plan := s.MustRun(t, dir, "rollback", "#1", "-d", "etl", "--dry-run")
	wantLines(t, plan, "Image pinned:", "→ "+repo+"@"+first,
		"The tag "+ref+" now points elsewhere ("+second+"); the rollback restores the pinned "+repo+"@"+first)

	// Packaged → external: the pinned digest comes back, not the moved tag.
	var res dagdeck.RollbackResult
	s.JSON(t, dir, &res, "rollback", "#1", "-d", "etl", "--description", "the old image", "--yes")
	if d := res.Deploy; d.ImageRegistryDigest != first || d.ImageDigest != "" || d.RollbackFromID != ext1.ID {
		t.Fatalf("rollback to the external image = %+v", d)
	}
	// External → packaged.
	s.JSON(t, dir, &res, "rollback", packaged.ID, "--description", "our own image again", "--yes")
	if d := res.Deploy; d.ImageDigest != packaged.ImageDigest || d.ImageRegistryDigest != "" || d.ImageTag != packaged.ImageTag {
		t.Fatalf("rollback to the packaged image = %+v", d)
	}
	var h history
	s.JSON(t, dir, &h, "deploys", "list", "-d", "etl")
	if len(h.Deploys) != 5 {
		t.Fatalf("history has %d deploys, want 5 (no refused deploy recorded)", len(h.Deploys))
	}
}

// wantRefused runs a deploy of ref that must fail with wants in its error
// and leave the history empty.
func wantRefused(t *testing.T, s *Server, dir, ref string, wants ...string) {
	t.Helper()
	res := s.Run(t, dir, "deploy", dir, "-d", "etl", "--image-name", ref)
	if res.Code != 1 {
		t.Fatalf("deploy of %s: exit %d\n%s", ref, res.Code, res.Stdout)
	}
	wantLines(t, res.Stderr, wants...)
	var h history
	s.JSON(t, dir, &h, "deploys", "list", "-d", "etl")
	if len(h.Deploys) != 0 {
		t.Fatalf("a refused deploy was recorded: %+v", h.Deploys[0])
	}
}

// writeDockerConfig gives the registry's credentials to the CLI the way
// `docker login` does.
func writeDockerConfig(t *testing.T, dir string, reg testenv.OCIRegistry) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(reg.User + ":" + reg.Password))
	config := `{"auths": {"` + reg.Host + `": {"auth": "` + auth + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantLines(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
