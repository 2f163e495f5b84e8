package dagfile

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// maxOutput bounds a rendered template and every value computed on the
// way (Linux refuses a single argument or environment string of more than
// 128 KiB anyway).
const maxOutput = 1 << 20

// contextNames are the template variables a task sees (see the package comment).
var contextNames = []string{
	"dag", "dag_run", "ds", "ds_nodash", "logical_date", "params", "run_id",
	"task", "task_instance", "ti", "ts", "ts_nodash", "ts_nodash_with_tz",
}

// object is an Airflow object of the context (dag, task, ti, dag_run):
// only its attributes can be used; Airflow prints it as its Python repr,
// which the subset does not reproduce.
type object struct {
	name  string
	attrs map[string]any
}

// contextVars builds the template variables of ctx, named as in Airflow.
func contextVars(ctx Context) map[string]any {
	ld := ctx.LogicalDate.UTC()
	params := ctx.Params
	if params == nil {
		params = map[string]any{}
	}
	ti := object{"ti", map[string]any{"dag_id": ctx.DagID, "task_id": ctx.TaskID, "run_id": ctx.RunID, "try_number": ctx.TryNumber}}
	return map[string]any{
		"dag":               object{"dag", map[string]any{"dag_id": ctx.DagID}},
		"dag_run":           object{"dag_run", map[string]any{"dag_id": ctx.DagID, "run_id": ctx.RunID, "logical_date": ld}},
		"ds":                ld.Format("2006-01-02"),
		"ds_nodash":         ld.Format("20060102"),
		"logical_date":      ld,
		"params":            params,
		"run_id":            ctx.RunID,
		"task":              object{"task", map[string]any{"task_id": ctx.TaskID, "dag_id": ctx.DagID}},
		"task_instance":     ti,
		"ti":                ti,
		"ts":                pyISO(ld),
		"ts_nodash":         ld.Format("20060102T150405"),
		"ts_nodash_with_tz": ld.Format("20060102T150405-0700"),
	}
}

// undefined is the value of a missing variable or key; printing it or
// filtering it (except with default) is an error.
type undefined struct {
	name string
	pos  int
}

// checkNames rejects, at load time, variables that can never be defined:
// root names outside the context, unless a default filter follows directly.
func (t *template) checkNames() error {
	for _, p := range t.parts {
		if p.expr == nil {
			continue
		}
		guarded := len(p.expr.filters) > 0 && (p.expr.filters[0].name == "default" || p.expr.filters[0].name == "d")
		ops := []operand{p.expr.base}
		for _, f := range p.expr.filters {
			ops = append(ops, f.args...)
		}
		for i, o := range ops {
			if o.root == "" || (i == 0 && guarded && len(o.steps) == 0) {
				continue
			}
			if n := sort.SearchStrings(contextNames, o.root); n == len(contextNames) || contextNames[n] != o.root {
				return t.errorf(o.pos, "undefined variable %q (the context has %s)", o.root, strings.Join(contextNames, ", "))
			}
		}
	}
	return nil
}

// renderer evaluates a template's expressions with the variables of one run.
type renderer struct {
	t    *template
	vars map[string]any
}

