package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/fsync"
)

// Pool is a folder of plain, read-only files named by their content, from
// which Materialize builds directory trees out of hard links. Building a
// tree costs one link per file plus a copy of the files the pool lacks, so
// trees that share most of their files (the versions of one project) cost
// what changed between them, on disk and in time.
//
// A file enters the pool verified against its digest, and leaves it when
// no tree links it any more (Prune). The pool records each file's
// metadata (inode, size, modification time, mode, owner) in an index it
// keeps outside the folder, written only after the files it lists are
// durable: a file whose metadata no longer matches — changed through one of
// its links, or written before a crash and never recorded — is never linked
// again; Materialize copies it afresh from the archive.
//
// Files are 0444 (0555 when executable), or, with a group, owned by this
// process's user and that group, 0440 (0550): hard links share one inode,
// so a tree's files cannot have modes or owners of their own.
//
// The pool and the trees live under one base directory (the pool in
// base/pool), which must be on one file system. A Pool is safe for
// concurrent use; Materialize calls are serialized.
type Pool struct {
	base  string
	index string
	group int // -1: files keep this process's group

	mu      sync.Mutex
	entries map[string]poolEntry // file name in the pool → its metadata; nil until loaded
	// unsynced are the entries of files copied in but not yet made
	// durable (SyncNew): usable, but left out of the index.
	unsynced map[string]poolEntry
}

// poolEntry is what the index records of a pool file.
type poolEntry struct {
	fileStamp
	Mode uint32 `json:"p"`
	UID  uint32 `json:"u"`
	GID  uint32 `json:"g"`
}

// poolDir is the pool's folder under its base.
const poolDir = "pool"

// NewPool returns the pool under base (created when needed) whose index is
// the file index, which should be out of reach of whoever may change the
// trees. With group ≥ 0 its files belong to that group.
func NewPool(base, index string, group int) *Pool {
	return &Pool{base: base, index: index, group: group}
}

// poolName is the name in the pool of f's content with f's mode.
func poolName(f dagdeck.ManifestFile) string {
	name := strings.TrimPrefix(f.Digest, "sha256:")
	if f.Mode&0o111 != 0 {
		name += ".x"
	}
	return name
}

