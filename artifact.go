package dagdeck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// DAGDir is the project folder whose files form the DAG bundle: its one
// name, which the manifest kind and the archive part of the bundle share.
const DAGDir = "dags"

// IsDAGPath reports whether a project path belongs to the DAG bundle.
func IsDAGPath(p string) bool { return strings.HasPrefix(p, DAGDir+"/") }

// Manifest kinds.
const (
	ManifestImage = "image" // the project's non-DAG code (or all of it with DAG deploys disabled)
	ManifestDAGs  = DAGDir  // the DAG bundle: the files under dags/
)

// Manifest lists the files of an image or a DAG bundle. Files are stored
// once each, by SHA-256 (content addressing); the manifest itself is stored
// as a blob too, and its digest identifies the image or bundle.
type Manifest struct {
	Kind  string         `json:"kind"`
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one entry of a Manifest. Paths are slash-separated and
// relative to the project root (DAG bundle paths include the "dags/" prefix).
// A symlink has Mode with fs.ModeSymlink set, a relative Target inside the
// project, no Digest and Size 0.
type ManifestFile struct {
	Path   string      `json:"path"`
	Mode   fs.FileMode `json:"mode"`
	Size   int64       `json:"size"`
	Digest string      `json:"digest,omitempty"`
	Target string      `json:"target,omitempty"`
}

// DecodeManifest reads a stored manifest (at most MaxManifestBytes of JSON)
// and validates it; digest names it in errors. Every reader of manifests
// uses it, so none trusts an unchecked one.
func DecodeManifest(r io.Reader, digest string) (*Manifest, error) {
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(r, MaxManifestBytes)).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", digest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", digest, err)
	}
	return &m, nil
}

// MaxManifestBytes bounds the JSON of one manifest.
const MaxManifestBytes = 256 << 20

// Limits that keep hostile manifests out.
const (
	MaxManifestFiles = 100_000
	MaxPathLen       = 1024
	MaxFileSize      = 2 << 30
)

// DigestOf returns the digest ("sha256:<hex>") of b.
func DigestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ValidateDigest returns EINVALID unless d has the form sha256:<64 hex>
// (lowercase). Every manifest entry goes through it, so it checks the
// bytes itself rather than through a regular expression.
func ValidateDigest(d string) error {
	hex, ok := strings.CutPrefix(d, "sha256:")
	valid := ok && len(hex) == 64
	for i := 0; valid && i < len(hex); i++ {
		c := hex[i]
		valid = '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
	}
	if !valid {
		return Errorf(EINVALID, "invalid digest %q: want sha256:<64 lowercase hex digits>", d)
	}
	return nil
}

// Encode returns the canonical JSON of m (files sorted by path) and its digest.
func (m *Manifest) Encode() ([]byte, string, error) {
	c := Manifest{Kind: m.Kind, Files: append(make([]ManifestFile, 0, len(m.Files)), m.Files...)}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	b, err := json.Marshal(c)
	if err != nil {
		return nil, "", err
	}
	return b, DigestOf(b), nil
}

// Digests returns the distinct file digests m references, sorted.
func (m *Manifest) Digests() []string {
	seen := make(map[string]bool)
	var out []string
	for _, f := range m.Files {
		if f.Digest != "" && !seen[f.Digest] {
			seen[f.Digest] = true
			out = append(out, f.Digest)
		}
	}
	sort.Strings(out)
	return out
}

// Size returns the total size of m's files.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Validate returns EINVALID if m could write outside its target directory
// or is otherwise malformed: absolute paths, "..", duplicate paths, special
// files, symlinks pointing outside the project, bad digests, oversized entries.
func (m *Manifest) Validate() error {
	if m.Kind != ManifestImage && m.Kind != ManifestDAGs {
		return Errorf(EINVALID, "manifest kind %q: want %q or %q", m.Kind, ManifestImage, ManifestDAGs)
	}
	if len(m.Files) > MaxManifestFiles {
		return Errorf(EINVALID, "manifest lists %d files; the limit is %d", len(m.Files), MaxManifestFiles)
	}
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if err := ValidatePath(f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return Errorf(EINVALID, "manifest lists %q twice", f.Path)
		}
		seen[f.Path] = true
		if m.Kind == ManifestDAGs && !IsDAGPath(f.Path) {
			return Errorf(EINVALID, "DAG bundle file %q is not under dags/", f.Path)
		}
		if err := f.validate(); err != nil {
			return err
		}
	}
	for _, f := range m.Files {
		for i := 0; i < len(f.Path); i++ {
			if f.Path[i] == '/' && seen[f.Path[:i]] {
				return Errorf(EINVALID, "%q is listed inside %q, which is a file or a symlink, not a directory", f.Path, f.Path[:i])
			}
		}
	}
	return nil
}

