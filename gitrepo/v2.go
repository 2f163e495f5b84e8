package gitrepo

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"
)

// agent is what the server calls itself in capability lists.
const agent = "agent=dagdeck"

// advertiseV2 writes protocol v2's capability advertisement.
func advertiseV2(w io.Writer) error {
	p := &pktWriter{w: w}
	p.line("version 2\n")
	p.line(agent + "\n")
	p.line("ls-refs=unborn\n")
	p.line("fetch=shallow\n")
	p.line("object-format=sha1\n")
	p.flush()
	return p.err
}

// serveV2 answers one protocol v2 command (ls-refs or fetch).
func (r *Repository) serveV2(ctx context.Context, body io.Reader, w io.Writer) error {
	pr := newPktReader(body)
	command, err := readV2Command(pr)
	if err != nil {
		return err
	}
	args, err := readV2Args(pr)
	if err != nil {
		return err
	}
	switch command {
	case "ls-refs":
		return r.lsRefs(args, w)
	case "fetch":
		q, err := parseV2Fetch(args)
		if err != nil {
			return err
		}
		return r.fetchV2(ctx, q, w)
	}
	return protocolErrorf("unknown command %q", command)
}

// readV2Command reads "command=X" and the capability lines up to the delimiter.
func readV2Command(pr *pktReader) (string, error) {
	command := ""
	for {
		kind, line, err := pr.next()
		if err != nil {
			if err == io.EOF {
				return "", protocolErrorf("empty request")
			}
			return "", err
		}
		switch {
		case kind == pktDelim:
			if command == "" {
				return "", protocolErrorf("no command")
			}
			return command, nil
		case kind == pktFlush && command == "":
			return "", protocolErrorf("no command")
		case kind == pktFlush:
			return command, nil // no arguments
		case strings.HasPrefix(line, "command="):
			command = strings.TrimPrefix(line, "command=")
		case strings.HasPrefix(line, "object-format=") && line != "object-format=sha1":
			return "", protocolErrorf("unsupported %s", line)
		}
	}
}

// readV2Args reads argument lines up to the flush packet.
func readV2Args(pr *pktReader) ([]string, error) {
	var args []string
	for {
		kind, line, err := pr.next()
		if err == io.EOF {
			return args, nil // the command had no argument section
		}
		if err != nil {
			return nil, err
		}
		if kind == pktFlush {
			return args, nil
		}
		if kind != pktData {
			return nil, protocolErrorf("unexpected special packet in arguments")
		}
		if len(args) > 1_000_000 {
			return nil, protocolErrorf("too many arguments")
		}
		args = append(args, line)
	}
}

func (r *Repository) lsRefs(args []string, w io.Writer) error {
	var symrefs, unborn bool
	var prefixes []string
	for _, a := range args {
		switch {
		case a == "symrefs":
			symrefs = true
		case a == "unborn":
			unborn = true
		case a == "peel":
		case strings.HasPrefix(a, "ref-prefix "):
			prefixes = append(prefixes, strings.TrimPrefix(a, "ref-prefix "))
		default:
			return protocolErrorf("ls-refs: unexpected argument %q", a)
		}
	}
	p := &pktWriter{w: w}
	refs := r.refs()
	if len(refs) == 0 && unborn && matchesPrefix("HEAD", prefixes) {
		p.linef("unborn HEAD symref-target:%s", Branch)
	}
	for _, ref := range refs {
		if !matchesPrefix(ref.name, prefixes) {
			continue
		}
		line := ref.id.String() + " " + ref.name
		if ref.name == "HEAD" && symrefs {
			line += " symref-target:" + Branch
		}
		p.linef("%s", line)
	}
	p.flush()
	return p.err
}

func matchesPrefix(name string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// parseV2Fetch reads the arguments of a v2 fetch.
func parseV2Fetch(args []string) (*fetchRequest, error) {
	q := &fetchRequest{}
	for _, a := range args {
		key, val, _ := strings.Cut(a, " ")
		var err error
		switch key {
		case "want", "have", "shallow":
			err = q.addID(key, val)
		case "done":
			q.done = true
		case "deepen":
			q.depth, err = parseDepth(val)
		case "deepen-relative":
			q.relative = true
		case "deepen-since":
			q.since, err = parseSince(val)
		case "thin-pack", "no-progress", "include-tag", "ofs-delta", "wait-for-done":
		default:
			err = protocolErrorf("fetch: unsupported argument %q", a)
		}
		if err != nil {
			return nil, err
		}
	}
	return q, nil
}

// addID records a want, have or shallow line's object id.
func (q *fetchRequest) addID(key, val string) error {
	id, err := ParseHash(val)
	if err != nil {
		return protocolErrorf("%s: %v", key, err)
	}
	switch key {
	case "want":
		q.wants = append(q.wants, id)
	case "have":
		q.haves = append(q.haves, id)
	default:
		q.shallows = append(q.shallows, id)
	}
	return nil
}

func parseDepth(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, protocolErrorf("deepen: invalid depth %q", s)
	}
	return n, nil
}

func parseSince(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, protocolErrorf("deepen-since: invalid time %q", s)
	}
	return time.Unix(n, 0), nil
}

// fetchV2 answers a v2 fetch: acknowledgments while negotiating, then
// shallow-info and the packfile.
func (r *Repository) fetchV2(ctx context.Context, q *fetchRequest, w io.Writer) error {
	if err := r.checkWants(q.wants); err != nil {
		return err
	}
	p := r.plan(q)
	pw := &pktWriter{w: w}
	if !q.done && len(p.common) == 0 {
		pw.line("acknowledgments\n")
		pw.line("NAK\n")
		pw.flush()
		return pw.err
	}
	objs, err := r.collect(ctx, p)
	if err != nil {
		return err
	}
	if !q.done {
		pw.line("acknowledgments\n")
		for _, c := range p.common {
			pw.linef("ACK %s", c)
		}
		pw.line("ready\n")
		pw.delim()
	}
	if q.deepening() || len(q.shallows) > 0 || len(p.shallow) > 0 {
		pw.line("shallow-info\n")
		for _, s := range p.shallow {
			pw.linef("shallow %s", s)
		}
		for _, s := range p.unshallow {
			pw.linef("unshallow %s", s)
		}
		pw.delim()
	}
	pw.line("packfile\n")
	if pw.err != nil {
		return pw.err
	}
	return r.sendPack(ctx, objs, w)
}

// sendPack streams the pack on side-band 1 and ends the response.
func (r *Repository) sendPack(ctx context.Context, objs *packObjects, w io.Writer) error {
	sb := newSidebandWriter(w, 1)
	if err := newPackWriter(sb, r.Open).writePack(ctx, objs); err != nil {
		sb.Flush()
		msg := newSidebandWriter(w, 3)
		msg.Write([]byte("pack failed: internal error\n"))
		msg.Flush()
		return &streamError{err: err}
	}
	if err := sb.Flush(); err != nil {
		return err
	}
	pw := &pktWriter{w: w}
	pw.flush()
	return pw.err
}

// streamError is an error after a response began; the client was told.
type streamError struct{ err error }

func (e *streamError) Error() string { return "stream pack: " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }
