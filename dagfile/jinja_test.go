package dagfile

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// The expected outputs of TestTemplate_Jinja2 come from real Jinja2:
// testdata/jinja/gen.py holds the cases and the context, renders them with
// Jinja2 in the environment Airflow uses (sandboxed, StrictUndefined) and
// writes testdata/jinja/golden.json, which records the Jinja2 version. The
// tests never run it; after changing the cases, run
//
//	cd dagfile/testdata/jinja && python3 gen.py > golden.json
//
// Constructs the subset refuses although Jinja2 renders them are not
// golden cases: TestTemplate_Refused lists them with the error expected.

// golden is testdata/jinja/golden.json.
type golden struct {
	Generator string
	Context   struct {
		DagID       string          `json:"dag_id"`
		RunID       string          `json:"run_id"`
		TaskID      string          `json:"task_id"`
		LogicalDate time.Time       `json:"logical_date"`
		TryNumber   int             `json:"try_number"`
		Params      json.RawMessage `json:"params"`
	}
	Cases []struct {
		Construct, Template string
		Want                *string // nil when Jinja2 failed
		Error               string  // Jinja2's error class and message
	}
}

// loadGolden reads the golden file and the Context it was rendered with.
func loadGolden(t testing.TB) (*golden, Context) {
	t.Helper()
	b, err := os.ReadFile("testdata/jinja/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	c := g.Context
	ctx := Context{DagID: c.DagID, RunID: c.RunID, TaskID: c.TaskID, LogicalDate: c.LogicalDate, TryNumber: c.TryNumber}
	dec := json.NewDecoder(bytes.NewReader(c.Params))
	dec.UseNumber()
	var params any
	if err := dec.Decode(&params); err != nil {
		t.Fatal(err)
	}
	ctx.Params = yamlTyped(params).(map[string]any)
	return &g, ctx
}

// yamlTyped turns JSON numbers into the int and float64 a YAML file's
// params load as.
func yamlTyped(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil && !strings.ContainsAny(string(v), ".eE") {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = yamlTyped(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = yamlTyped(v[k])
		}
	}
	return v
}

// renderLoaded parses, checks and renders src as a loaded Dag's template is.
func renderLoaded(src string, ctx Context) (string, error) {
	t, err := parseTemplate(src)
	if err != nil {
		return "", err
	}
	if err := t.checkNames(); err != nil {
		return "", err
	}
	return t.render(contextVars(ctx))
}

func TestTemplate_Jinja2(t *testing.T) {
	t.Parallel()
	g, ctx := loadGolden(t)
	t.Logf("expectations from %s", g.Generator)
	perConstruct := map[string]int{}
	for i, c := range g.Cases {
		perConstruct[c.Construct]++
		got, err := renderLoaded(c.Template, ctx)
		switch {
		case c.Want == nil && err == nil:
			t.Errorf("#%d %s %q = %q; Jinja2 fails: %s", i, c.Construct, c.Template, got, c.Error)
		case c.Want == nil && strings.HasPrefix(c.Error, "UndefinedError") && !strings.Contains(err.Error(), "undefined variable"):
			t.Errorf("#%d %s %q: error %v; want an undefined variable (Jinja2: %s)", i, c.Construct, c.Template, err, c.Error)
		case c.Want != nil && (err != nil || got != *c.Want):
			t.Errorf("#%d %s %q = %q, %v; Jinja2 renders %q", i, c.Construct, c.Template, got, err, *c.Want)
		}
	}
	if len(g.Cases) < 100 {
		t.Errorf("only %d golden cases", len(g.Cases))
	}
	t.Logf("cases per construct: %v", perConstruct)
}

// TestTemplate_Refused checks that what the subset does not support fails
// with an error naming the construct and its position.
func TestTemplate_Refused(t *testing.T) {
	t.Parallel()
	_, ctx := loadGolden(t)
	tests := []struct{ name, src, want string }{
		// statements and unterminated tags
		{"For", "a {% for x in y %}{{ x }}{% endfor %}", "line 1, column 3: unsupported statement {% for %}"},
		{"Set", "{%- set x = 1 %}", "column 1: unsupported statement {% set %}"},
		{"If", "{% if ds %}y{% endif %}", "unsupported statement {% if %}"},
		{"Macro", "{% macro m() %}{% endmacro %}", "unsupported statement {% macro %}"},
		{"Raw", "{% raw %}{{ x }}{% endraw %}", "unsupported statement {% raw %}"},
		{"EmptyStatement", "{%%}", "unsupported statement {% %}"},
		{"Unclosed", "echo {{ ds", "line 1, column 6: {{ without }}"},
		{"UnclosedSecondLine", "a\nb {{ ds }} {{ ds", "line 2, column 12: {{ without }}"},
		{"UnclosedComment", "{# note", "line 1, column 1: {# without #}"},
		{"UnclosedString", "{{ 'abc }}", "line 1, column 4: unterminated string"},
		{"Empty", "{{ }}", "line 1, column 4: missing expression"},
		{"EmptyStripped", "{{- -}}", "missing expression"},
		{"InvalidUTF8", "{{ ds }}\xff", "not valid UTF-8"},
		// operators, calls, literals the subset lacks
		{"Concat", "{{ ds ~ ts }}", `line 1, column 7: unsupported operator "~"`},
		{"Plus", "{{ 1 + 2 }}", `unsupported operator "+"`},
		{"Minus", "{{ params.n - 1 }}", `unsupported operator "-"`},
		{"Negative", "{{ -1 }}", `unsupported operator "-"`},
		{"Power", "{{ 2 ** 3 }}", `unsupported operator "**"`},
		{"FloorDiv", "{{ 7 // 2 }}", `unsupported operator "//"`},
		{"Compare", "{{ ds == ts }}", `unsupported operator "=="`},
		{"And", "{{ ds and ts }}", `line 1, column 7: unsupported operator "and"`},
		{"Not", "{{ not ds }}", `unsupported operator "not"`},
		{"In", "{{ 'a' in ds }}", `unsupported operator "in"`},
		{"Test", "{{ ds is defined }}", `unsupported test (is …) "is"`},
		{"Conditional", "{{ ds if params.flag else ts }}", `unsupported conditional expression (if … else) "if"`},
		{"Call", "{{ range(3) }}", "line 1, column 9: calls such as f() or x.method() are not supported"},
		{"MethodCall", "{{ ds.upper() }}", "calls such as f()"},
		{"MacroCall", "{{ macros.ds_add(ds, 1) }}", "calls such as f()"},
		{"Parens", "{{ (ds) }}", "parentheses are not supported"},
		{"ListLiteral", "{{ [1, 2] }}", "list literals"},
		{"DictLiteral", "{{ {'a': 1} }}", "dict literals ({ … }) are not supported"},
		{"Slice", "{{ ds[0:4] }}", "slices ([a:b]) are not supported"},
		{"AdjacentStrings", "{{ 'a' 'b' }}", "adjacent strings are not joined"},
		{"Hex", "{{ 0x1F }}", "hexadecimal integers are not supported"},
		{"LeadingZero", "{{ 01 }}", `line 1, column 5: unexpected "1"`},
		{"BigInt", "{{ 99999999999999999999 }}", "integer literal 99999999999999999999 is too large"},
		{"FloatOverflow", "{{ 1e999 }}", "float literal 1e999 is out of range"},
		{"NamedEscape", `{{ '\N{BULLET}' }}`, `\N{…} escapes are not supported`},
		{"TruncatedEscape", `{{ '\x4' }}`, `truncated \x escape`},
		{"Surrogate", `{{ '\ud800' }}`, "surrogate"},
		{"NonASCIIName", "{{ é }}", `unsupported character 'é'`},
		{"UpperTrue", "{{ TRUE }}", `undefined variable "TRUE"`},
		{"PlusModifier", "{{+ ds }}", `unsupported operator "+"`},
		// attribute and item access
		{"Dunder", "{{ params.__class__ }}", `line 1, column 11: attribute "__class__": names starting with _ are not supported`},
		{"Private", "{{ params._x }}", `attribute "_x": names starting with _`},
		{"DictMethod", "{{ params.keys }}", "params.keys: in Jinja this is the dict method keys, not the key; write ['keys']"},
		{"DictMethodNested", "{{ params.nested.items }}", "dict method items"},
		{"DotIndex", "{{ params.list.0 }}", "write [0] for an index, not .0"},
		{"VariableKey", "{{ params[ds] }}", `expected ["key"] or [index]`},
		{"NegativeIndex", "{{ params.list[-1] }}", `unsupported operator "-"`},
		{"UnclosedItem", "{{ params['day' }}", `expected ] after ['day'`},
		{"LiteralAttribute", "{{ 'abc'.upper }}", `unexpected "."`},
		{"StringIndex", "{{ ds[0] }}", "ds[0]: indexing a string is not supported"},
		{"IntAttribute", "{{ params.n.real }}", `undefined variable "params.n.real"`},
		{"DateMethod", "{{ logical_date.date }}", `undefined variable "logical_date.date"`},
		{"UndefinedRootWithDefault", "{{ nope.x | default('y') }}", `line 1, column 4: undefined variable "nope"`},
		{"UnknownContextName", "{{ macros }}", `undefined variable "macros" (the context has`},
		// printing what Airflow prints differently
		{"PrintObject", "{{ dag }}", "cannot print dag, an Airflow object"},
		{"PrintTaskInstance", "{{ ti | string }}", "cannot print ti"},
		{"PrintMapping", "{{ params.multi }}", "cannot print a mapping of 2 keys"},
		{"PrintParams", "{{ params }}", "cannot print a mapping of"},
		// filters
		{"UnknownFilter", "{{ ds | shout }}", `line 1, column 9: unknown filter "shout" (supported: d, default, lower, replace, string, trim, upper)`},
		{"AirflowFilter", "{{ logical_date | ds_add(1) }}", `unknown filter "ds_add"`},
		{"JinjaFilter", "{{ params.list | join(',') }}", `unknown filter "join"`},
		{"MissingFilter", "{{ ds | }}", "missing filter name after |"},
		{"FilterArity", "{{ ds | replace('-') }}", "filter replace takes 2 to 3 arguments, not 1"},
		{"FilterNoArgs", "{{ ds | upper(1) }}", "filter upper takes 0 to 0 arguments, not 1"},
		{"TrimChars", "{{ ds | trim('2') }}", "filter trim takes 0 to 0 arguments"},
		{"KeywordArgument", "{{ ds | default('x', boolean=true) }}", "keyword arguments and assignments (=) are not supported"},
		{"FilterInArgument", "{{ ds | default(ts | upper) }}", "filters inside filter arguments are not supported"},
		{"FilterArgMissingComma", "{{ ds | replace('-' '') }}", "adjacent strings are not joined"},
		{"UnclosedFilterArgs", "{{ ds | replace('-', '' }}", "unexpected end of expression"},
		{"ReplaceCountFloat", "{{ ds | replace('-', '', 1.5) }}", "line 1, column 9: filter replace: count must be an integer"},
		{"FilterUndefined", "{{ params.missing | trim }}", `undefined variable "params.missing"`},
		{"FilterUndefinedArgument", "{{ ds | default(params.nope) }}", `undefined variable "params.nope"`},
		{"OutputTooLong", strings.Repeat("{{ params.day"+strings.Repeat(" | replace('', '0123456789')", 5)+" }}", 2), "template: output longer than 1048576 bytes"},
		{"ReplaceBlowsUp", "{{ params.day" + strings.Repeat(" | replace('', '0123456789')", 8) + " }}", "result longer than 1048576 bytes"},
	}
	for _, tt := range tests {
		got, err := renderLoaded(tt.src, ctx)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %q = %q, %v; want an error containing %q", tt.name, tt.src, got, err, tt.want)
		}
	}
}
