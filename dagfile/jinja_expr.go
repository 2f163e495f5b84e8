package dagfile

import (
	"sort"
	"strings"
)

// expr is a value followed by filters: `params.day | default('x') | upper`.
type expr struct {
	base    operand
	filters []filter
}

// operand is a literal or a variable path such as params['x'].y.
type operand struct {
	pos     int    // byte offset in the template
	literal any    // used when root is ""
	root    string // the variable name
	steps   []step
}

// step is one attribute (.name) or item (['key'] or [index]) access.
type step struct {
	attr    bool   // .name, not [ … ]
	isIndex bool   // [index] with an integer
	key     string // the name or key
	index   int
}

// filter is `| name` or `| name(args)`.
type filter struct {
	pos  int
	name string
	args []operand
}

// filterArity gives the supported filters and their min and max argument counts.
var filterArity = map[string][2]int{
	"default": {0, 2}, "d": {0, 2},
	"upper": {0, 0}, "lower": {0, 0}, "trim": {0, 0}, "string": {0, 0},
	"replace": {2, 3},
}

// keywords are Jinja's expression keywords, none of them supported.
var keywords = map[string]string{
	"and": "operator", "or": "operator", "not": "operator", "in": "operator",
	"is": "test (is …)", "if": "conditional expression (if … else)", "else": "conditional expression (if … else)",
}

// parser reads one expression's tokens.
type parser struct {
	t    *template
	toks []token // ends with tokEOF
	i    int
}

// parseExpr parses the body of a {{ … }} that starts at byte start.
func (t *template) parseExpr(start int, body string) (*expr, error) {
	toks, err := t.tokenize(start, body)
	if err != nil {
		return nil, err
	}
	p := &parser{t: t, toks: toks}
	base, err := p.operand()
	if err != nil {
		return nil, err
	}
	e := &expr{base: base}
	for p.peek().isPunct("|") {
		p.next()
		f, err := p.filter()
		if err != nil {
			return nil, err
		}
		e.filters = append(e.filters, f)
	}
	if tok := p.peek(); tok.kind != tokEOF {
		return nil, p.unexpected(tok)
	}
	return e, nil
}

// peek returns the next token without taking it.
func (p *parser) peek() token { return p.toks[p.i] }

// next takes the next token; at the end it keeps returning tokEOF.
func (p *parser) next() token {
	tok := p.toks[p.i]
	if tok.kind != tokEOF {
		p.i++
	}
	return tok
}

// unexpected explains a token that cannot follow what came before.
func (p *parser) unexpected(tok token) error {
	switch {
	case tok.isPunct("("):
		return p.t.errorf(tok.pos, "calls such as f() or x.method() are not supported")
	case tok.kind == tokName && keywords[tok.text] != "":
		return p.t.errorf(tok.pos, "unsupported %s %q", keywords[tok.text], tok.text)
	case tok.kind == tokString:
		return p.t.errorf(tok.pos, "unexpected string %s (adjacent strings are not joined)", tok.text)
	case tok.kind == tokEOF:
		return p.t.errorf(tok.pos, "unexpected end of expression")
	}
	return p.t.errorf(tok.pos, "unexpected %q (supported: a variable, its attributes and items, a literal, then filters)", tok.text)
}

// operand reads a literal or a variable with its attribute and item steps.
func (p *parser) operand() (operand, error) {
	tok := p.next()
	o := operand{pos: tok.pos, literal: tok.val}
	switch tok.kind {
	case tokString, tokInt, tokFloat:
		return o, nil
	case tokEOF:
		return o, p.t.errorf(tok.pos, "missing expression")
	case tokPunct:
		return o, p.t.errorf(tok.pos, "unexpected %q (list literals, tuples and parentheses are not supported)", tok.text)
	}
	switch tok.text {
	case "true", "True":
		o.literal = true
		return o, nil
	case "false", "False":
		o.literal = false
		return o, nil
	case "none", "None":
		return o, nil
	}
	if keywords[tok.text] != "" {
		return o, p.unexpected(tok)
	}
	o.root = tok.text
	return o, p.steps(&o)
}

// steps reads the .name and [key] accesses after a variable.
func (p *parser) steps(o *operand) error {
	for {
		var s step
		var err error
		switch tok := p.peek(); {
		case tok.isPunct("."):
			p.next()
			s, err = p.attrStep()
		case tok.isPunct("["):
			p.next()
			s, err = p.itemStep()
		default:
			return nil
		}
		if err != nil {
			return err
		}
		o.steps = append(o.steps, s)
	}
}

// attrStep reads the name after a dot.
func (p *parser) attrStep() (step, error) {
	tok := p.next()
	switch {
	case tok.kind == tokInt:
		return step{}, p.t.errorf(tok.pos, "write [%s] for an index, not .%s", tok.text, tok.text)
	case tok.kind != tokName:
		return step{}, p.t.errorf(tok.pos, "expected an attribute name after .")
	case strings.HasPrefix(tok.text, "_"):
		return step{}, p.t.errorf(tok.pos, "attribute %q: names starting with _ are not supported (write ['%s'] for a key)", tok.text, tok.text)
	}
	return step{attr: true, key: tok.text}, nil
}

// itemStep reads ['key'] or [index] after the [.
func (p *parser) itemStep() (step, error) {
	tok := p.next()
	var s step
	switch tok.kind {
	case tokString:
		s.key = tok.val.(string)
	case tokInt:
		s.isIndex, s.index = true, tok.val.(int)
	default:
		return s, p.t.errorf(tok.pos, `expected ["key"] or [index] (a string or a non-negative integer)`)
	}
	if end := p.next(); !end.isPunct("]") {
		return s, p.t.errorf(end.pos, "expected ] after [%s", tok.text)
	}
	return s, nil
}

// filter reads a filter's name and arguments after the |.
func (p *parser) filter() (filter, error) {
	tok := p.next()
	f := filter{pos: tok.pos, name: tok.text}
	if tok.kind != tokName {
		return f, p.t.errorf(tok.pos, "missing filter name after |")
	}
	arity, ok := filterArity[f.name]
	if !ok {
		return f, p.t.errorf(tok.pos, "unknown filter %q (supported: %s)", f.name, strings.Join(filterNames(), ", "))
	}
	if p.peek().isPunct("(") {
		p.next()
		if err := p.filterArgs(&f); err != nil {
			return f, err
		}
	}
	if len(f.args) < arity[0] || len(f.args) > arity[1] {
		return f, p.t.errorf(tok.pos, "filter %s takes %d to %d arguments, not %d", f.name, arity[0], arity[1], len(f.args))
	}
	return f, nil
}

// filterArgs reads `a, b)` after a filter's (.
func (p *parser) filterArgs(f *filter) error {
	for !p.peek().isPunct(")") {
		a, err := p.operand()
		if err != nil {
			return err
		}
		f.args = append(f.args, a)
		switch tok := p.peek(); {
		case tok.isPunct(","):
			p.next()
		case tok.isPunct("|"):
			return p.t.errorf(tok.pos, "filters inside filter arguments are not supported")
		case !tok.isPunct(")"):
			return p.unexpected(tok)
		}
	}
	p.next()
	return nil
}

// filterNames lists the supported filters, sorted.
func filterNames() []string {
	names := make([]string, 0, len(filterArity))
	for n := range filterArity {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
