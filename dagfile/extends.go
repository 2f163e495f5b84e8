package dagfile

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// templateSet holds a document's templates (name → partial task) and
// resolves extends.
type templateSet struct {
	raw  map[string]*yaml.Node
	flat map[string]*yaml.Node // templates with their own extends applied
}

// newTemplateSet reads `templates` and resolves every template, so unknown
// names and cycles are errors even in templates no task uses.
func newTemplateSet(n *yaml.Node) (*templateSet, *docError) {
	ts := &templateSet{raw: map[string]*yaml.Node{}, flat: map[string]*yaml.Node{}}
	if n == nil || isNull(n) {
		return ts, nil
	}
	es, err := entries(n, "templates")
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.V.Kind != yaml.MappingNode {
			return nil, errorf(e.V, "template %q must be a mapping (a partial task)", e.Key)
		}
		for i := 0; i < len(e.V.Content); i += 2 {
			if e.V.Content[i].Value == "id" {
				return nil, errorf(e.V.Content[i], "template %q: a template cannot set id", e.Key)
			}
		}
		ts.raw[e.Key] = e.V
	}
	for _, e := range es {
		if _, err := ts.flatten(e.Key, nil); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// apply returns task mapping n with its extends applied and removed.
func (ts *templateSet) apply(n *yaml.Node) (*yaml.Node, *docError) {
	return ts.resolve(n, nil)
}

// flatten returns template name with its extends applied; stack holds the
// templates being resolved, to detect cycles.
func (ts *templateSet) flatten(name string, stack []string) (*yaml.Node, *docError) {
	if f, ok := ts.flat[name]; ok {
		return f, nil
	}
	if i := slices.Index(stack, name); i >= 0 {
		cycle := append(slices.Clone(stack[i:]), name)
		return nil, errorf(ts.raw[name], "template cycle: %s", strings.Join(cycle, " -> "))
	}
	f, err := ts.resolve(ts.raw[name], append(stack, name))
	if err != nil {
		return nil, err
	}
	ts.flat[name] = f
	return f, nil
}

// resolve merges, left to right, the templates n extends, then n's own keys.
func (ts *templateSet) resolve(n *yaml.Node, stack []string) (*yaml.Node, *docError) {
	es, _ := entries(n, "task")
	var own []entry
	var extends *yaml.Node
	for _, e := range es {
		if e.Key == "extends" {
			extends = e.V
		} else {
			own = append(own, e)
		}
	}
	result := mapping(n.Line, own)
	if extends == nil || isNull(extends) {
		return result, nil
	}
	names, err := asStrings(extends, "extends")
	if err != nil {
		return nil, err
	}
	base := mapping(n.Line, nil)
	for _, name := range names {
		if ts.raw[name] == nil {
			return nil, errorf(extends, "extends unknown template %q", name)
		}
		t, err := ts.flatten(name, stack)
		if err != nil {
			return nil, err
		}
		base = merge(base, t)
	}
	return merge(base, result), nil
}

// merge overlays over on base: over's keys win, except that two `with`
// mappings merge one level deep (over's arguments win).
func merge(base, over *yaml.Node) *yaml.Node {
	out := overlay(base, over, true)
	out.Line = over.Line
	return out
}

func overlay(base, over *yaml.Node, mergeWith bool) *yaml.Node {
	be, _ := entries(base, "")
	oe, _ := entries(over, "")
	out := slices.Clone(be)
	index := map[string]int{}
	for i, e := range out {
		index[e.Key] = i
	}
	for _, e := range oe {
		i, ok := index[e.Key]
		switch {
		case !ok:
			index[e.Key] = len(out)
			out = append(out, e)
		case mergeWith && e.Key == "with" && isPlainMapping(out[i].V) && isPlainMapping(e.V):
			out[i] = entry{Key: e.Key, K: e.K, V: overlay(out[i].V, e.V, false)}
		default:
			out[i] = e
		}
	}
	return mapping(over.Line, out)
}

// isPlainMapping reports whether n is a mapping and not a $ marker.
func isPlainMapping(n *yaml.Node) bool {
	m, _, err := marker(n)
	return n.Kind == yaml.MappingNode && m == "" && err == nil
}
