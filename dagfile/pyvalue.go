package dagfile

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// pyStr renders v as Python's str() would, so output matches Airflow. It
// refuses what it cannot render as Airflow does: Airflow objects, and
// mappings of more than one key (their key order is not kept).
func pyStr(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "None", nil
	case string:
		return v, nil
	case bool:
		if v {
			return "True", nil
		}
		return "False", nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return pyFloat(v), nil
	case json.Number:
		return pyNumber(v), nil
	case time.Time:
		return pyISO(v), nil
	case []any:
		return pyList(v)
	case map[string]any:
		return pyDict(v)
	case object:
		return "", fmt.Errorf("cannot print %s, an Airflow object; print one of its attributes", v.name)
	case undefined:
		return "", fmt.Errorf("undefined variable %q", v.name)
	}
	return "", fmt.Errorf("cannot print a value of Go type %T", v)
}

// pyList renders a list as Python's str() would.
func pyList(l []any) (string, error) {
	items := make([]string, len(l))
	for i, x := range l {
		var err error
		if items[i], err = pyRepr(x); err != nil {
			return "", err
		}
	}
	return "[" + strings.Join(items, ", ") + "]", nil
}

// pyDict renders a mapping of at most one key as Python's str() would.
func pyDict(m map[string]any) (string, error) {
	if len(m) > 1 {
		return "", fmt.Errorf("cannot print a mapping of %d keys: its key order is not kept; print its values one by one", len(m))
	}
	for k, x := range m {
		s, err := pyRepr(x)
		return "{" + pyQuote(k) + ": " + s + "}", err
	}
	return "{}", nil
}

// pyRepr renders v as Python's repr() would, for values inside lists and
// mappings.
func pyRepr(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return pyQuote(v), nil
	case time.Time:
		return "", fmt.Errorf("cannot print a date-time inside a list or mapping")
	}
	return pyStr(v)
}

// pyQuote is Python's repr() of a string: single quotes unless the string
// holds ' and no ", backslash escapes for the quote, \ and unprintable
// characters.
func pyQuote(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// pyFloat is Python's repr() of a float: the shortest digits that read
// back, positional for exponents -4 to 15 (with at least one decimal),
// scientific otherwise (1e+16, 1e-05).
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyNumber renders a JSON number as Python's json module reads it: an int
// when written without fraction or exponent, else a float.
func pyNumber(n json.Number) string {
	if !strings.ContainsAny(string(n), ".eE") {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		return string(n) // a Python int of any size
	}
	f, _ := n.Float64()
	return pyFloat(f)
}

// pyInt returns v as a Python int (bool counts, as in Python), if it is one.
func pyInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case json.Number:
		i, err := strconv.Atoi(string(v))
		return i, err == nil
	}
	return 0, false
}

// truthy follows Python truthiness.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil, undefined:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case int:
		return v != 0
	case int64:
		return v != 0
	case float64:
		return v != 0
	case json.Number:
		f, err := v.Float64()
		return err != nil || f != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// pyIsSpace is Python's str.isspace for one character: Unicode white
// space and the separators \x1c to \x1f.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// pyISO formats t like Python's datetime.isoformat() for an aware UTC time.
func pyISO(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}
