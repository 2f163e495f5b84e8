package gitrepo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// memHistory is an in-memory history for tests: each commit is a map of
// path → content ("->target" for a symlink, "+x " prefix for executables).
type memHistory struct {
	states  []map[string]string
	pruned  int // commits before it cannot be built
	blobs   map[string][]byte
	commits []*Object
	trees   []*Tree
}

func newMemHistory(states ...map[string]string) *memHistory {
	h := &memHistory{blobs: map[string][]byte{}}
	for _, s := range states {
		h.add(s)
	}
	return h
}

func (h *memHistory) add(state map[string]string) {
	t, err := BuildTree(h.files(state))
	if err != nil {
		panic(err)
	}
	var parent Hash
	if n := len(h.commits); n > 0 {
		parent = h.commits[n-1].ID
	}
	n := len(h.commits) + 1
	c := (&Commit{
		Tree:    t.Root,
		Parent:  parent,
		Author:  Signature{Name: "Tess Ter", Email: "tess@example.invalid", When: time.Date(2026, 1, 1, 0, n, 0, 0, time.UTC)},
		Message: fmt.Sprintf("Deploy #%d\n\nDagdeck-Sequence: %d\n", n, n),
	}).Encode()
	h.states = append(h.states, state)
	h.commits = append(h.commits, c)
	h.trees = append(h.trees, t)
}

func (h *memHistory) files(state map[string]string) []File {
	var out []File
	for p, content := range state {
		switch {
		case strings.HasPrefix(content, "->"):
			target := strings.TrimPrefix(content, "->")
			out = append(out, File{Path: p, Mode: ModeSymlink, Target: target, Size: int64(len(target)), Blob: HashObject(TypeBlob, []byte(target))})
		default:
			mode := ModeFile
			if c, ok := strings.CutPrefix(content, "+x "); ok {
				mode, content = ModeExecutable, c
			}
			sum := sha256.Sum256([]byte(content))
			digest := "sha256:" + hex.EncodeToString(sum[:])
			h.blobs[digest] = []byte(content)
			out = append(out, File{Path: p, Mode: mode, Digest: digest, Size: int64(len(content)), Blob: HashObject(TypeBlob, []byte(content))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func (h *memHistory) repo() *Repository {
	r := &Repository{ShallowFrom: h.pruned}
	for i, c := range h.commits {
		r.Commits = append(r.Commits, Entry{ID: c.ID, Tag: fmt.Sprintf("deploy-%d", i+1), When: time.Date(2026, 1, 1, 0, i+1, 0, 0, time.UTC)})
	}
	r.Build = func(ctx context.Context, i int) (*Object, *Tree, error) {
		if i < h.pruned {
			return nil, nil, fmt.Errorf("commit %d is pruned", i)
		}
		return h.commits[i], h.trees[i], nil
	}
	r.Open = func(ctx context.Context, digest string) (io.ReadCloser, error) {
		b, ok := h.blobs[digest]
		if !ok {
			return nil, fmt.Errorf("no blob %s", digest)
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return r
}
