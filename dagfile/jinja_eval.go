package dagfile

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// contextNames are the template variables a task sees (see the package comment).
var contextNames = []string{
	"dag", "dag_run", "ds", "ds_nodash", "logical_date", "params", "run_id",
	"task", "task_instance", "ti", "ts", "ts_nodash", "ts_nodash_with_tz",
}

// contextVars builds the template variables of ctx, named as in Airflow.
func contextVars(ctx Context) map[string]any {
	ld := ctx.LogicalDate.UTC()
	params := ctx.Params
	if params == nil {
		params = map[string]any{}
	}
	ti := map[string]any{"dag_id": ctx.DagID, "task_id": ctx.TaskID, "run_id": ctx.RunID, "try_number": ctx.TryNumber}
	return map[string]any{
		"dag":               map[string]any{"dag_id": ctx.DagID},
		"dag_run":           map[string]any{"dag_id": ctx.DagID, "run_id": ctx.RunID, "logical_date": ld},
		"ds":                ld.Format("2006-01-02"),
		"ds_nodash":         ld.Format("20060102"),
		"logical_date":      ld,
		"params":            params,
		"run_id":            ctx.RunID,
		"task":              map[string]any{"task_id": ctx.TaskID, "dag_id": ctx.DagID},
		"task_instance":     ti,
		"ti":                ti,
		"ts":                pyISO(ld),
		"ts_nodash":         ld.Format("20060102T150405"),
		"ts_nodash_with_tz": ld.Format("20060102T150405-0700"),
	}
}

// undefined is the value of a missing variable or key; printing it or
// filtering it (except with default) is an error.
type undefined struct{ name string }

func (u undefined) err() error { return fmt.Errorf("undefined variable %q", u.name) }

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
			if len(o.path) == 0 || (i == 0 && guarded) {
				continue
			}
			if n := sort.SearchStrings(contextNames, o.path[0]); n == len(contextNames) || contextNames[n] != o.path[0] {
				return fmt.Errorf("undefined variable %q (the context has %s)", o.path[0], strings.Join(contextNames, ", "))
			}
		}
	}
	return nil
}

// render executes t with vars.
func (t *template) render(vars map[string]any) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.eval(vars)
		if err != nil {
			return "", err
		}
		if u, ok := v.(undefined); ok {
			return "", u.err()
		}
		b.WriteString(pyStr(v))
	}
	return b.String(), nil
}

func (e *expr) eval(vars map[string]any) (any, error) {
	v, err := e.base.eval(vars)
	if err != nil {
		return nil, err
	}
	for _, f := range e.filters {
		args := make([]any, len(f.args))
		for i, a := range f.args {
			if args[i], err = a.eval(vars); err != nil {
				return nil, err
			}
			if u, ok := args[i].(undefined); ok {
				return nil, u.err()
			}
		}
		if v, err = applyFilter(f.name, v, args); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// eval looks up the operand; only the last step may be missing (undefined).
func (o operand) eval(vars map[string]any) (any, error) {
	if len(o.path) == 0 {
		return o.literal, nil
	}
	v, ok := vars[o.path[0]]
	if !ok {
		return undefined{o.path[0]}, nil
	}
	for i, step := range o.path[1:] {
		name := strings.Join(o.path[:i+2], ".")
		next, ok := attr(v, step)
		if !ok && i+2 < len(o.path) {
			return nil, undefined{name}.err()
		}
		if !ok {
			return undefined{name}, nil
		}
		v = next
	}
	return v, nil
}

// attr returns v.name or v[name] for maps, lists and dates.
func attr(v any, name string) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		x, ok := v[name]
		return x, ok
	case []any:
		i, err := strconv.Atoi(name)
		if err != nil || i < 0 || i >= len(v) {
			return nil, false
		}
		return v[i], true
	case time.Time:
		parts := map[string]int{"year": v.Year(), "month": int(v.Month()), "day": v.Day(),
			"hour": v.Hour(), "minute": v.Minute(), "second": v.Second()}
		x, ok := parts[name]
		return x, ok
	}
	return nil, false
}

func applyFilter(name string, v any, args []any) (any, error) {
	if name == "default" || name == "d" {
		_, undef := v.(undefined)
		boolean := len(args) > 1 && truthy(args[1])
		if undef || (boolean && !truthy(v)) {
			if len(args) == 0 {
				return "", nil
			}
			return args[0], nil
		}
		return v, nil
	}
	if u, ok := v.(undefined); ok {
		return nil, u.err()
	}
	s := pyStr(v)
	switch name {
	case "upper":
		return strings.ToUpper(s), nil
	case "lower":
		return strings.ToLower(s), nil
	case "trim":
		return strings.TrimSpace(s), nil
	case "string":
		return s, nil
	case "replace":
		n := -1
		if len(args) == 3 {
			c, ok := args[2].(int)
			if !ok {
				return nil, fmt.Errorf("filter replace: count must be an integer")
			}
			n = c
		}
		return strings.Replace(s, pyStr(args[0]), pyStr(args[1]), n), nil
	}
	return nil, fmt.Errorf("unknown filter %q", name)
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
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// pyStr renders v as Python's str() would, so output matches Airflow.
func pyStr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case string:
		return v
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e16 {
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		return pyISO(v)
	case []any:
		items := make([]string, len(v))
		for i, x := range v {
			items[i] = pyRepr(x)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = pyRepr(k) + ": " + pyRepr(v[k])
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
	}
	return pyStr(v)
}

// pyISO formats t like Python's datetime.isoformat() for an aware UTC time.
func pyISO(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}
