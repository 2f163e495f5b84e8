package dagfile

import (
	"fmt"
	"math"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

// docError is a problem in one document; the loader adds file and document.
type docError struct {
	Task string
	Line int
	Msg  string
}

func (e *docError) Error() string { return e.Msg }

// errorf returns a docError located at n (which may be nil).
func errorf(n *yaml.Node, format string, args ...any) *docError {
	e := &docError{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// inTask attributes err to task id unless it already names a task.
func inTask(id string, err *docError) *docError {
	if err != nil && err.Task == "" {
		err.Task = id
	}
	return err
}

// Limits of a document (see doc.go). maxAliasNodes bounds what aliases add
// when expanded ("billion laughs"), whatever the document's own size.
const (
	maxDocumentNodes = 2_000_000
	maxAliasNodes    = 100_000
	maxDepth         = 200
)

// expand returns a copy of n with aliases replaced by what they point to and
// YAML 1.1 merge keys (<<) applied, rejecting duplicate mapping keys.
func expand(n *yaml.Node) (*yaml.Node, *docError) {
	own := countNodes(n)
	if own > maxDocumentNodes {
		return nil, errorf(n, "document has %d YAML nodes; the limit is %d", own, maxDocumentNodes)
	}
	count, limit := 0, own+maxAliasNodes
	return expandNode(n, &count, limit, 0)
}

// countNodes counts n's nodes as written, an alias counting as one.
func countNodes(n *yaml.Node) int {
	c := 1
	if n.Kind != yaml.AliasNode {
		for _, child := range n.Content {
			c += countNodes(child)
		}
	}
	return c
}

func expandNode(n *yaml.Node, count *int, limit, depth int) (*yaml.Node, *docError) {
	switch *count++; {
	case depth > maxDepth:
		return nil, errorf(n, "document is nested more than %d levels deep", maxDepth)
	case *count > limit:
		return nil, errorf(n, "aliases expand the document by more than %d YAML nodes", maxAliasNodes)
	}
	if n.Kind == yaml.AliasNode {
		return expandNode(n.Alias, count, limit, depth+1)
	}
	out := *n
	out.Content = nil
	if n.Kind == yaml.MappingNode {
		return expandMapping(n, &out, count, limit, depth)
	}
	for _, c := range n.Content {
		e, err := expandNode(c, count, limit, depth+1)
		if err != nil {
			return nil, err
		}
		out.Content = append(out.Content, e)
	}
	return &out, nil
}

func expandMapping(n, out *yaml.Node, count *int, limit, depth int) (*yaml.Node, *docError) {
	seen := map[string]*yaml.Node{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ve, err := expandNode(v, count, limit, depth+1)
		if err != nil {
			return nil, err
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			m, err := mergeSources(k, ve)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		ke, err := expandNode(k, count, limit, depth+1)
		if err != nil {
			return nil, err
		}
		id := ke.Tag + ":" + ke.Value
		if first, dup := seen[id]; dup {
			return nil, errorf(k, "duplicate key %q (first at line %d)", ke.Value, first.Line)
		}
		seen[id] = ke
		out.Content = append(out.Content, ke, ve)
	}
	// Merged keys fill in what the mapping does not set; earlier sources win.
	for i := 0; i+1 < len(merged); i += 2 {
		id := merged[i].Tag + ":" + merged[i].Value
		if seen[id] == nil {
			seen[id] = merged[i]
			out.Content = append(out.Content, merged[i], merged[i+1])
		}
	}
	return out, nil
}

// mergeSources returns the key/value pairs a merge key's (expanded) value brings.
func mergeSources(k, v *yaml.Node) ([]*yaml.Node, *docError) {
	switch v.Kind {
	case yaml.MappingNode:
		return v.Content, nil
	case yaml.SequenceNode:
		var all []*yaml.Node
		for _, m := range v.Content {
			if m.Kind != yaml.MappingNode {
				return nil, errorf(k, "merge key << needs mappings")
			}
			all = append(all, m.Content...)
		}
		return all, nil
	}
	return nil, errorf(k, "merge key << needs a mapping or a list of mappings")
}

// entry is one key/value pair of a mapping.
type entry struct {
	Key string
	K   *yaml.Node
	V   *yaml.Node
}

// entries returns the pairs of an expanded mapping, or an error naming what.
func entries(n *yaml.Node, what string) ([]entry, *docError) {
	if n.Kind != yaml.MappingNode {
		return nil, errorf(n, "%s must be a mapping", what)
	}
	es := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		es = append(es, entry{Key: n.Content[i].Value, K: n.Content[i], V: n.Content[i+1]})
	}
	return es, nil
}

// mapping builds a mapping node from entries.
func mapping(line int, es []entry) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
	for _, e := range es {
		n.Content = append(n.Content, e.K, e.V)
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yaml11Bools are the plain scalars PyYAML (YAML 1.1, as Airflow reads
// files) takes for booleans and YAML 1.2 parsers take for strings.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// yaml11Bool reports whether n is a boolean as PyYAML reads it.
func yaml11Bool(n *yaml.Node) (value, ok bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	if n.Tag == "!!bool" {
		var b bool
		err := n.Decode(&b)
		return b, err == nil
	}
	if n.Tag == "!!str" && n.Style == 0 {
		b, ok := yaml11Bools[n.Value]
		return b, ok
	}
	return false, false
}

func asBool(n *yaml.Node, what string) (bool, *docError) {
	if b, ok := yaml11Bool(n); ok {
		return b, nil
	}
	return false, errorf(n, "%s must be a boolean, not %s", what, describe(n))
}

func asString(n *yaml.Node, what string) (string, *docError) {
	if _, ok := yaml11Bool(n); ok {
		return "", errorf(n, "%s: unquoted %q is a boolean in YAML 1.1 (as Airflow reads it); quote it", what, n.Value)
	}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!str" && !isNull(n) {
		return "", errorf(n, "%s must be a string, not %s; quote it", what, describe(n))
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", errorf(n, "%s must be a string, not %s", what, describe(n))
	}
	return n.Value, nil
}

func asInt(n *yaml.Node, what string) (int, *docError) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		return 0, errorf(n, "%s must be an integer, not %s", what, describe(n))
	}
	return i, nil
}

var durationString = regexp.MustCompile(`^\s*[0-9.]+\s*[a-zA-Z]`)

// asSeconds reads a non-negative number of seconds.
func asSeconds(n *yaml.Node, what string) (time.Duration, *docError) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		var f float64
		if err := n.Decode(&f); err == nil && f >= 0 && !math.IsInf(f, 0) && f < 1e9 {
			return time.Duration(f * float64(time.Second)), nil
		}
		return 0, errorf(n, "%s must be a non-negative number of seconds, not %s", what, n.Value)
	}
	if n.Tag == "!!str" && durationString.MatchString(n.Value) {
		return 0, errorf(n, "%s: duration strings such as %q are not supported; write a number of seconds", what, n.Value)
	}
	return 0, errorf(n, "%s must be a number of seconds, not %s", what, describe(n))
}