// render executes t with vars.
func (t *template) render(vars map[string]any) (string, error) {
	r := renderer{t, vars}
	var b strings.Builder
	for _, p := range t.parts {
		s := p.text
		if p.expr != nil {
			v, err := r.expr(p.expr)
			if err != nil {
				return "", err
			}
			if s, err = r.str(v, p.expr.base.pos); err != nil {
				return "", err
			}
		}
		if b.Len()+len(s) > maxOutput {
			return "", fmt.Errorf("template: output longer than %d bytes", maxOutput)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// str prints v as Python's str() would; pos places errors.
func (r renderer) str(v any, pos int) (string, error) {
	if u, ok := v.(undefined); ok {
		return "", r.undefinedErr(u)
	}
	s, err := pyStr(v)
	if err != nil {
		return "", r.t.errorf(pos, "%v", err)
	}
	return s, nil
}

// undefinedErr is the error for printing or filtering u.
func (r renderer) undefinedErr(u undefined) error {
	return r.t.errorf(u.pos, "undefined variable %q", u.name)
}

// expr evaluates e: its operand, then its filters in turn.
func (r renderer) expr(e *expr) (any, error) {
	v, err := r.operand(e.base)
	if err != nil {
		return nil, err
	}
	for _, f := range e.filters {
		if v, err = r.filter(f, v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// operand looks up o; only the last step may be missing (undefined).
func (r renderer) operand(o operand) (any, error) {
	if o.root == "" {
		return o.literal, nil
	}
	name := o.root
	v, ok := r.vars[o.root]
	for _, s := range o.steps {
		if !ok {
			return nil, r.undefinedErr(undefined{name, o.pos})
		}
		var err error
		if v, ok, err = lookup(v, s); err != nil {
			return nil, r.t.errorf(o.pos, "%s%s: %v", name, s, err)
		}
		name += s.String()
	}
	if !ok {
		return undefined{name, o.pos}, nil
	}
	return v, nil
}

// String writes s as in the template source.
func (s step) String() string {
	switch {
	case s.attr:
		return "." + s.key
	case s.isIndex:
		return fmt.Sprintf("[%d]", s.index)
	}
	return "[" + pyQuote(s.key) + "]"
}

// dictMethods are the attributes of a Python dict: Jinja's .name on a dict
// gives these methods, not the keys of the same name.
var dictMethods = map[string]bool{
	"clear": true, "copy": true, "fromkeys": true, "get": true, "items": true, "keys": true,
	"pop": true, "popitem": true, "setdefault": true, "update": true, "values": true,
}

// lookup returns v.name or v[key] as Jinja's sandbox finds it, and whether
// it exists.
func lookup(v any, s step) (any, bool, error) {
	switch v := v.(type) {
	case map[string]any:
		if s.attr && dictMethods[s.key] {
			return nil, false, fmt.Errorf("in Jinja this is the dict method %s, not the key; write ['%s']", s.key, s.key)
		}
		x, ok := v[s.key]
		return x, ok && !s.isIndex, nil
	case []any:
		if !s.isIndex || s.index >= len(v) {
			return nil, false, nil
		}
		return v[s.index], true, nil
	case object:
		x, ok := v.attrs[s.key]
		return x, ok && !s.isIndex, nil
	case time.Time:
		parts := map[string]int{"year": v.Year(), "month": int(v.Month()), "day": v.Day(),
			"hour": v.Hour(), "minute": v.Minute(), "second": v.Second()}
		x, ok := parts[s.key]
		return x, ok && !s.isIndex, nil
	case string:
		if s.isIndex {
			return nil, false, fmt.Errorf("indexing a string is not supported")
		}
	}
	return nil, false, nil
}

// filter applies f to v.
func (r renderer) filter(f filter, v any) (any, error) {
	args := make([]any, len(f.args))
	for i, a := range f.args {
		var err error
		if args[i], err = r.operand(a); err != nil {
			return nil, err
		}
		if u, ok := args[i].(undefined); ok {
			return nil, r.undefinedErr(u)
		}
	}
	if f.name == "default" || f.name == "d" {
		return filterDefault(v, args), nil
	}
	if u, ok := v.(undefined); ok {
		return nil, r.undefinedErr(u)
	}
	out, err := applyFilter(f.name, v, args)
	if err != nil {
		return nil, r.t.errorf(f.pos, "filter %s: %v", f.name, err)
	}
	return out, nil
}

// filterDefault is Jinja's default(value="", boolean=false).
func filterDefault(v any, args []any) any {
	_, undef := v.(undefined)
	boolean := len(args) > 1 && truthy(args[1])
	if !undef && !(boolean && !truthy(v)) {
		return v
	}
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// applyFilter applies a filter other than default to a defined v.
func applyFilter(name string, v any, args []any) (any, error) {
	s, err := pyStr(v)
	if err != nil {
		return nil, err
	}
	switch name {
	case "upper":
		return cases.Upper(language.Und).String(s), nil
	case "lower":
		return cases.Lower(language.Und).String(s), nil
	case "trim":
		return strings.TrimFunc(s, pyIsSpace), nil
	case "string":
		return s, nil
	case "replace":
		return replace(s, args)
	}
	return nil, fmt.Errorf("unknown filter %q", name)
}

// replace is Jinja's replace(old, new[, count]) on s.
func replace(s string, args []any) (any, error) {
	n := -1
	if len(args) == 3 && args[2] != nil {
		c, ok := pyInt(args[2])
		if !ok {
			return nil, fmt.Errorf("count must be an integer")
		}
		n = c
	}
	old, err := pyStr(args[0])
	if err != nil {
		return nil, err
	}
	repl, err := pyStr(args[1])
	if err != nil {
		return nil, err
	}
	if count := replaceCount(s, old, n); len(s)+count*(len(repl)-len(old)) > maxOutput {
		return nil, fmt.Errorf("result longer than %d bytes", maxOutput)
	}
	return strings.Replace(s, old, repl, n), nil
}

// replaceCount is how many replacements strings.Replace(s, old, _, n) makes.
func replaceCount(s, old string, n int) int {
	c := strings.Count(s, old)
	if n >= 0 && n < c {
		return n
	}
	return c
}