// ValidateLinkTarget returns EINVALID unless target, the target of the
// symlink at linkPath, is a clean relative path that stays inside the
// project. ".." may only lead the target ("../x"): after a directory name
// it would climb from wherever that directory (perhaps itself a link)
// points, not where the path seems to point.
func ValidateLinkTarget(linkPath, target string) error {
	switch {
	case target == "" || len(target) > MaxPathLen:
		return Errorf(EINVALID, "symlink %q has an empty or oversized target", linkPath)
	case HasControlChar(target):
		return Errorf(EINVALID, "symlink %q has a target with control characters", linkPath)
	case path.IsAbs(target) || strings.ContainsAny(target, "\\\x00"):
		return Errorf(EINVALID, "symlink %q points to %q, outside the project; use a relative link inside it", linkPath, target)
	case !leadingDotDotOnly(target):
		return Errorf(EINVALID, "symlink %q points to %q: \"..\" after a directory name is not supported; use a clean relative path such as %q", linkPath, target, path.Clean(target))
	}
	resolved := path.Join(path.Dir(linkPath), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return Errorf(EINVALID, "symlink %q points to %q, outside the project; use a relative link inside it", linkPath, target)
	}
	return nil
}

// leadingDotDotOnly reports whether target is clean with ".." elements only
// at its start ("../../x", "x/y", "." are; "x/../y", "./x", "x/" are not).
func leadingDotDotOnly(target string) bool {
	if path.Clean(target) != target {
		return false
	}
	climbing := true
	for _, elem := range strings.Split(target, "/") {
		if elem == ".." && !climbing {
			return false
		}
		climbing = climbing && elem == ".."
	}
	return true
}

func (f *ManifestFile) validate() error {
	switch {
	case f.Mode.Type() == fs.ModeSymlink:
		if f.Digest != "" || f.Size != 0 {
			return Errorf(EINVALID, "symlink %q must not have content", f.Path)
		}
		if err := ValidateLinkTarget(f.Path, f.Target); err != nil {
			return err
		}
	case f.Mode.Type() != 0:
		return Errorf(EINVALID, "%q is a special file (%s); only regular files and symlinks are allowed", f.Path, f.Mode.Type())
	default:
		if err := ValidateDigest(f.Digest); err != nil {
			return Errorf(EINVALID, "file %q: %s", f.Path, ErrorMessage(err))
		}
		if f.Size < 0 || f.Size > MaxFileSize {
			return Errorf(EINVALID, "file %q has size %d; the limit is %d bytes", f.Path, f.Size, int64(MaxFileSize))
		}
		if f.Target != "" {
			return Errorf(EINVALID, "regular file %q must not have a link target", f.Path)
		}
	}
	return nil
}

// ValidatePath returns EINVALID unless p is a clean, relative, slash-separated
// path that stays inside its root, has no control characters and no ".git"
// element.
func ValidatePath(p string) error {
	switch {
	case p == "" || len(p) > MaxPathLen:
		return Errorf(EINVALID, "invalid path %q: empty or longer than %d bytes", p, MaxPathLen)
	case path.IsAbs(p) || strings.HasPrefix(p, "\\") || (len(p) > 1 && p[1] == ':'):
		return Errorf(EINVALID, "invalid path %q: absolute paths are not allowed", p)
	case strings.ContainsAny(p, "\\\x00"):
		return Errorf(EINVALID, "invalid path %q: backslashes and NUL are not allowed", p)
	case HasControlChar(p):
		return Errorf(EINVALID, "invalid path %q: control characters (newlines, escapes, …) are not allowed", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return Errorf(EINVALID, "invalid path %q: \"..\" is not allowed", p)
		}
		if part == ".git" {
			return Errorf(EINVALID, "invalid path %q: .git/ is not deployed (a repository's internals are not code)", p)
		}
		if part == "" || part == "." {
			return Errorf(EINVALID, "invalid path %q: not clean", p)
		}
	}
	return nil
}

// ArtifactStore keeps blobs by digest: the files of deploys and the manifests
// that list them. Implementations must be safe for concurrent use and must
// never expose a partially written blob.
type ArtifactStore interface {
	// Put stores the content read from r under digest. It returns EINVALID if
	// digest is malformed, the content does not hash to it or its length is
	// not size (nothing is stored then); a negative size means unknown.
	// Putting a blob that exists stores nothing new but still reads and
	// verifies r.
	Put(ctx context.Context, digest string, r io.Reader, size int64) error
	// Open returns the blob's content. ENOTFOUND if it does not exist.
	Open(ctx context.Context, digest string) (io.ReadCloser, error)
	// Stat returns the blob's size and when it was stored. ENOTFOUND if it does not exist.
	Stat(ctx context.Context, digest string) (BlobInfo, error)
	// Delete removes the blob. Deleting a missing blob is not an error.
	Delete(ctx context.Context, digest string) error
	// Walk calls fn for every blob, in no particular order. An error from fn stops the walk and is returned.
	Walk(ctx context.Context, fn func(BlobInfo) error) error
}

