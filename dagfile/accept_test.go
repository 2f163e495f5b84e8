package dagfile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadOne(t *testing.T, src string) *Dag {
	t.Helper()
	dags, errs := LoadFile("dags/t.yaml", []byte(src), Options{RuntimeVersion: "2.0.0"})
	if len(errs) != 0 || len(dags) != 1 {
		t.Fatalf("got %d dags, errors %v; want one Dag", len(dags), errs)
	}
	return dags[0]
}

// TestLoadFile_YAML11 checks the values PyYAML (YAML 1.1) reads differently
// from YAML 1.2 parsers, in one all-unquoted fixture.
func TestLoadFile_YAML11(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, "testdata/yaml11.yaml", Options{RuntimeVersion: "1.0.0"})
	if !d.Catchup {
		t.Error("catchup: yes read as false")
	}
	if want := date(2026, 1, 1, 0, 0); d.StartDate == nil || !d.StartDate.Equal(want) {
		t.Errorf("start_date = %v, want %v", d.StartDate, want)
	}
	if want := date(2026, 12, 31, 18, 30); d.EndDate == nil || !d.EndDate.Equal(want) {
		t.Errorf("end_date = %v, want %v", d.EndDate, want)
	}
	if want := []string{"sales", "on"}; !reflect.DeepEqual(d.Tags, want) {
		t.Errorf("tags = %q, want %q", d.Tags, want)
	}
	wantParams := map[string]any{"full": true, "dry_run": false, "day": "2026-03-04", "rows": 16, "ratio": 1.5, "names": []any{"a", "b"}}
	if !reflect.DeepEqual(d.Params, wantParams) {
		t.Errorf("params = %#v, want %#v", d.Params, wantParams)
	}
	a, b := d.Task("a"), d.Task("b")
	if a == nil || b == nil {
		t.Fatalf("tasks %v", d.Tasks)
	}
	if a.AppendEnv || !b.AppendEnv {
		t.Errorf("append_env off/YES read as %v/%v", a.AppendEnv, b.AppendEnv)
	}
	// b takes uses from the << merge key and overrides retries.
	if a.Retries != 2 || b.Retries != 5 || b.BashCommand.Text != "echo b" {
		t.Errorf("merge key: a.retries %d, b.retries %d, b command %q", a.Retries, b.Retries, b.BashCommand.Text)
	}
}

