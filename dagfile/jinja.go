package dagfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// template is a parsed Jinja template of the supported subset: text,
// {{ expression }}, {# comment #}, and the - whitespace controls.
type template struct {
	src   string // the source after newline normalization, for error positions
	parts []part
}

// part is literal text (expr == nil) or an expression to print.
type part struct {
	text string
	expr *expr
}

// parseTemplate parses src. Statements ({% … %}) are not supported. As in
// Jinja, \r\n and \r become \n and one trailing newline is dropped.
func parseTemplate(src string) (*template, error) {
	if !utf8.ValidString(src) {
		return nil, errors.New("template: not valid UTF-8")
	}
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	t := &template{src: src}
	trimNext := false
	for pos := 0; ; {
		i := nextTag(src[pos:])
		if i < 0 {
			t.addText(src[pos:], trimNext, false)
			return t, nil
		}
		at := pos + i
		t.addText(src[pos:at], trimNext, strings.HasPrefix(src[at+2:], "-"))
		e, trim, next, err := t.tag(at)
		if err != nil {
			return nil, err
		}
		if e != nil {
			t.parts = append(t.parts, part{expr: e})
		}
		trimNext, pos = trim, next
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

// addText appends literal text, stripped of leading or trailing whitespace
// as the neighbouring tags' - controls ask.
func (t *template) addText(s string, trimLeft, trimRight bool) {
	if trimLeft {
		s = strings.TrimLeftFunc(s, pyIsSpace)
	}
	if trimRight {
		s = strings.TrimRightFunc(s, pyIsSpace)
	}
	if s != "" {
		t.parts = append(t.parts, part{text: s})
	}
}

// tag reads the {{ … }} or {# … #} starting at byte at of t.src. It returns
// the expression (nil for a comment), whether the tag strips the whitespace
// after it (-}} or -#}), and where the text after it starts.
func (t *template) tag(at int) (e *expr, trimNext bool, next int, err error) {
	open := t.src[at : at+2]
	if open == "{%" {
		return nil, false, 0, t.statementError(at)
	}
	closing := map[string]string{"{{": "}}", "{#": "#}"}[open]
	start := at + 2
	n, quote := cutClosing(t.src[start:], closing, open == "{{")
	switch {
	case quote >= 0:
		return nil, false, 0, t.errorf(start+quote, "unterminated string in %s … %s", open, closing)
	case n < 0:
		return nil, false, 0, t.errorf(at, "%s without %s", open, closing)
	}
	body, next := t.src[start:start+n], start+n+len(closing)
	if strings.HasPrefix(body, "-") {
		body, start = body[1:], start+1
	}
	if strings.HasSuffix(body, "-") {
		body, trimNext = body[:len(body)-1], true
	}
	if open == "{#" {
		return nil, trimNext, next, nil
	}
	e, err = t.parseExpr(start, body)
	return e, trimNext, next, err
}

// cutClosing finds the first closing delimiter in s outside string literals
// (when quotes is set). It returns its index, or -1 and, when a string is
// left open, the index of its quote (else -1).
func cutClosing(s, closing string, quotes bool) (n, quote int) {
	quote = -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote >= 0 && c == '\\':
			i++
		case quote >= 0 && c == s[quote]:
			quote = -1
		case quote >= 0:
		case quotes && (c == '\'' || c == '"'):
			quote = i
		case strings.HasPrefix(s[i:], closing):
			return i, -1
		}
	}
	return -1, quote
}

// statementError refuses the {% … %} at byte at, naming its keyword.
func (t *template) statementError(at int) error {
	rest := strings.TrimLeft(t.src[at+2:], "-+")
	rest = strings.TrimLeftFunc(rest, pyIsSpace)
	end := strings.IndexFunc(rest, func(r rune) bool { return !isNameChar(r) })
	if end < 0 {
		end = len(rest)
	}
	stmt := "{% %}"
	if end > 0 {
		stmt = "{% " + rest[:end] + " %}"
	}
	return t.errorf(at, "unsupported statement %s (templates allow no {%% … %%} statements, only {{ expressions }} and {# comments #})", stmt)
}

// errorf returns an error at byte pos of the template, as "template: line
// L, column C: …" (1-based; columns count characters).
func (t *template) errorf(pos int, format string, args ...any) error {
	before := t.src[:min(pos, len(t.src))]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Errorf("template: line %d, column %d: %s", line, col, fmt.Sprintf(format, args...))
}
