package gitrepo

import (
	"context"
	"math"
	"slices"
	"time"
)

// fetchRequest is what a client asks for, in either protocol version.
type fetchRequest struct {
	wants    []Hash
	haves    []Hash
	shallows []Hash // the client's shallow commits
	depth    int    // deepen N; 0 for none
	since    time.Time
	relative bool // deepen-relative
	done     bool
}

func (q *fetchRequest) deepening() bool { return q.depth > 0 || !q.since.IsZero() }

// fetchPlan is what the server answers: which commits to send and how the
// client's shallow boundaries change.
type fetchPlan struct {
	common    []Hash // the haves the server knows
	send      []int  // commit indexes, newest first
	base      []int  // commits the client has whose objects need not be sent
	shallow   []Hash
	unshallow []Hash
}

// infiniteDepth is what "git fetch --unshallow" sends.
const infiniteDepth = math.MaxInt32

// checkWants returns a protocol error for a want the repository cannot
// serve: an unknown object, or a commit whose files were pruned.
func (r *Repository) checkWants(wants []Hash) error {
	if len(wants) == 0 {
		return protocolErrorf("no want lines")
	}
	for _, w := range wants {
		i, ok := r.lookup(w)
		if !ok || i < r.ShallowFrom {
			return protocolErrorf("upload-pack: not our ref %s", w)
		}
	}
	return nil
}

// commonHaves returns the haves that are commits of the history.
func (r *Repository) commonHaves(haves []Hash) []Hash {
	var out []Hash
	for _, h := range haves {
		if _, ok := r.lookup(h); ok {
			out = append(out, h)
		}
	}
	return out
}

// clientHas tells which commits the client holds: each common have and its
// ancestors down to the client's nearest shallow commit.
type clientHas struct {
	ranges [][2]int // [low, high], inclusive
}

func (r *Repository) clientHas(q *fetchRequest) *clientHas {
	var shallow []int
	for _, s := range q.shallows {
		if i, ok := r.lookup(s); ok {
			shallow = append(shallow, i)
		}
	}
	c := &clientHas{}
	for _, h := range q.haves {
		hi, ok := r.lookup(h)
		if !ok {
			continue
		}
		lo := 0
		for _, s := range shallow {
			if s <= hi && s > lo {
				lo = s
			}
		}
		c.ranges = append(c.ranges, [2]int{lo, hi})
	}
	return c
}

func (c *clientHas) has(i int) bool {
	for _, r := range c.ranges {
		if i >= r[0] && i <= r[1] {
			return true
		}
	}
	return false
}

// plan decides what a fetch sends. Wants must have passed checkWants.
func (r *Repository) plan(q *fetchRequest) *fetchPlan {
	p := &fetchPlan{common: r.commonHaves(q.haves)}
	has := r.clientHas(q)
	sent := make(map[int]bool)
	for _, wi := range r.walkStarts(q) {
		lo := r.lowest(q, wi)
		for j := wi; j >= lo; j-- {
			if has.has(j) {
				if !q.deepening() {
					break
				}
				continue
			}
			sent[j] = true
		}
	}
	for j := range sent {
		p.send = append(p.send, j)
		if j > 0 && !sent[j-1] && !has.has(j-1) {
			p.shallow = append(p.shallow, r.Commits[j].ID)
		}
	}
	slices.Sort(p.send)
	slices.Reverse(p.send)
	for _, s := range q.shallows {
		if i, ok := r.lookup(s); ok && i > 0 && sent[i-1] {
			p.unshallow = append(p.unshallow, s)
		}
	}
	p.base = r.baseCommits(sent, has, p.common)
	return p
}

// walkStarts returns the commits a fetch walks down from: the wants and,
// when the client deepens its existing history (--unshallow,
// --deepen), its shallow commits too, as git's upload-pack does.
func (r *Repository) walkStarts(q *fetchRequest) []int {
	var out []int
	for _, w := range q.wants {
		i, _ := r.lookup(w)
		out = append(out, i)
	}
	if q.depth >= infiniteDepth || (q.depth > 0 && q.relative) {
		for _, s := range q.shallows {
			if i, ok := r.lookup(s); ok {
				out = append(out, i)
			}
		}
	}
	return out
}

// lowest returns the lowest commit index that a fetch of want wi may send.
func (r *Repository) lowest(q *fetchRequest, wi int) int {
	lo := r.ShallowFrom
	switch {
	case q.depth > 0 && q.depth < infiniteDepth && q.relative:
		lo = max(lo, r.relativeBottom(q)-q.depth)
	case q.depth > 0 && q.depth < infiniteDepth:
		lo = max(lo, wi-q.depth+1)
	case !q.since.IsZero():
		j := wi
		for j > lo && !r.Commits[j-1].When.Before(q.since) {
			j--
		}
		lo = j
	}
	return lo
}

// relativeBottom is the client's lowest shallow commit, for deepen-relative.
func (r *Repository) relativeBottom(q *fetchRequest) int {
	bottom := len(r.Commits)
	for _, s := range q.shallows {
		if i, ok := r.lookup(s); ok && i < bottom {
			bottom = i
		}
	}
	return bottom
}

// baseCommits returns up to a few commits the client has whose trees
// bound what must be sent: the neighbours of sent commits, the newest
// common have and the client's newest shallow commit.
func (r *Repository) baseCommits(sent map[int]bool, has *clientHas, common []Hash) []int {
	seen := make(map[int]bool)
	var out []int
	add := func(i int) {
		if i >= r.ShallowFrom && i < len(r.Commits) && !sent[i] && has.has(i) && !seen[i] && len(out) < 4 {
			seen[i] = true
			out = append(out, i)
		}
	}
	newest := -1
	for _, h := range common {
		if i, _ := r.lookup(h); i > newest {
			newest = i
		}
	}
	add(newest)
	for j := range sent {
		add(j - 1)
		add(j + 1)
	}
	return out
}

// collect loads the objects a plan sends: its commits, then the trees and
// blobs they need that the base commits do not already have, each once.
func (r *Repository) collect(ctx context.Context, p *fetchPlan) (*packObjects, error) {
	skip := make(map[Hash]bool)
	for _, b := range p.base {
		_, t, err := r.build(ctx, b)
		if err != nil {
			return nil, err
		}
		markTree(skip, t)
	}
	objs := &packObjects{}
	var trees []*Object
	for _, i := range p.send {
		c, t, err := r.build(ctx, i)
		if err != nil {
			return nil, err
		}
		objs.small = append(objs.small, c)
		for _, o := range t.Trees {
			if !skip[o.ID] {
				skip[o.ID] = true
				trees = append(trees, o)
			}
		}
		for _, f := range t.Files {
			if !skip[f.Blob] {
				skip[f.Blob] = true
				objs.blobs = append(objs.blobs, f)
			}
		}
	}
	objs.small = append(objs.small, trees...)
	return objs, nil
}

func markTree(set map[Hash]bool, t *Tree) {
	for _, o := range t.Trees {
		set[o.ID] = true
	}
	for _, f := range t.Files {
		set[f.Blob] = true
	}
}