func TestLoadFile_DagValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		check      func(*Dag) bool
	}{
		{"CatchupDefaultFalse", "", func(d *Dag) bool { return !d.Catchup }},
		{"CatchupNo", "catchup: no\n", func(d *Dag) bool { return !d.Catchup }},
		{"CatchupOff", "catchup: Off\n", func(d *Dag) bool { return !d.Catchup }},
		{"CatchupOn", "catchup: ON\n", func(d *Dag) bool { return d.Catchup }},
		{"CatchupTrue", "catchup: True\n", func(d *Dag) bool { return d.Catchup }},
		{"CatchupNull", "catchup:\n", func(d *Dag) bool { return !d.Catchup }},
		{"StartDateUnquoted", "start_date: 2026-01-02\n", func(d *Dag) bool { return d.StartDate.Equal(date(2026, 1, 2, 0, 0)) }},
		{"StartDateQuoted", "start_date: '2026-01-02'\n", func(d *Dag) bool { return d.StartDate.Equal(date(2026, 1, 2, 0, 0)) }},
		{"StartDateOffsetToUTC", "start_date: 2026-01-02T03:00:00+02:00\n", func(d *Dag) bool {
			return d.StartDate.Equal(date(2026, 1, 2, 1, 0)) && d.StartDate.Location() == time.UTC
		}},
		{"StartDateQuotedNaive", "start_date: '2026-01-02T03:04:00'\n", func(d *Dag) bool { return d.StartDate.Equal(date(2026, 1, 2, 3, 4)) }},
		{"StartDateNull", "start_date: null\n", func(d *Dag) bool { return d.StartDate == nil }},
		{"ScheduleNullManual", "schedule: null\n", func(d *Dag) bool { return d.Schedule == "" }},
		{"SchedulePreset", "schedule: '@weekly'\n", func(d *Dag) bool { return d.Schedule == "@weekly" }},
		{"ScheduleOnce", "schedule: '@once'\n", func(d *Dag) bool { return d.Schedule == "@once" }},
		{"ScheduleCronNames", "schedule: '0 3 * * MON-FRI'\n", func(d *Dag) bool { return d.Schedule == "0 3 * * MON-FRI" }},
		{"MaxActiveRunsDefault", "", func(d *Dag) bool { return d.MaxActiveRuns == 16 }},
		{"MaxActiveRuns", "max_active_runs: 1\n", func(d *Dag) bool { return d.MaxActiveRuns == 1 }},
		{"Description", "description: Nightly sales\n", func(d *Dag) bool { return d.Description == "Nightly sales" }},
		{"ParamsNested", "params: {a: {b: [1, yes]}}\n", func(d *Dag) bool {
			return reflect.DeepEqual(d.Params, map[string]any{"a": map[string]any{"b": []any{1, true}}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "$schema: 2026-10-30\ndag_id: d\n" + tt.body + "tasks: []\n"
			if d := loadOne(t, src); !tt.check(d) {
				t.Errorf("unexpected Dag for %q: %+v", tt.body, d)
			}
		})
	}
}

func TestLoadFile_TaskValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, with, extra string // with: the with mapping's body; extra: task keys
		want              Task
	}{
		{name: "Defaults", with: "bash_command: x",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}}},
		{name: "RetrySettings", with: "bash_command: x", extra: "retries: 2, retry_delay: 1.5, execution_timeout: 600, trigger_rule: all_success",
			want: Task{Retries: 2, RetryDelay: 1500 * time.Millisecond, ExecutionTimeout: 10 * time.Minute, SkipOnExitCode: []int{99}}},
		{name: "RetryDelayZero", with: "bash_command: x", extra: "retry_delay: 0",
			want: Task{SkipOnExitCode: []int{99}}},
		{name: "SkipOne", with: "bash_command: x, skip_on_exit_code: 3",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{3}}},
		{name: "SkipList", with: "bash_command: x, skip_on_exit_code: [3, 4]",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{3, 4}}},
		{name: "SkipNull", with: "bash_command: x, skip_on_exit_code: null",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{}}},
		{name: "CwdCleaned", with: "bash_command: x, cwd: ./include/../scripts/",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}, Cwd: "scripts"}},
		{name: "CwdDot", with: "bash_command: x, cwd: .",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}}},
		{name: "EnvAndAppend", with: "bash_command: x, env: {A: '1', B: b}, append_env: true",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}, AppendEnv: true,
				Env: map[string]Value{"A": {Text: "1"}, "B": {Text: "b"}}}},
		{name: "LiteralJinjaStaysLiteral", with: "bash_command: 'echo {{ ds }}'",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}}},
		{name: "ConstKeepsMarkers", with: "bash_command: {$const: 'echo {{ ds }}'}, env: {$const: {A: '{$x: a}'}}",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99},
				Env: map[string]Value{"A": {Text: "{$x: a}"}}}},
		{name: "ConstOnLiteralArgs", with: "bash_command: x, cwd: {$const: sub}, append_env: {$const: yes}, skip_on_exit_code: {$const: [1]}",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{1}, Cwd: "sub", AppendEnv: true}},
		{name: "TemplateLongForm", with: "bash_command: {$template: 'echo {{ ds }}'}",
			want: Task{RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99}}},
		{name: "XComKeyed", with: "bash_command: x, env: {V: {$xcom: {task: up, key: rows}}}",
			want: Task{Needs: []string{"up"}, RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99},
				Env: map[string]Value{"V": {Kind: XCom, XComTask: "up", XComKey: "rows"}}}},
		{name: "XComAddsToNeedsOnce", with: "bash_command: {$x: up}, env: {V: {$x: up}}", extra: "needs: [up, up]",
			want: Task{Needs: []string{"up"}, RetryDelay: 300 * time.Second, SkipOnExitCode: []int{99},
				Env: map[string]Value{"V": {Kind: XCom, XComTask: "up", XComKey: "return_value"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			extra := ""
			if tt.extra != "" {
				extra = ", " + tt.extra
			}
			d := loadOne(t, doc("tasks:\n  - {id: up, uses: BASH, with: {bash_command: x}}\n  - {id: t, uses: BASH, with: {"+tt.with+"}"+extra+"}\n"))
			got := *d.Task("t")
			got.BashCommand = Value{}
			want := tt.want
			want.ID = "t"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadFile_BashCommandKinds(t *testing.T) {
	t.Parallel()
	d := loadOne(t, doc(`tasks:
  - {id: up, uses: BASH, with: {bash_command: x}}
  - {id: lit, uses: BASH, with: {bash_command: 'echo {{ ds }}'}}
  - {id: tpl, uses: BASH, with: {bash_command: {$t: 'echo {{ ds }}'}}}
  - {id: xc, uses: BASH, with: {bash_command: {$x: up}}}
  - {id: cst, uses: BASH, with: {bash_command: {$const: 'echo {{ ds }}'}}}
`))
	want := map[string]Value{
		"lit": {Kind: Literal, Text: "echo {{ ds }}"},
		"tpl": {Kind: Template, Text: "echo {{ ds }}"},
		"xc":  {Kind: XCom, XComTask: "up", XComKey: "return_value"},
		"cst": {Kind: Literal, Text: "echo {{ ds }}"},
	}
	for id, w := range want {
		got := d.Task(id).BashCommand
		got.tmpl = nil
		if got != w {
			t.Errorf("task %s: bash_command %+v, want %+v", id, got, w)
		}
	}
}

func TestLoadFile_TopologicalOrder(t *testing.T) {
	t.Parallel()
	d := loadOne(t, doc(`tasks:
  - {id: report, needs: [load, audit], uses: BASH, with: {bash_command: x}}
  - {id: load, needs: [extract], uses: BASH, with: {bash_command: x}}
  - {id: audit, uses: BASH, with: {bash_command: x}}
  - {id: extract, uses: BASH, with: {bash_command: x}}
  - {id: notify, uses: BASH, with: {bash_command: {$x: report}}}
`))
	var got []string
	for _, task := range d.Tasks {
		got = append(got, task.ID)
	}
	want := []string{"audit", "extract", "load", "report", "notify"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestLoadFile_ManyTasks: a Dag of 50,000 tasks and no aliases is within
// the limits, which bound alias expansion, not the size of a plain Dag.
func TestLoadFile_ManyTasks(t *testing.T) {
	var b strings.Builder
	b.WriteString("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: big\nschedule: null\ntasks:\n")
	for i := range 50_000 {
		fmt.Fprintf(&b, "  - id: t%d\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo %d'}\n", i, i)
	}
	d := loadOne(t, b.String())
	if len(d.Tasks) != 50_000 {
		t.Fatalf("loaded %d tasks, want 50000", len(d.Tasks))
	}
}
