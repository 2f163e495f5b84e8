package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Pack walks the project in dir and returns its files: every file except
// .git and what .dagdeckignore excludes (the ignore file itself is always
// included), each with its SHA-256 digest, mode (0644, or 0755 when
// executable) and size, and symlinks whose targets stay inside the project.
// Files are hashed in parallel, streaming; a file whose size, inode and
// modification and change times are those of the last pack is not read
// again (the digests are cached in the user's cache directory).
//
// It returns EINVALID if dir has no Dockerfile or its FROM names no version
// tag, if a symlink points outside the project, or if the project holds a
// special file (socket, FIFO, device), an unsupported path or too many or
// too large files. It does not check the runtime version against the catalog.
func Pack(ctx context.Context, dir string) (*Project, error) {
	return pack(ctx, dir, true)
}

// pack is Pack, with the hash cache optional.
func pack(ctx context.Context, dir string, useCache bool) (*Project, error) {
	start := time.Now()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "project directory %s does not exist or is not a directory", dir)
	}
	root, err := filepath.EvalSymlinks(abs) // walk the real directory
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	version, err := ReadRuntimeVersion(filepath.Join(abs, Dockerfile))
	if err != nil {
		return nil, err
	}
	ign, err := readIgnoreFile(root)
	if err != nil {
		return nil, err
	}
	entries, err := walkProject(ctx, []string{root, abs}, ign)
	if err != nil {
		return nil, err
	}
	var cache *hashCache
	if useCache {
		cache = loadHashCache(root)
		cache.fill(entries)
	}
	if err := hashEntries(ctx, entries); err != nil {
		return nil, err
	}
	cache.save(entries, start)
	return newProject(abs, version, entries), nil
}

// packEntry is a file found by walkProject and where it is on disk.
type packEntry struct {
	file  dagdeck.ManifestFile
	abs   string
	stamp fileStamp // of a regular file, when listed
}

// readIgnoreFile parses root's .dagdeckignore; a missing file ignores nothing.
func readIgnoreFile(root string) (*ignoreMatcher, error) {
	b, err := os.ReadFile(filepath.Join(root, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return parseIgnore(nil), nil
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", IgnoreFile, err)
	}
	return parseIgnore(b), nil
}

// walkProject lists the files of the project at roots[0], sorted by path;
// roots are the names of the project's directory, real one first. Regular
// files are returned without digests.
func walkProject(ctx context.Context, roots []string, ign *ignoreMatcher) ([]packEntry, error) {
	root := roots[0]
	var entries []packEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk project: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("walk project: %w", err)
		}
		rel = filepath.ToSlash(rel)
		if skip := skipEntry(rel, d, ign); skip {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		e, err := newPackEntry(roots, rel, p, d)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		if len(entries) > dagdeck.MaxManifestFiles {
			return dagdeck.Errorf(dagdeck.EINVALID, "project %s has more than %d files; list what is not needed in %s", root, dagdeck.MaxManifestFiles, IgnoreFile)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].file.Path < entries[j].file.Path })
	return entries, nil
}

// skipEntry reports whether the walk leaves rel out.
func skipEntry(rel string, d fs.DirEntry, ign *ignoreMatcher) bool {
	switch {
	case d.Name() == ".git", d.IsDir() && d.Name() == ".dagdeck":
		return true // a repository, and a server's data folder started in the project
	case rel == IgnoreFile:
		return false
	}
	return ign.match(rel, d.IsDir())
}

// newPackEntry describes the non-directory p (rel in the project).
func newPackEntry(roots []string, rel, p string, d fs.DirEntry) (packEntry, error) {
	if err := dagdeck.ValidatePath(rel); err != nil {
		return packEntry{}, err
	}
	info, err := d.Info()
	if err != nil {
		return packEntry{}, fmt.Errorf("stat %s: %w", rel, err)
	}
	e := packEntry{file: dagdeck.ManifestFile{Path: rel}, abs: p}
	switch info.Mode().Type() {
	case 0:
		if info.Size() > dagdeck.MaxFileSize {
			return packEntry{}, dagdeck.Errorf(dagdeck.EINVALID, "file %q is %d bytes; the limit is %d bytes", rel, info.Size(), int64(dagdeck.MaxFileSize))
		}
		e.file.Mode = fileMode(info.Mode())
		e.file.Size = info.Size()
		e.stamp = stampOf(info)
	case fs.ModeSymlink:
		target, err := readLinkTarget(roots, rel, p)
		if err != nil {
			return packEntry{}, err
		}
		e.file.Mode = fs.ModeSymlink | 0o777
		e.file.Target = target
	default:
		return packEntry{}, dagdeck.Errorf(dagdeck.EINVALID,
			"%q is a special file (%s); a project may hold only regular files, directories and symlinks", rel, info.Mode().Type())
	}
	return e, nil
}

// fileMode returns 0755 for an executable file and 0644 otherwise.
func fileMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// readLinkTarget returns the target of the symlink p (rel in the project)
// as a relative slash path, or EINVALID if it points outside the project.
// An absolute target inside the project (under any of roots) is made relative.
func readLinkTarget(roots []string, rel, p string) (string, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return "", fmt.Errorf("read symlink %s: %w", rel, err)
	}
	if filepath.IsAbs(target) {
		inside, ok := relativeTo(roots, target)
		if !ok {
			return "", dagdeck.Errorf(dagdeck.EINVALID, "symlink %q points to %q, outside the project; use a relative link inside it", rel, target)
		}
		if target, err = filepath.Rel(filepath.Dir(filepath.FromSlash(rel)), inside); err != nil {
			return "", fmt.Errorf("read symlink %s: %w", rel, err)
		}
	}
	target = normalizeLinkTarget(filepath.ToSlash(target))
	if err := dagdeck.ValidateLinkTarget(rel, target); err != nil {
		return "", err
	}
	return target, nil
}

// relativeTo returns abs relative to the first of roots that contains it.
func relativeTo(roots []string, abs string) (string, bool) {
	for _, root := range roots {
		r, err := filepath.Rel(root, abs)
		if err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return r, true
		}
	}
	return "", false
}
