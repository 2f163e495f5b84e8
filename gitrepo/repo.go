package gitrepo

import (
	"context"
	"fmt"
	"time"
)

// Repository is a linear history and how to build its commits. Create one
// per request; it is not modified while serving.
type Repository struct {
	// Commits are the history, oldest first; each is the parent of the next.
	Commits []Entry
	// ShallowFrom is the index of the oldest commit that can still be built
	// whole: every commit from it on can, none before it. The repository is
	// shallow there when it is above 0.
	ShallowFrom int
	// Build returns commit i's object and tree. The object's id must be
	// Commits[i].ID.
	Build func(ctx context.Context, i int) (*Object, *Tree, error)
	// Open reads regular files' content by digest.
	Open BlobOpener

	index map[Hash]int
}

// Entry is one commit of a Repository's history.
type Entry struct {
	ID Hash
	// Tag, if not empty, is a tag name pointing at the commit ("deploy-3").
	Tag string
	// When is the commit's date (for deepen-since).
	When time.Time
}

// Branch is the one branch; HEAD points to it.
const Branch = "refs/heads/main"

// ref is an advertised ref.
type ref struct {
	name string
	id   Hash
}

// refs returns the advertised refs, HEAD first. Tags of commits that can no
// longer be built are left out: a client asking for them could not get them.
func (r *Repository) refs() []ref {
	if len(r.Commits) == 0 {
		return nil
	}
	head := r.Commits[len(r.Commits)-1].ID
	out := []ref{{"HEAD", head}, {Branch, head}}
	for _, e := range r.Commits[r.ShallowFrom:] {
		if e.Tag != "" {
			out = append(out, ref{"refs/tags/" + e.Tag, e.ID})
		}
	}
	return out
}

// shallowRoots returns the commits at which the repository itself is
// shallow.
func (r *Repository) shallowRoots() []Hash {
	if r.ShallowFrom > 0 && r.ShallowFrom < len(r.Commits) {
		return []Hash{r.Commits[r.ShallowFrom].ID}
	}
	return nil
}

// lookup returns a commit's index.
func (r *Repository) lookup(id Hash) (int, bool) {
	if r.index == nil {
		r.index = make(map[Hash]int, len(r.Commits))
		for i, e := range r.Commits {
			r.index[e.ID] = i
		}
	}
	i, ok := r.index[id]
	return i, ok
}

// build builds commit i and checks that it has the recorded id.
func (r *Repository) build(ctx context.Context, i int) (*Object, *Tree, error) {
	c, t, err := r.Build(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	if c.ID != r.Commits[i].ID {
		return nil, nil, fmt.Errorf("commit %d rebuilt as %s, recorded as %s", i, c.ID, r.Commits[i].ID)
	}
	return c, t, nil
}