// Materialize writes the files of the manifests into base/dest (a slash
// path), which must not exist yet: regular files are hard links to pool
// files, fetched first with open(digest) when the pool lacks them or they
// changed. It validates the manifests before writing anything (see
// checkManifests; files of one content must agree on its size), builds the
// tree aside and renames it into place, so dest appears complete or not at
// all, and verifies every blob's size and digest. New pool files are
// usable at once and made durable by SyncNew, which records them. Directories
// are 0755, or with a group 0750 and the group's, as its symlinks are. It
// returns the new tree's TreeStamp, which is worth recording once SyncNew
// has returned.
func (p *Pool) Materialize(ctx context.Context, dest string, open func(digest string) (io.ReadCloser, error), ms ...*dagdeck.Manifest) (stamp string, err error) {
	files, err := checkManifests(ms...)
	if err != nil {
		return "", err
	}
	if !filepath.IsLocal(filepath.FromSlash(dest)) || strings.HasPrefix(dest+"/", poolDir+"/") {
		return "", fmt.Errorf("materialize: %q is not a tree of the pool", dest)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	root, err := os.OpenRoot(p.base)
	if err != nil {
		return "", fmt.Errorf("materialize: %w", err)
	}
	defer root.Close()
	if _, err := root.Lstat(dest); err == nil {
		return "", dagdeck.Errorf(dagdeck.ECONFLICT, "%s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("materialize: %w", err)
	}
	tmp := fmt.Sprintf("%s.tmp-%s", dest, dagdeck.NewID())
	defer func() {
		if err != nil {
			_ = root.RemoveAll(tmp)
		}
	}()
	if err := root.MkdirAll(poolDir, 0o755); err != nil {
		return "", fmt.Errorf("materialize: %w", err)
	}
	dirs, err := makeDirs(root, tmp, files)
	if err != nil {
		return "", err
	}
	link, done, err := linker(root, tmp)
	if err != nil {
		return "", fmt.Errorf("materialize: %w", err)
	}
	defer done()
	if err := p.fill(ctx, root, files, open, link); err != nil {
		return "", err
	}
	if err := p.finishTree(root, tmp, files, dirs); err != nil {
		return "", err
	}
	if stamp, err = p.stamp(root, tmp, files, dirs); err != nil {
		return "", err
	}
	if err := root.Rename(tmp, dest); err != nil {
		return "", fmt.Errorf("materialize: %w", err)
	}
	return stamp, syncRootDir(root, path.Dir(dest))
}

// stamp returns the TreeStamp of the tree just built at tmp: its files'
// lines from the pool's records of them, which fill has just checked, and
// its folders' and symlinks' from a stat of each.
func (p *Pool) stamp(root *os.Root, tmp string, files []dagdeck.ManifestFile, dirs []string) (string, error) {
	lines := make([]stampLine, 0, len(files)+1)
	stat := func(rel string) error {
		fi, err := root.Lstat(path.Join(tmp, rel))
		if err != nil {
			return fmt.Errorf("materialize: %w", err)
		}
		lines = append(lines, infoLine(rel, fi))
		return nil
	}
	for _, d := range append(dirs, ".") {
		if err := stat(d); err != nil {
			return "", err
		}
	}
	for _, f := range files {
		if f.Mode.Type() != 0 {
			if err := stat(f.Path); err != nil {
				return "", err
			}
			continue
		}
		e, ok := p.entries[poolName(f)]
		if !ok { // fill records every file it links
			return "", fmt.Errorf("materialize: pool file of %s not recorded", f.Path)
		}
		lines = append(lines, entryLine(f.Path, fs.FileMode(e.Mode), e.Size, e.Mtime, e.sys()))
	}
	return stampDigest(lines), nil
}

// makeDirs creates the folder tmp under root with the folders files need,
// and returns those (sorted, each after its parent).
func makeDirs(root *os.Root, tmp string, files []dagdeck.ManifestFile) ([]string, error) {
	if err := root.MkdirAll(path.Dir(tmp), 0o755); err != nil {
		return nil, fmt.Errorf("materialize: %w", err)
	}
	if err := root.Mkdir(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("materialize: %w", err)
	}
	dirs := parentDirs(files)
	for _, d := range dirs {
		if err := root.Mkdir(path.Join(tmp, d), 0o755); err != nil {
			return nil, fmt.Errorf("materialize: %w", err)
		}
	}
	return dirs, nil
}

// finishTree adds the symlinks of files to the tree at tmp, whose regular
// files fill has linked, and gives its folders their owner and mode.
func (p *Pool) finishTree(root *os.Root, tmp string, files []dagdeck.ManifestFile, dirs []string) error {
	// Symlinks last: no link resolves through one.
	for _, f := range files {
		if f.Mode.Type() == fs.ModeSymlink {
			if err := root.Symlink(f.Target, path.Join(tmp, f.Path)); err != nil {
				return fmt.Errorf("materialize: %w", err)
			}
			if err := p.own(root, path.Join(tmp, f.Path)); err != nil {
				return err
			}
		}
	}
	// Directory modes do not depend on the umask. With a group, the
	// folders are its to read, like the files: 0750.
	mode := fs.FileMode(0o755)
	if p.group >= 0 {
		mode = 0o750
	}
	for _, d := range append(dirs, ".") {
		if err := p.own(root, path.Join(tmp, d)); err != nil {
			return err
		}
		if err := root.Chmod(path.Join(tmp, d), mode); err != nil {
			return fmt.Errorf("materialize: %w", err)
		}
	}
	return nil
}

// own gives name, a folder or symlink of a new tree, to the pool's group.
func (p *Pool) own(root *os.Root, name string) error {
	if p.group < 0 {
		return nil
	}
	if err := root.Lchown(name, os.Geteuid(), p.group); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	return nil
}

// fill makes sure the pool holds every regular file of files, unchanged
// since it was verified, copying the missing ones from open, and links
// each file into the tree with link as soon as its pool file is known
// good: the checks of thousands of pool files and the links overlap.
func (p *Pool) fill(ctx context.Context, root *os.Root, files []dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), link func(name, path string) error) error {
	p.load()
	var wanted []dagdeck.ManifestFile // one per pool file
	paths := map[string][]string{}    // pool file → the tree's paths of it
	for _, f := range files {
		name := poolName(f)
		if f.Mode.Type() != 0 {
			continue
		}
		if paths[name] == nil { // checkManifests made sure its copies agree on the size
			wanted = append(wanted, f)
		}
		paths[name] = append(paths[name], f.Path)
	}
	linkAll := func(name string) error {
		for _, path := range paths[name] {
			if err := link(name, path); err != nil {
				return fmt.Errorf("materialize: %w", err)
			}
		}
		return nil
	}
	// Checking thousands of pool files is as many lstat calls: in parallel,
	// each one system call in the pool's folder.
	pool, err := root.OpenRoot(poolDir)
	if err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	defer pool.Close()
	ok := make([]bool, len(wanted))
	err = forEachParallel(ctx, materializeWorkers(), len(wanted), func(int) bool { return true }, func(i int, _ []byte) error {
		name := poolName(wanted[i])
		if ok[i] = p.intact(pool, name, wanted[i].Size); ok[i] {
			return linkAll(name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var missing []dagdeck.ManifestFile
	for i, f := range wanted {
		if !ok[i] {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	added := make([]poolEntry, len(missing))
	err = forEachParallel(ctx, materializeWorkers(), len(missing), func(int) bool { return true }, func(i int, buf []byte) error {
		e, err := p.add(root, missing[i], open, buf)
		added[i] = e
		if err != nil {
			return err
		}
		return linkAll(poolName(missing[i]))
	})
	if err != nil {
		return err
	}
	// Usable now, durable later (SyncNew): the index never lists a file a
	// crash may have lost.
	if p.unsynced == nil {
		p.unsynced = map[string]poolEntry{}
	}
	for i, f := range missing {
		p.entries[poolName(f)] = added[i]
		p.unsynced[poolName(f)] = added[i]
	}
	return nil
}

// SyncNew makes the files copied into the pool since the last SyncNew
// durable (fsyncs in parallel, then the pool's folder) and records them in
// the index. Until then a crash loses them from the index, and they are
// copied again when needed; whatever records a tree that links them (a
// version's stamp) must wait for it. It may run while trees are built.
func (p *Pool) SyncNew() error {
	p.mu.Lock()
	pending := maps.Clone(p.unsynced)
	p.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	syncs := make([]string, 0, len(pending)+1)
	for name := range pending {
		syncs = append(syncs, filepath.Join(p.base, poolDir, name))
	}
	syncs = append(syncs, filepath.Join(p.base, poolDir))
	if err := fsync.Files(syncs); err != nil {
		return fmt.Errorf("sync the code pool: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, e := range pending {
		if p.unsynced[name] == e { // not replaced meanwhile
			delete(p.unsynced, name)
		}
	}
	return p.save()
}

// intact reports whether the pool file name (in pool, the pool's folder)
// is recorded, unchanged and of the size a manifest says (a file of
// another size is copied again, and its copy is refused).
func (p *Pool) intact(pool *os.Root, name string, size int64) bool {
	want, ok := p.entries[name]
	if !ok || want.Size != size {
		return false
	}
	fi, err := pool.Lstat(name)
	return err == nil && poolEntryOf(fi) == want
}

// add copies f's content into the pool, verified, and returns its entry.
// It replaces a file of the same name (one that changed): trees that link
// the old one keep it until they are rebuilt.
func (p *Pool) add(root *os.Root, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), buf []byte) (poolEntry, error) {
	name := poolName(f)
	tmp := path.Join(poolDir, ".tmp-"+name+"-"+dagdeck.NewID())
	if err := p.write(root, tmp, f, open, buf); err != nil {
		_ = root.Remove(tmp)
		return poolEntry{}, err
	}
	final := path.Join(poolDir, name)
	if err := root.Rename(tmp, final); err != nil {
		_ = root.Remove(tmp)
		return poolEntry{}, fmt.Errorf("materialize: %w", err)
	}
	fi, err := root.Lstat(final)
	if err != nil {
		return poolEntry{}, fmt.Errorf("materialize: %w", err)
	}
	return poolEntryOf(fi), nil
}

// write writes f's content to name under root, checking its size and
// digest, with the pool's mode and owner.
func (p *Pool) write(root *os.Root, name string, f dagdeck.ManifestFile, open func(string) (io.ReadCloser, error), buf []byte) error {
	w, err := createVerified(root, name, f, open, buf)
	if err != nil {
		return err
	}
	defer w.Close()
	mode := fileMode(f.Mode) &^ 0o222 // 0444 or 0555
	if p.group >= 0 {
		if err := w.Chown(os.Geteuid(), p.group); err != nil {
			return fmt.Errorf("materialize: %w", err)
		}
		mode &^= 0o005 // 0440 or 0550
	}
	if err := w.Chmod(mode); err != nil {
		return fmt.Errorf("materialize: %w", err)
	}
	return w.Close()
}

// Prune removes the pool files no tree links any more, and the temp files
// of copies a crash interrupted.
func (p *Pool) Prune() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	entries, err := os.ReadDir(filepath.Join(p.base, poolDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	p.load()
	removed := false
	for _, e := range entries {
		name := e.Name()
		full := filepath.Join(p.base, poolDir, name)
		if !strings.HasPrefix(name, ".tmp-") {
			fi, err := e.Info()
			if err != nil || links(fi) > 1 {
				continue
			}
		}
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		delete(p.unsynced, name)
		if _, ok := p.entries[name]; ok {
			delete(p.entries, name)
			removed = true
		}
	}
	if !removed {
		return nil
	}
	return p.save()
}

// load reads the index once; one that cannot be read counts as empty (its
// files are then copied afresh when needed).
func (p *Pool) load() {
	if p.entries != nil {
		return
	}
	p.entries = map[string]poolEntry{}
	if b, err := os.ReadFile(p.index); err == nil && json.Unmarshal(b, &p.entries) != nil {
		clear(p.entries)
	}
}

// save replaces the index: a temp file renamed over it.
func (p *Pool) save() error {
	durable := p.entries
	if len(p.unsynced) > 0 {
		durable = maps.Clone(p.entries)
		for name := range p.unsynced {
			delete(durable, name)
		}
	}
	b, err := json.Marshal(durable)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.index), 0o700); err != nil {
		return err
	}
	tmp := p.index + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.index)
}
