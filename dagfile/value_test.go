package dagfile

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testContext = Context{
	DagID: "sales", RunID: "scheduled__2026-01-05T02:30:00+00:00", TaskID: "load",
	LogicalDate: time.Date(2026, 1, 5, 2, 30, 0, 0, time.UTC), TryNumber: 2,
	Params: map[string]any{"day": "mon", "n": 3, "ratio": 2.0, "flag": true, "none": nil,
		"list": []any{"a", 1}, "nested": map[string]any{"k": "v"}, "empty": ""},
}

func TestValue_Resolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want string
	}{
		{"plain text", "plain text"},
		{"{{ ds }} {{ ds_nodash }}", "2026-01-05 20260105"},
		{"{{ ts }}|{{ ts_nodash }}|{{ ts_nodash_with_tz }}", "2026-01-05T02:30:00+00:00|20260105T023000|20260105T023000+0000"},
		{"{{ logical_date }}", "2026-01-05T02:30:00+00:00"},
		{"{{ logical_date.year }}-{{ logical_date.month }}", "2026-1"},
		{"{{ run_id }}", "scheduled__2026-01-05T02:30:00+00:00"},
		{"{{ dag.dag_id }}/{{ task.task_id }}/{{ ti.try_number }}", "sales/load/2"},
		{"{{ task_instance.dag_id }} {{ dag_run.run_id }}", "sales scheduled__2026-01-05T02:30:00+00:00"},
		{"{{ params.day }} {{ params['day'] }} {{ params[\"n\"] }}", "mon mon 3"},
		{"{{ params.nested.k }} {{ params.list[0] }}", "v a"},
		{"{{ params.ratio }} {{ params.flag }} {{ params.none }}", "2.0 True None"},
		{"{{ params.list }} {{ params.nested }}", "['a', 1] {'k': 'v'}"},
		{"{{ params.day | upper }}{{ 'X' | lower }}{{ '  t ' | trim }}", "MONxt"},
		{"{{ ds | replace('-', '') }} {{ ds | replace('-', '/', 1) }}", "20260105 2026/01-05"},
		{"{{ params.missing | default('dflt') }}", "dflt"},
		{"{{ params.missing | d }}", ""},
		{"{{ params.day | default('dflt') }}", "mon"},
		{"{{ params.empty | default('dflt') }}|{{ params.empty | default('dflt', true) }}", "|dflt"},
		{"{{ unknown_name | default(ds) }}", "2026-01-05"},
		{"{{ params.n | string | upper }}{{ 42 }}{{ 1.5 }}", "3421.5"},
		{"a {# comment #} b", "a  b"},
		{"a   {{- ds -}}   b", "a2026-01-05b"},
		{"{{ '}}' }}", "}}"},
		{"{{ 'it\\'s' }}", "it's"},
		{"echo {{ ds }}\n", "echo 2026-01-05"},
		{"{ not a tag }", "{ not a tag }"},
	}
	for _, tt := range tests {
		v := Value{Kind: Template, Text: tt.src}
		got, err := v.Resolve(testContext, nil)
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
		}
	}
}

func TestValue_ResolveUndefined(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"{{ params.missing }}", `undefined variable "params.missing"`},
		{"{{ params.missing.deeper | default('x') }}", `undefined variable "params.missing"`},
		{"{{ params.missing | upper }}", `undefined variable "params.missing"`},
		{"{{ dag_id }}", `undefined variable "dag_id"`},
		{"{{ params.list[5] }}", `undefined variable "params.list[5]"`},
		{"{{ ds.year }}", `undefined variable "ds.year"`},
		{"{{ ds | default(params.nope) }}", `undefined variable "params.nope"`},
		{"{% for x in y %}", "statements"},
	}
	for _, tt := range tests {
		v := Value{Kind: Template, Text: tt.src}
		got, err := v.Resolve(testContext, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resolve(%q) = %q, %v; want error containing %q", tt.src, got, err, tt.want)
		}
	}
}

func TestValue_ResolveLiteralAndXCom(t *testing.T) {
	t.Parallel()
	if got, err := (Value{Text: "echo {{ ds }}"}).Resolve(testContext, nil); err != nil || got != "echo {{ ds }}" {
		t.Errorf("literal resolved to %q, %v", got, err)
	}
	x := Value{Kind: XCom, XComTask: "extract", XComKey: "return_value"}
	if _, err := x.Resolve(testContext, nil); !errors.Is(err, ErrNoXCom) {
		t.Errorf("XCom without reader: err %v, want ErrNoXCom", err)
	}
	var asked string
	got, err := x.Resolve(testContext, func(task, key string) (string, error) {
		asked = task + "/" + key
		return "42", nil
	})
	if err != nil || got != "42" || asked != "extract/return_value" {
		t.Errorf("XCom = %q, %v (asked %q)", got, err, asked)
	}
	missing := errors.New("no such xcom")
	_, err = x.Resolve(testContext, func(string, string) (string, error) { return "", missing })
	if !errors.Is(err, missing) {
		t.Errorf("XCom reader error not wrapped: %v", err)
	}
}

// TestValue_ResolveLoaded renders a template as loaded from a file.
func TestValue_ResolveLoaded(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, "testdata/bundle/dags/nightly_sales.yaml", Options{RuntimeVersion: "2.0.0"})
	got, err := d.Task("extract").BashCommand.Resolve(testContext, nil)
	if want := "python3 include/extract.py --day 2026-01-05"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}
