package dagfile

import (
	"reflect"
	"testing"
	"time"
)

func TestLoadFile_TemplateMerge(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, "testdata/templates.yaml", Options{})
	slowEnv := map[string]Value{"C": {Text: "slow"}}
	tests := []struct {
		id   string
		want Task
	}{
		{"left_to_right", Task{Retries: 3, RetryDelay: time.Minute, ExecutionTimeout: time.Hour,
			BashCommand: Value{Text: "echo base"}, Env: slowEnv, Cwd: "patient"}},
		{"own_keys_win", Task{Retries: 0, RetryDelay: time.Minute, ExecutionTimeout: time.Hour,
			BashCommand: Value{Text: "echo own"}, Env: slowEnv, Cwd: "patient"}},
		{"reversed", Task{Retries: 2, RetryDelay: time.Minute, ExecutionTimeout: time.Hour,
			BashCommand: Value{Text: "echo base"}, Env: slowEnv, Cwd: "base"}},
		{"no_templates", Task{RetryDelay: DefaultRetryDelay, BashCommand: Value{Text: "echo plain"}}},
	}
	for _, tt := range tests {
		got := d.Task(tt.id)
		if got == nil {
			t.Fatalf("no task %s", tt.id)
		}
		want := tt.want
		want.ID, want.SkipOnExitCode = tt.id, []int{99}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("task %s:\ngot  %+v\nwant %+v", tt.id, *got, want)
		}
	}
}

func TestLoadFile_TemplateMergeEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		check      func(*Task) bool
	}{
		{"WithMergesArgumentByArgument", doc("templates: {t: {uses: BASH, with: {bash_command: a}}}\ntasks: [{id: x, extends: [t], with: {env: {E: e}}}]\n"),
			func(t *Task) bool { return t.BashCommand.Text == "a" && t.Env["E"].Text == "e" }},
		{"EmptyExtends", doc("tasks: [{id: x, extends: [], uses: BASH, with: {bash_command: a}}]\n"),
			func(t *Task) bool { return t.BashCommand.Text == "a" }},
		{"DiamondExtends", doc("templates:\n  base: {uses: BASH, retries: 1}\n  l: {extends: [base], with: {bash_command: l}}\n  r: {extends: [base], retries: 4}\ntasks: [{id: x, extends: [l, r]}]\n"),
			func(t *Task) bool { return t.Retries == 4 && t.BashCommand.Text == "l" }},
		{"TemplateNeedsReplaced", doc("templates: {t: {uses: BASH, needs: [a]}}\ntasks:\n  - {id: a, uses: BASH, with: {bash_command: a}}\n  - {id: b, uses: BASH, with: {bash_command: b}}\n  - {id: x, extends: [t], needs: [b], with: {bash_command: x}}\n"),
			func(t *Task) bool { return reflect.DeepEqual(t.Needs, []string{"b"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if task := loadOne(t, tt.yaml).Task("x"); task == nil || !tt.check(task) {
				t.Errorf("unexpected task x: %+v", task)
			}
		})
	}
}