// ArtifactSyncer is implemented by artifact stores that make Puts durable in
// batches (the file store fsyncs its directories once per batch rather than
// once per blob). Until Sync returns, a power loss may make a blob that Put
// stored missing, but never partial. Callers sync before they record
// anything that relies on the blobs, such as a DEPLOYED deploy.
type ArtifactSyncer interface {
	Sync(ctx context.Context) error
}

// SyncArtifacts makes every blob a has stored durable, if a batches its
// durability (ArtifactSyncer); otherwise each Put already was.
func SyncArtifacts(ctx context.Context, a ArtifactStore) error {
	if s, ok := a.(ArtifactSyncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest    string
	Size      int64
	CreatedAt time.Time
}

// DiffManifests returns the paths added, removed and changed (content, mode
// or link target) from one manifest to another, each sorted. A nil manifest
// is empty.
func DiffManifests(from, to *Manifest) (added, removed, changed []string) {
	index := func(m *Manifest) map[string]ManifestFile {
		out := make(map[string]ManifestFile)
		if m != nil {
			for _, f := range m.Files {
				out[f.Path] = f
			}
		}
		return out
	}
	a, b := index(from), index(to)
	added, removed, changed = []string{}, []string{}, []string{}
	for p, fb := range b {
		fa, ok := a[p]
		switch {
		case !ok:
			added = append(added, p)
		case fa.Digest != fb.Digest || fa.Mode != fb.Mode || fa.Target != fb.Target:
			changed = append(changed, p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	return added, removed, changed
}

// GCResult reports what a garbage collection did.
type GCResult struct {
	BlobsDeleted int   `json:"blobsDeleted"`
	BytesDeleted int64 `json:"bytesDeleted"`
	BlobsKept    int   `json:"blobsKept"`
	// BytesKept is the size of the blobs kept: the artifact store's size
	// as the collector's walk saw it.
	BytesKept     int64 `json:"bytesKept"`
	DeploysPruned int   `json:"deploysPruned"`
}

// CodeManifests returns the manifests that make up a code state, in the
// order they are written into one directory: the image (without its dags/
// files when a DAG bundle owns dags/) and the DAG bundle. Either may be nil
// (an external image; DAG deploys disabled). It returns EINVALID, naming
// both paths, when a file of one sits where the other needs a directory (an
// image file "dags" beside a bundle's "dags/a.yaml"), or when both list a
// path. The manifests passed are not modified.
func CodeManifests(image, dags *Manifest) ([]*Manifest, error) {
	var out []*Manifest
	if image != nil {
		if dags != nil {
			image = &Manifest{Kind: image.Kind, Files: withoutDAGFiles(image.Files)}
		}
		out = append(out, image)
	}
	if dags != nil {
		out = append(out, dags)
	}
	if image == nil || dags == nil {
		return out, nil
	}
	if err := checkDisjoint(image, dags); err != nil {
		return nil, err
	}
	return out, nil
}

// withoutDAGFiles returns files without those under dags/.
func withoutDAGFiles(files []ManifestFile) []ManifestFile {
	out := make([]ManifestFile, 0, len(files))
	for _, f := range files {
		if !IsDAGPath(f.Path) {
			out = append(out, f)
		}
	}
	return out
}

// checkDisjoint returns EINVALID if the image and the DAG bundle list the
// same path, or one lists a path inside a file or symlink of the other.
func checkDisjoint(image, dags *Manifest) error {
	imagePaths := make(map[string]bool, len(image.Files))
	for _, f := range image.Files {
		imagePaths[f.Path] = true
	}
	for _, f := range dags.Files {
		if imagePaths[f.Path] {
			return Errorf(EINVALID, "the image and the DAG bundle both list %q", f.Path)
		}
		for i := 0; i < len(f.Path); i++ {
			if f.Path[i] == '/' && imagePaths[f.Path[:i]] {
				return Errorf(EINVALID, "DAG bundle file %q needs %q to be a directory, but the image has a file or symlink %q", f.Path, f.Path[:i], f.Path[:i])
			}
		}
	}
	return nil
}

// Artifact parts of a deploy. PartAll is the whole code: image and DAG
// bundle merged as a runtime materializes them (see CodeManifests).
const (
	PartImage = ManifestImage
	PartDAGs  = ManifestDAGs
	PartAll   = "all"
)
