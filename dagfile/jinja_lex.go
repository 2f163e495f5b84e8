package dagfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokenKind says what a token of an expression is.
type tokenKind int

// Token kinds.
const (
	tokEOF tokenKind = iota
	tokName
	tokString
	tokInt
	tokFloat
	tokPunct // . [ ] ( ) , |
)

// token is one lexeme of an expression; pos is its byte offset in the template.
type token struct {
	kind tokenKind
	text string // the source text; for tokString the quoted literal
	val  any    // string, int or float64 for literals
	pos  int
}

// isPunct reports whether t is the punctuation s.
func (t token) isPunct(s string) bool { return t.kind == tokPunct && t.text == s }

// Jinja's number syntax (lexer.py); based integers (0b, 0o, 0x) are refused.
var (
	floatRe = regexp.MustCompile(`^(?i)(\d+_)*\d+((\.(\d+_)*\d+)?e[+\-]?(\d+_)*\d+|\.(\d+_)*\d+)`)
	intRe   = regexp.MustCompile(`^([1-9](_?\d)*|0(_?0)*)`)
	basedRe = regexp.MustCompile(`^0[bBoOxX]`)
)

// operators are Jinja's operators, longest first, none of them supported.
var operators = []string{"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "!"}

// tokenize splits the expression body, which starts at byte start of t.src.
func (t *template) tokenize(start int, body string) ([]token, error) {
	var toks []token
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		var tok token
		var err error
		switch {
		case pyIsSpace(r):
			i += size
			continue
		case r == '\'' || r == '"':
			tok, err = t.lexString(start+i, body[i:])
		case r >= '0' && r <= '9':
			tok, err = t.lexNumber(start+i, body[i:])
		case r == '_' || isASCIILetter(r):
			n := strings.IndexFunc(body[i:], func(r rune) bool { return !isNameChar(r) })
			if n < 0 {
				n = len(body) - i
			}
			tok = token{kind: tokName, text: body[i : i+n]}
		case strings.ContainsRune(".[](),|", r):
			tok = token{kind: tokPunct, text: string(r)}
		default:
			return nil, t.unsupportedChar(start+i, body[i:])
		}
		if err != nil {
			return nil, err
		}
		tok.pos = start + i
		toks = append(toks, tok)
		i += len(tok.text)
	}
	return append(toks, token{kind: tokEOF, pos: start + len(body)}), nil
}

// isASCIILetter reports whether r is a-z or A-Z.
func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isNameChar reports whether r may continue a name (Jinja's ASCII names).
func isNameChar(r rune) bool { return r == '_' || isASCIILetter(r) || r >= '0' && r <= '9' }

// unsupportedChar explains why the character at s (byte pos) is refused.
func (t *template) unsupportedChar(pos int, s string) error {
	for _, op := range operators {
		if strings.HasPrefix(s, op) {
			return t.errorf(pos, "unsupported operator %q (the subset has no operators)", op)
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '{', '}':
		return t.errorf(pos, "dict literals ({ … }) are not supported")
	case ':':
		return t.errorf(pos, "slices ([a:b]) are not supported")
	case '=':
		return t.errorf(pos, "keyword arguments and assignments (=) are not supported")
	}
	if r >= utf8.RuneSelf {
		return t.errorf(pos, "unsupported character %q (names are ASCII letters, digits and _)", r)
	}
	return t.errorf(pos, "unsupported character %q", r)
}

// lexNumber reads the integer or float literal at s (byte pos).
func (t *template) lexNumber(pos int, s string) (token, error) {
	if basedRe.MatchString(s) {
		return token{}, t.errorf(pos, "binary, octal and hexadecimal integers are not supported")
	}
	if m := floatRe.FindString(s); m != "" {
		f, err := strconv.ParseFloat(strings.ReplaceAll(m, "_", ""), 64)
		if err != nil {
			return token{}, t.errorf(pos, "float literal %s is out of range", m)
		}
		return token{kind: tokFloat, text: m, val: f}, nil
	}
	m := intRe.FindString(s)
	i, err := strconv.ParseInt(strings.ReplaceAll(m, "_", ""), 10, 0)
	if err != nil {
		return token{}, t.errorf(pos, "integer literal %s is too large", m)
	}
	return token{kind: tokInt, text: m, val: int(i)}, nil
}

// lexString reads the quoted literal at s (byte pos) and decodes it as
// Jinja does.
func (t *template) lexString(pos int, s string) (token, error) {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			v, err := pyUnescape(s[1:i])
			if err != nil {
				return token{}, t.errorf(pos, "string literal: %v", err)
			}
			return token{kind: tokString, text: s[:i+1], val: v}, nil
		}
	}
	return token{}, t.errorf(pos, "unterminated string")
}

// pyUnescape decodes a string literal's content as Jinja does: non-ASCII
// characters are first written as backslash escapes (Python's
// encode("ascii", "backslashreplace")), then the unicode-escape codec reads
// the whole, so unknown escapes such as \d keep their backslash.
func pyUnescape(s string) (string, error) {
	var ascii strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			ascii.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&ascii, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&ascii, `\u%04x`, r)
		default:
			fmt.Fprintf(&ascii, `\U%08x`, r)
		}
	}
	return decodeUnicodeEscape(ascii.String())
}

// simpleEscapes are Python's one-character escapes.
var simpleEscapes = map[byte]string{
	'\n': "", '\\': `\`, '\'': "'", '"': `"`,
	'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v",
}

// decodeUnicodeEscape is Python's unicode-escape codec for ASCII input.
func decodeUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i++; i == len(s) {
			return "", errors.New(`\ at end of string`)
		}
		r, n, err := decodeEscape(s[i:])
		if err != nil {
			return "", err
		}
		b.WriteString(r)
		i += n - 1
	}
	return b.String(), nil
}

// decodeEscape decodes the escape after a backslash at the start of s; it
// returns its value and how many bytes it took.
func decodeEscape(s string) (string, int, error) {
	c := s[0]
	if v, ok := simpleEscapes[c]; ok {
		return v, 1, nil
	}
	switch {
	case c >= '0' && c <= '7':
		n := 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[:n], 8, 32)
		return string(rune(v)), n, nil
	case c == 'x' || c == 'u' || c == 'U':
		return decodeHexEscape(s)
	case c == 'N':
		return "", 0, errors.New(`\N{…} escapes are not supported`)
	}
	return `\` + string(c), 1, nil
}

// decodeHexEscape decodes \xhh, \uhhhh or \Uhhhhhhhh (s starts at the letter).
func decodeHexEscape(s string) (string, int, error) {
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[0]]
	if len(s) < n+1 {
		return "", 0, fmt.Errorf(`truncated \%c escape`, s[0])
	}
	v, err := strconv.ParseUint(s[1:n+1], 16, 32)
	switch {
	case err != nil:
		return "", 0, fmt.Errorf(`truncated \%c escape`, s[0])
	case v > utf8.MaxRune:
		return "", 0, fmt.Errorf(`\%s is not a Unicode character`, s[:n+1])
	case v >= 0xD800 && v < 0xE000:
		return "", 0, fmt.Errorf(`\%s is a surrogate, which is not supported`, s[:n+1])
	}
	return string(rune(v)), n + 1, nil
}
