package dagfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// template is a parsed Jinja template of the supported subset: text,
// {{ expression }}, {# comment #}, and the - whitespace controls.
type template struct {
	parts []part
}

// part is literal text (expr == nil) or an expression to print.
type part struct {
	text string
	expr *expr
}

// expr is a value followed by filters: `params.day | default('x') | upper`.
type expr struct {
	base    operand
	filters []filter
}

// operand is a literal or a variable path such as params['x'].y.
type operand struct {
	literal any      // used when path is empty
	path    []string // root name, then attributes / keys
}

type filter struct {
	name string
	args []operand
}

// filterArity gives the supported filters and their min and max argument counts.
var filterArity = map[string][2]int{
	"default": {0, 2}, "d": {0, 2},
	"upper": {0, 0}, "lower": {0, 0}, "trim": {0, 0}, "string": {0, 0},
	"replace": {2, 3},
}

// parseTemplate parses src. Statements ({% … %}) are not supported.
func parseTemplate(src string) (*template, error) {
	src = strings.TrimSuffix(src, "\n") // Jinja drops one trailing newline
	t := &template{}
	trimNext := false
	for {
		i := nextTag(src)
		if i < 0 {
			t.addText(src, trimNext, false)
			return t, nil
		}
		open := src[i : i+2]
		trimPrev := i+2 < len(src) && src[i+2] == '-'
		t.addText(src[:i], trimNext, trimPrev)
		if open == "{%" {
			return nil, fmt.Errorf("template statements ({%% … %%}) are not supported")
		}
		closing := map[string]string{"{{": "}}", "{#": "#}"}[open]
		body, rest, ok := cutClosing(src[i+2:], closing, open == "{{")
		if !ok {
			return nil, fmt.Errorf("template: %s without %s", open, closing)
		}
		body = strings.TrimPrefix(body, "-")
		trimNext = strings.HasSuffix(body, "-")
		body = strings.TrimSuffix(body, "-")
		if open == "{{" {
			e, err := parseExpr(body)
			if err != nil {
				return nil, fmt.Errorf("template {{%s}}: %w", body, err)
			}
			t.parts = append(t.parts, part{expr: e})
		}
		src = rest
	}
}

// nextTag returns the index of the first {{, {% or {# in s, or -1.
func nextTag(s string) int {
	first := -1
	for _, open := range []string{"{{", "{%", "{#"} {
		if i := strings.Index(s, open); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

func (t *template) addText(s string, trimLeft, trimRight bool) {
	if trimLeft {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if trimRight {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	if s != "" {
		t.parts = append(t.parts, part{text: s})
	}
}

// cutClosing splits s at the first closing delimiter outside string literals.
func cutClosing(s, closing string, quotes bool) (body, rest string, ok bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case quotes && (c == '\'' || c == '"'):
			quote = c
		case strings.HasPrefix(s[i:], closing):
			return s[:i], s[i+len(closing):], true
		}
	}
	return "", "", false
}

// parser reads one expression's tokens.
type parser struct {
	toks []string
	pos  int
}

func parseExpr(src string) (*expr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	base, err := p.operand()
	if err != nil {
		return nil, err
	}
	e := &expr{base: base}
	for p.peek() == "|" {
		p.pos++
		f, err := p.filter()
		if err != nil {
			return nil, err
		}
		e.filters = append(e.filters, f)
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q (supported: variables, attributes, literals, filters)", p.toks[p.pos])
	}
	return e, nil
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *parser) next() string { s := p.peek(); p.pos++; return s }

func (p *parser) filter() (filter, error) {
	f := filter{name: p.next()}
	arity, ok := filterArity[f.name]
	if !ok {
		return f, fmt.Errorf("unknown filter %q", f.name)
	}
	if p.peek() == "(" {
		p.pos++
		for p.peek() != ")" {
			a, err := p.operand()
			if err != nil {
				return f, err
			}
			f.args = append(f.args, a)
			if p.peek() == "," {
				p.pos++
			} else if p.peek() != ")" {
				return f, fmt.Errorf("filter %s: expected , or )", f.name)
			}
		}
		p.pos++
	}
	if len(f.args) < arity[0] || len(f.args) > arity[1] {
		return f, fmt.Errorf("filter %s takes %d to %d arguments, not %d", f.name, arity[0], arity[1], len(f.args))
	}
	return f, nil
}

func (p *parser) operand() (operand, error) {
	tok := p.next()
	switch {
	case tok == "":
		return operand{}, fmt.Errorf("missing expression")
	case tok[0] == '\'' || tok[0] == '"':
		return operand{literal: tok[1:]}, nil
	case tok[0] >= '0' && tok[0] <= '9':
		if i, err := strconv.Atoi(tok); err == nil {
			return operand{literal: i}, nil
		}
		f, err := strconv.ParseFloat(tok, 64)
		return operand{literal: f}, err
	}
	switch tok {
	case "true", "True":
		return operand{literal: true}, nil
	case "false", "False":
		return operand{literal: false}, nil
	case "none", "None":
		return operand{}, nil
	}
	if !isIdent(tok) {
		return operand{}, fmt.Errorf("unexpected %q", tok)
	}
	o := operand{path: []string{tok}}
	for {
		switch p.peek() {
		case ".":
			p.pos++
			name := p.next()
			if !isIdent(name) {
				return o, fmt.Errorf("expected an attribute name after ., not %q", name)
			}
			o.path = append(o.path, name)
		case "[":
			p.pos++
			key := p.next()
			if key == "" || (key[0] != '\'' && key[0] != '"' && (key[0] < '0' || key[0] > '9')) || p.next() != "]" {
				return o, fmt.Errorf("expected [\"key\"] or [index]")
			}
			if key[0] == '\'' || key[0] == '"' {
				key = key[1:]
			}
			o.path = append(o.path, key)
		default:
			return o, nil
		}
	}
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

// tokenize splits an expression; string tokens keep their opening quote and
// have escapes resolved.
func tokenize(src string) ([]string, error) {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte(".[](),|", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '\'' || c == '"':
			s, n, err := readString(src[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, string(c)+s)
			i += n
		case c == '_' || c >= '0' && c <= '9' || c < 0x80 && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= '0' && src[j] <= '9' || unicode.IsLetter(rune(src[j])) ||
				(src[j] == '.' && c >= '0' && c <= '9' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9')) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unsupported %q (supported: variables, attributes, literals, filters)", string(c))
		}
	}
	return toks, nil
}

// readString reads a quoted literal at the start of s; it returns its value
// and how many bytes it took.
func readString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}
