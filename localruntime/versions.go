package localruntime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
	"github.com/dagdeck/dagdeck/dagfile"
)

// version is one code state of a Deployment, materialized and parsed.
type version struct {
	deploy *dagdeck.Deploy
	// key names the version directory: a digest of the code (image and DAG
	// bundle), so deploys with the same code share one directory.
	key  string
	dir  string
	dags []*dagfile.Dag
	errs []*dagfile.ImportError
	// reported is set once the DAGs are reported to the control plane.
	reported bool
}

// dag returns the DAG with that id, or nil.
func (v *version) dag(id string) *dagfile.Dag {
	for _, d := range v.dags {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// versionSet manages a Deployment's version directories:
//
//	<root>/versions/<key>/   immutable, one per code state
//	<root>/current           symlink to versions/<key>, switched atomically
//
// A directory is removed only when it is neither current nor used by a
// running try, and is not one of the keep most recently activated.
type versionSet struct {
	root    string
	backend Backend
	keep    int
	current string
	recent  []string // keys activated, newest first
}

func newVersionSet(root string, backend Backend, keep int) *versionSet {
	return &versionSet{root: root, backend: backend, keep: keep}
}

// versionKey is the directory name of d's code state.
func versionKey(d *dagdeck.Deploy) string {
	sum := sha256.Sum256([]byte(d.ImageDigest + "\n" + d.DagBundleDigest))
	return hex.EncodeToString(sum[:16])
}

func (vs *versionSet) dir(key string) string { return filepath.Join(vs.root, "versions", key) }

// prepare materializes d's code (once per code state) and loads its DAGs.
func (vs *versionSet) prepare(ctx context.Context, d *dagdeck.Deploy) (*version, error) {
	key := versionKey(d)
	dir := vs.dir(key)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := vs.materialize(ctx, d, dir); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	dags, errs := dagfile.LoadDir(os.DirFS(dir), dagfile.Options{RuntimeVersion: d.RuntimeVersion})
	return &version{deploy: d, key: key, dir: dir, dags: dags, errs: errs}, nil
}

// materialize writes d's files into dir, atomically (bundle.Materialize
// builds a temporary directory, verifies every digest, then renames it).
func (vs *versionSet) materialize(ctx context.Context, d *dagdeck.Deploy, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	ms, err := vs.manifests(ctx, d)
	if err != nil {
		return err
	}
	open := func(digest string) (io.ReadCloser, error) { return vs.backend.OpenBlob(ctx, digest) }
	if err := bundle.Materialize(ctx, dir, open, ms...); err != nil {
		return fmt.Errorf("materialize the code of %s: %w", d, err)
	}
	return nil
}

// manifests loads d's image and DAG bundle manifests. When both exist, the
// bundle owns dags/ and the image's dags/ files (from a time DAG deploys
// were disabled) are left out.
func (vs *versionSet) manifests(ctx context.Context, d *dagdeck.Deploy) ([]*dagdeck.Manifest, error) {
	var ms []*dagdeck.Manifest
	if d.ImageDigest != "" {
		m, err := vs.manifest(ctx, d.ImageDigest)
		if err != nil {
			return nil, err
		}
		if d.DagBundleDigest != "" {
			m.Files = slices.DeleteFunc(m.Files, func(f dagdeck.ManifestFile) bool {
				return strings.HasPrefix(f.Path, dagfile.DagsDir+"/")
			})
		}
		ms = append(ms, m)
	}
	if d.DagBundleDigest != "" {
		m, err := vs.manifest(ctx, d.DagBundleDigest)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func (vs *versionSet) manifest(ctx context.Context, digest string) (*dagdeck.Manifest, error) {
	rc, err := vs.backend.OpenBlob(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("open manifest %s: %w", digest, err)
	}
	defer rc.Close()
	var m dagdeck.Manifest
	if err := json.NewDecoder(io.LimitReader(rc, 256<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", digest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", digest, err)
	}
	return &m, nil
}

// setCurrent points <root>/current at v's directory: a new symlink renamed
// over the old one, so the pointer is always whole.
func (vs *versionSet) setCurrent(v *version) error {
	tmp := filepath.Join(vs.root, ".current.tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Join("versions", v.key), tmp); err != nil {
		return fmt.Errorf("switch current version: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(vs.root, "current")); err != nil {
		return fmt.Errorf("switch current version: %w", err)
	}
	vs.current = v.key
	vs.recent = slices.DeleteFunc(vs.recent, func(k string) bool { return k == v.key })
	vs.recent = slices.Insert(vs.recent, 0, v.key)
	return nil
}

// collect removes the version directories that are not current, not used
// by a running try (inUse counts tries per key) and not among the keep
// most recent. Unknown entries (left by a crash) go too.
func (vs *versionSet) collect(inUse map[string]int) {
	entries, err := os.ReadDir(filepath.Join(vs.root, "versions"))
	if err != nil {
		return
	}
	keep := map[string]bool{vs.current: true}
	for i, k := range vs.recent {
		if i > vs.keep {
			break
		}
		keep[k] = true
	}
	for _, e := range entries {
		if keep[e.Name()] || inUse[e.Name()] > 0 {
			continue
		}
		_ = os.RemoveAll(filepath.Join(vs.root, "versions", e.Name()))
	}
}