// timeLayouts are the string forms accepted for dates, read as UTC when
// they carry no offset.
var timeLayouts = []string{
	"2006-01-02",
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// asTime reads a date or date-time: an unquoted YAML timestamp (a date in
// YAML 1.1) or a quoted ISO 8601 string. Null means unset.
func asTime(n *yaml.Node, what string) (*time.Time, *docError) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!timestamp" {
		var t time.Time
		if err := n.Decode(&t); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!timestamp") {
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, n.Value); err == nil {
				t = t.UTC()
				return &t, nil
			}
		}
	}
	return nil, errorf(n, "%s must be a date such as 2026-01-01 or 2026-01-01T03:00:00Z, not %s", what, describe(n))
}

// asStrings reads a list of strings.
func asStrings(n *yaml.Node, what string) ([]string, *docError) {
	if n.Kind != yaml.SequenceNode {
		return nil, errorf(n, "%s must be a list of strings", what)
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		s, err := asString(c, what+" item")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// toGo converts a node to a plain Go value the way PyYAML would read it
// (YAML 1.1 booleans), keeping dates as their text.
func toGo(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = toGo(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, toGo(c))
		}
		return l
	}
	if b, ok := yaml11Bool(n); ok {
		return b
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// describe names a node's type for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!timestamp":
		return "the date " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}
