package gitrepo

import (
	"context"
	"io"
	"strings"
)

// capabilitiesV0 are the capabilities of protocol v0's ref advertisement.
const capabilitiesV0 = "multi_ack_detailed no-done side-band-64k shallow deepen-since deepen-relative no-progress " +
	"allow-tip-sha1-in-want allow-reachable-sha1-in-want symref=HEAD:" + Branch + " object-format=sha1 " + agent

// advertiseV0 writes protocol v0's ref advertisement: refs (capabilities
// after the first), then the repository's shallow roots.
func (r *Repository) advertiseV0(w io.Writer) error {
	p := &pktWriter{w: w}
	refs := r.refs()
	if len(refs) == 0 {
		p.linef("%s capabilities^{}\x00%s", ZeroHash, capabilitiesV0)
	}
	for i, ref := range refs {
		if i == 0 {
			p.linef("%s %s\x00%s", ref.id, ref.name, capabilitiesV0)
			continue
		}
		p.linef("%s %s", ref.id, ref.name)
	}
	for _, s := range r.shallowRoots() {
		p.linef("shallow %s", s)
	}
	p.flush()
	return p.err
}

// serveV0 answers one stateless protocol v0 upload-pack request: the want
// block (with shallow and deepen lines), then haves ending in a flush (one
// negotiation round) or "done".
func (r *Repository) serveV0(ctx context.Context, body io.Reader, w io.Writer) error {
	pr := newPktReader(body)
	q, err := readV0Wants(pr)
	if err != nil {
		return err
	}
	if err := r.checkWants(q.wants); err != nil {
		return err
	}
	negotiating, err := readV0Haves(pr, q)
	if err != nil {
		return err
	}
	p := r.plan(q)
	ready := len(p.common) > 0
	var objs *packObjects
	if q.done || ready {
		if objs, err = r.collect(ctx, p); err != nil {
			return err
		}
	}
	pw := &pktWriter{w: w}
	if q.deepening() {
		for _, s := range p.shallow {
			pw.linef("shallow %s", s)
		}
		for _, s := range p.unshallow {
			pw.linef("unshallow %s", s)
		}
		pw.flush()
	}
	if !negotiating {
		// Only the shallow list was asked for (a deepening client's first request).
		return pw.err
	}
	writeV0Acks(pw, q, p)
	if pw.err != nil || objs == nil {
		return pw.err
	}
	return r.sendPack(ctx, objs, w)
}

// writeV0Acks writes multi_ack_detailed acknowledgments. With common
// commits the server is ready at once (the history is linear) and, with
// no-done, sends the pack in the same response.
func writeV0Acks(pw *pktWriter, q *fetchRequest, p *fetchPlan) {
	if len(p.common) == 0 {
		pw.line("NAK\n")
		return
	}
	last := p.common[len(p.common)-1]
	if !q.done {
		for _, c := range p.common {
			pw.linef("ACK %s common", c)
		}
		pw.linef("ACK %s ready", last)
		pw.line("NAK\n")
	}
	pw.linef("ACK %s", last)
}

// readV0Wants reads the want block: want lines (capabilities after the
// first), shallow and deepen lines, ending with a flush.
func readV0Wants(pr *pktReader) (*fetchRequest, error) {
	q := &fetchRequest{}
	for {
		kind, line, err := pr.next()
		if err == io.EOF {
			return nil, protocolErrorf("request ended before its want lines")
		}
		if err != nil {
			return nil, err
		}
		if kind == pktFlush {
			return q, nil
		}
		if kind != pktData {
			return nil, protocolErrorf("unexpected special packet")
		}
		if err := q.addV0WantLine(line); err != nil {
			return nil, err
		}
	}
}

func (q *fetchRequest) addV0WantLine(line string) error {
	key, val, _ := strings.Cut(line, " ")
	var err error
	switch key {
	case "want":
		id, caps, _ := strings.Cut(val, " ") // capabilities follow the first want
		q.relative = q.relative || strings.Contains(" "+caps+" ", " deepen-relative ")
		err = q.addID("want", id)
	case "shallow":
		err = q.addID("shallow", val)
	case "deepen":
		q.depth, err = parseDepth(val)
	case "deepen-since":
		q.since, err = parseSince(val)
	case "deepen-relative":
		q.relative = true
	default:
		err = protocolErrorf("unexpected line %q", line)
	}
	return err
}

// readV0Haves reads have lines up to a flush or "done". It reports false
// when the request ended right after its wants: a deepening client asks
// for the shallow list alone first.
func readV0Haves(pr *pktReader, q *fetchRequest) (bool, error) {
	for n := 0; ; n++ {
		kind, line, err := pr.next()
		if err == io.EOF && n == 0 {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case kind == pktFlush:
			return true, nil
		case kind != pktData:
			return false, protocolErrorf("unexpected special packet")
		case line == "done":
			q.done = true
			return true, nil
		case strings.HasPrefix(line, "have "):
			if err := q.addID("have", strings.TrimPrefix(line, "have ")); err != nil {
				return false, err
			}
		default:
			return false, protocolErrorf("unexpected line %q", line)
		}
	}
}
