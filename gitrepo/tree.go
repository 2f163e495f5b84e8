package gitrepo

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Git file modes.
const (
	ModeFile       uint32 = 0o100644
	ModeExecutable uint32 = 0o100755
	ModeSymlink    uint32 = 0o120000
	ModeTree       uint32 = 0o40000
)

// ModeOf returns the git mode of a file with that fs.FileMode: a symlink,
// an executable (any execute bit) or a regular file.
func ModeOf(m fs.FileMode) uint32 {
	switch {
	case m.Type() == fs.ModeSymlink:
		return ModeSymlink
	case m.Perm()&0o111 != 0:
		return ModeExecutable
	}
	return ModeFile
}

// File is one file of a commit's tree. A symlink's blob is its target; a
// regular file's blob is read from the artifact store by Digest.
type File struct {
	Path   string
	Mode   uint32
	Blob   Hash
	Size   int64
	Digest string
	Target string
}

// Tree is a commit's whole tree: the root id, every tree object, and the
// files (the blobs) it names.
type Tree struct {
	Root  Hash
	Trees []*Object
	Files []File
}

// BuildTree builds the tree objects of files (slash-separated, relative
// paths, no duplicates). Trees come out children first, root last.
func BuildTree(files []File) (*Tree, error) {
	root := &dirNode{children: map[string]*dirNode{}}
	for i := range files {
		if err := root.add(files[i].Path, &files[i]); err != nil {
			return nil, err
		}
	}
	t := &Tree{Files: files}
	t.Root = root.encode(&t.Trees)
	return t, nil
}

type dirNode struct {
	children map[string]*dirNode
	files    map[string]*File
}

func (d *dirNode) add(p string, f *File) error {
	dir, rest, nested := strings.Cut(p, "/")
	if dir == "" || (nested && rest == "") {
		return fmt.Errorf("build tree: bad path %q", f.Path)
	}
	if !nested {
		if d.files == nil {
			d.files = map[string]*File{}
		}
		if _, dup := d.files[dir]; dup || d.children[dir] != nil {
			return fmt.Errorf("build tree: %q listed twice or as file and directory", f.Path)
		}
		d.files[dir] = f
		return nil
	}
	if _, isFile := d.files[dir]; isFile {
		return fmt.Errorf("build tree: %q is inside a file", f.Path)
	}
	child := d.children[dir]
	if child == nil {
		child = &dirNode{children: map[string]*dirNode{}}
		d.children[dir] = child
	}
	return child.add(rest, f)
}

type treeEntry struct {
	name string
	mode uint32
	id   Hash
}

// sortKey is the name git sorts an entry by: a tree's name ends with "/".
func (e treeEntry) sortKey() string {
	if e.mode == ModeTree {
		return e.name + "/"
	}
	return e.name
}

func (d *dirNode) encode(out *[]*Object) Hash {
	entries := make([]treeEntry, 0, len(d.children)+len(d.files))
	for name, child := range d.children {
		entries = append(entries, treeEntry{name: name, mode: ModeTree, id: child.encode(out)})
	}
	for name, f := range d.files {
		entries = append(entries, treeEntry{name: name, mode: f.Mode, id: f.Blob})
	}
	obj := encodeTree(entries)
	*out = append(*out, obj)
	return obj.ID
}

// encodeTree returns the tree object of entries, sorted as git sorts them.
func encodeTree(entries []treeEntry) *Object {
	sort.Slice(entries, func(i, j int) bool { return entries[i].sortKey() < entries[j].sortKey() })
	var b []byte
	for _, e := range entries {
		b = strconv.AppendUint(b, uint64(e.mode), 8)
		b = append(b, ' ')
		b = append(b, e.name...)
		b = append(b, 0)
		b = append(b, e.id[:]...)
	}
	return &Object{ID: HashObject(TypeTree, b), Type: TypeTree, Data: b}
}
