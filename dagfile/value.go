package dagfile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ValueKind says how a Value gets its string at run time.
type ValueKind int

// Value kinds.
const (
	// Literal values are used as written; {$const: …} values are literals too.
	Literal ValueKind = iota
	// Template values ({$t: …} / {$template: …}) render Text as a Jinja
	// template (the subset documented in the package comment).
	Template
	// XCom values ({$x: …} / {$xcom: …}) read XComKey pushed by XComTask.
	XCom
)

// DefaultXComKey is the key a BashOperator pushes (its last stdout line) and
// {$x: task_id} reads.
const DefaultXComKey = "return_value"

// Value is a string argument of a task, possibly a template or an XCom reference.
type Value struct {
	Kind ValueKind
	// Text is the literal string (Literal) or the template source (Template).
	Text string
	// XComTask and XComKey name the XCom read (XCom).
	XComTask, XComKey string
	tmpl              *template // parsed Text; nil until needed for a Value built by hand
}

// Context is what a template sees when a task try runs.
type Context struct {
	DagID, RunID, TaskID string
	// LogicalDate is the run's logical date (converted to UTC).
	LogicalDate time.Time
	TryNumber   int
	// Params are the Dag's params with the run's conf applied by the caller:
	// Dag.Params' types, plus json.Number for numbers read from JSON (an
	// integer prints as 3, a float as 3.0, as Python's json module reads them).
	Params map[string]any
}

// ErrNoXCom is returned by Resolve for an XCom value when no XCom reader is given.
var ErrNoXCom = errors.New("no XCom reader")

// Resolve returns the string v stands for in ctx. Templates fail on syntax
// errors and on undefined variables (never rendering them as ""); XCom values
// call xcom, whose error is returned wrapped.
func (v Value) Resolve(ctx Context, xcom func(taskID, key string) (string, error)) (string, error) {
	switch v.Kind {
	case Literal:
		return v.Text, nil
	case Template:
		t := v.tmpl
		if t == nil {
			var err error
			if t, err = parseTemplate(v.Text); err != nil {
				return "", err
			}
		}
		return t.render(contextVars(ctx))
	case XCom:
		if xcom == nil {
			return "", ErrNoXCom
		}
		s, err := xcom(v.XComTask, v.XComKey)
		if err != nil {
			return "", fmt.Errorf("xcom %s of task %q: %w", v.XComKey, v.XComTask, err)
		}
		return s, nil
	}
	return "", fmt.Errorf("unknown value kind %d", v.Kind)
}

// String shows v as it would be written in YAML.
func (v Value) String() string {
	switch v.Kind {
	case Template:
		return fmt.Sprintf("{$t: %q}", v.Text)
	case XCom:
		return fmt.Sprintf("{$x: {task: %s, key: %s}}", v.XComTask, v.XComKey)
	}
	return v.Text
}

// marker returns the marker key of n when n is a one-key mapping whose key
// starts with "$", "" when n is no marker, or an error for a malformed one.
func marker(n *yaml.Node) (string, *yaml.Node, *docError) {
	if n.Kind != yaml.MappingNode {
		return "", nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !strings.HasPrefix(k.Value, "$") {
			continue
		}
		if len(n.Content) != 2 {
			return "", nil, errorf(k, "marker %s must be the only key of its mapping", k.Value)
		}
		switch k.Value {
		case "$t", "$template", "$x", "$xcom", "$const":
			return k.Value, n.Content[1], nil
		case "$f":
			return "", nil, errorf(k, "marker $f (load a file) is not supported")
		}
		return "", nil, errorf(k, "unknown marker %s (supported: $t, $template, $x, $xcom, $const)", k.Value)
	}
	return "", nil, nil
}

// parseValue reads a string-valued `with` argument: a literal string or a
// $t, $x or $const marker. dynamic=false allows only literals and $const.
func (p *docParser) parseValue(n *yaml.Node, what string, dynamic bool) (Value, *docError) {
	m, arg, err := marker(n)
	if err != nil {
		return Value{}, err
	}
	if m != "" && m != "$const" && !dynamic {
		return Value{}, errorf(n, "%s cannot use %s: it must be a literal", what, m)
	}
	switch m {
	case "":
		s, err := asString(n, what)
		return Value{Kind: Literal, Text: s}, err
	case "$const":
		s, err := asString(arg, what)
		return Value{Kind: Literal, Text: s}, err
	case "$t", "$template":
		src, err := asString(arg, what+" template")
		if err != nil {
			return Value{}, err
		}
		t, perr := parseTemplate(src)
		if perr != nil {
			return Value{}, errorf(arg, "%s: %v", what, perr)
		}
		if perr := t.checkNames(); perr != nil {
			return Value{}, errorf(arg, "%s: %v", what, perr)
		}
		return Value{Kind: Template, Text: src, tmpl: t}, nil
	}
	return p.parseXCom(arg, what)
}

// parseXCom reads the argument of $x: a task id or {task: id, key: k}.
func (p *docParser) parseXCom(n *yaml.Node, what string) (Value, *docError) {
	if !p.xcomOK {
		return Value{}, errorf(n, "%s: $x (XCom) needs runtime %s or later; this runtime is %q", what, xcomSince, p.opts.RuntimeVersion)
	}
	v := Value{Kind: XCom, XComKey: DefaultXComKey}
	if n.Kind != yaml.MappingNode {
		id, err := asString(n, what+" $x task id")
		v.XComTask = id
		return v, err
	}
	es, _ := entries(n, "")
	for _, e := range es {
		var err *docError
		switch e.Key {
		case "task":
			v.XComTask, err = asString(e.V, what+" $x task")
		case "key":
			v.XComKey, err = asString(e.V, what+" $x key")
		default:
			err = errorf(e.K, "%s: unknown $x key %q (use task and key)", what, e.Key)
		}
		if err != nil {
			return Value{}, err
		}
	}
	if v.XComTask == "" {
		return Value{}, errorf(n, "%s: $x needs a task", what)
	}
	return v, nil
}
