package dagfile

import (
	"strings"
	"testing"
)

// header starts every inline document (2 lines: body line 1 is file line 3).
const header = "$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: d\n"

// doc builds a document from body, writing BASH for the BashOperator path.
func doc(body string) string {
	return header + strings.ReplaceAll(body, "BASH", BashOperator)
}

// ok is a valid task list to append Dag-level cases to.
const okTasks = "tasks: [{id: a, uses: BASH, with: {bash_command: echo}}]\n"

func TestLoadFile_Rejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		task       string // task the error must name
		msg        string // substring of the message
		line       int    // expected line when non-zero
	}{
		// Documents and Dag keys.
		{name: "NotMapping", yaml: "- a\n- b\n", msg: "must be a mapping", line: 1},
		{name: "DuplicateKey", yaml: doc("dag_id: e\n" + okTasks), msg: `duplicate key "dag_id" (first at line 2)`, line: 3},
		{name: "DuplicateNestedKey", yaml: doc("params: {x: 1, x: 2}\n" + okTasks), msg: `duplicate key "x"`, line: 3},
		{name: "SchemaMissing", yaml: "dag_id: d\n", msg: "$schema is required"},
		{name: "SchemaOtherVersion", yaml: "$schema: https://airflow.apache.org/schemas/dag/2025-01-01.json\ndag_id: d\n", msg: "version 2025-01-01 is not supported; dagdeck supports 2026-10-30", line: 1},
		{name: "SchemaNoVersion", yaml: "$schema: https://example.com/dag.json\ndag_id: d\n", msg: "names no version"},
		{name: "SchemaNull", yaml: "$schema:\ndag_id: d\n", msg: "$schema must be a string"},
		{name: "DagIDMissing", yaml: "$schema: 2026-10-30\n", msg: "dag_id is required"},
		{name: "DagIDInvalid", yaml: "$schema: 2026-10-30\ndag_id: a b\n", msg: "dots, dashes or underscores"},
		{name: "DagIDNumber", yaml: "$schema: 2026-10-30\ndag_id: 12\n", msg: "dag_id must be a string"},
		{name: "DefaultArgs", yaml: doc("default_args: {retries: 2}\n" + okTasks), msg: "default_args is not part of the YAML Dag format", line: 3},
		{name: "UnknownDagKey", yaml: doc("doc_md: hi\n" + okTasks), msg: `unknown Dag key "doc_md"`, line: 3},
		{name: "DagCallback", yaml: doc("on_failure_callback: x.y\n" + okTasks), msg: "callbacks (on_failure_callback) are not supported"},
		{name: "SlaCallback", yaml: doc("sla_miss_callback: x.y\n" + okTasks), msg: "callbacks"},
		{name: "Timetable", yaml: doc("schedule: {uses: airflow.timetables.X, with: {}}\n" + okTasks), msg: "timetable objects are not supported", line: 3},
		{name: "TimetableKey", yaml: doc("timetable: x\n" + okTasks), msg: "timetables are not supported"},
		{name: "PresetUnsupported", yaml: doc("schedule: '@quarterly'\n" + okTasks), msg: "preset not supported"},
		{name: "PresetEvery", yaml: doc("schedule: '@every 1h'\n" + okTasks), msg: "preset not supported"},
		{name: "CronInvalid", yaml: doc("schedule: '61 * * * *'\n" + okTasks), msg: "invalid cron"},
		{name: "CronSixFields", yaml: doc("schedule: '0 0 3 * * *'\n" + okTasks), msg: "invalid cron"},
		{name: "CronNeverFires", yaml: doc("schedule: '0 0 30 2 *'\n" + okTasks), msg: "never fires"},
		{name: "CronTimeZone", yaml: doc("schedule: 'CRON_TZ=Europe/Paris 0 3 * * *'\n" + okTasks), msg: "time zone"},
		{name: "ScheduleNumber", yaml: doc("schedule: 5\n" + okTasks), msg: "schedule must be a string"},
		{name: "CatchupWord", yaml: doc("catchup: maybe\n" + okTasks), msg: "catchup must be a boolean"},
		{name: "CatchupQuotedNo", yaml: doc("catchup: 'no'\n" + okTasks), msg: "catchup must be a boolean"},
		{name: "StartDateWord", yaml: doc("start_date: yesterday\n" + okTasks), msg: "start_date must be a date"},
		{name: "EndBeforeStart", yaml: doc("start_date: 2026-02-01\nend_date: 2026-01-01\n" + okTasks), msg: "end_date is before start_date", line: 4},
		{name: "MaxActiveRunsZero", yaml: doc("max_active_runs: 0\n" + okTasks), msg: "at least 1"},
		{name: "TagYAML11Bool", yaml: doc("tags: [yes]\n" + okTasks), msg: `unquoted "yes" is a boolean in YAML 1.1`},
		{name: "ParamsList", yaml: doc("params: [1]\n" + okTasks), msg: "params must be a mapping"},
		{name: "DescriptionOff", yaml: doc("description: off\n" + okTasks), msg: "quote it"},
		// Templates.
		{name: "TemplateUnknown", yaml: doc("tasks: [{id: a, extends: [nope], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `extends unknown template "nope"`, line: 3},
		{name: "TemplateCycle", yaml: doc("templates:\n  t1: {extends: [t2]}\n  t2: {extends: [t1]}\n" + okTasks), msg: "template cycle: t1 -> t2 -> t1"},
		{name: "TemplateSelfCycle", yaml: doc("templates:\n  t1: {extends: [t1], retries: 1}\n" + okTasks), msg: "template cycle: t1 -> t1"},
		{name: "TemplateUnknownInUnused", yaml: doc("templates:\n  t1: {extends: [ghost]}\n" + okTasks), msg: `unknown template "ghost"`},
		{name: "TemplateID", yaml: doc("templates:\n  t1: {id: x}\n" + okTasks), msg: "a template cannot set id"},
		{name: "TemplateNotMapping", yaml: doc("templates:\n  t1: [x]\n" + okTasks), msg: `template "t1" must be a mapping`},
		{name: "ExtendsString", yaml: doc("templates: {t: {retries: 1}}\ntasks: [{id: a, extends: t, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "extends must be a list"},
		{name: "TemplateBringsUnknownKey", yaml: doc("templates: {t: {pool: p}}\ntasks: [{id: a, extends: [t], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `unknown task key "pool"`, line: 3},
		// Tasks.
		{name: "TasksNotList", yaml: doc("tasks: {a: 1}\n"), msg: "tasks must be a list"},
		{name: "TaskNotMapping", yaml: doc("tasks: [x]\n"), msg: "task 1 must be a mapping"},
		{name: "TaskNoID", yaml: doc("tasks:\n  - {id: a, uses: BASH, with: {bash_command: x}}\n  - {uses: BASH, with: {bash_command: x}}\n"), msg: "task 2 has no id", line: 5},
		{name: "TaskDuplicateID", yaml: doc("tasks:\n  - {id: a, uses: BASH, with: {bash_command: x}}\n  - {id: a, uses: BASH, with: {bash_command: x}}\n"), task: "a", msg: "already used by the task at line 4", line: 5},
		{name: "TaskIDInvalid", yaml: doc("tasks: [{id: 'a/b', uses: BASH, with: {bash_command: x}}]\n"), msg: "task id \"a/b\" must be"},
		{name: "Run", yaml: doc("tasks: [{id: a, run: {python: x}}]\n"), task: "a", msg: "run: tasks (Language SDK) are not supported"},
		{name: "UsesAndRun", yaml: doc("tasks: [{id: a, uses: BASH, run: x, with: {bash_command: x}}]\n"), task: "a", msg: "exactly one of uses and run"},
		{name: "NoUses", yaml: doc("tasks: [{id: a, with: {bash_command: x}}]\n"), task: "a", msg: "uses is required"},
		{name: "OtherOperator", yaml: doc("tasks: [{id: a, uses: airflow.providers.standard.operators.python.PythonOperator, with: {python_callable: x}}]\n"), task: "a", msg: `operator "airflow.providers.standard.operators.python.PythonOperator" is not supported`},
		{name: "NeedsUnknown", yaml: doc("tasks: [{id: a, needs: [zz], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `needs unknown task "zz"`, line: 3},
		{name: "NeedsSelf", yaml: doc("tasks: [{id: a, needs: [a], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "needs its own task"},
		{name: "NeedsString", yaml: doc("tasks: [{id: a, needs: b, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "needs must be a list"},
		{name: "Cycle", yaml: doc("tasks:\n  - {id: a, needs: [b], uses: BASH, with: {bash_command: x}}\n  - {id: b, needs: [a], uses: BASH, with: {bash_command: x}}\n"), task: "a", msg: "dependency cycle: a needs b needs a", line: 4},
		{name: "CycleBehindOK", yaml: doc("tasks:\n  - {id: z, uses: BASH, with: {bash_command: x}}\n  - {id: c, needs: [z, b], uses: BASH, with: {bash_command: x}}\n  - {id: b, needs: [d], uses: BASH, with: {bash_command: x}}\n  - {id: d, needs: [c], uses: BASH, with: {bash_command: x}}\n"), task: "c", msg: "dependency cycle: c needs b needs d needs c"},
		{name: "CycleThroughXCom", yaml: doc("tasks:\n  - {id: a, needs: [b], uses: BASH, with: {bash_command: x}}\n  - {id: b, uses: BASH, with: {bash_command: {$x: a}}}\n"), task: "a", msg: "dependency cycle: a needs b needs a"},
		{name: "RetriesString", yaml: doc("tasks: [{id: a, retries: '3', uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "retries must be an integer"},
		{name: "RetriesNegative", yaml: doc("tasks: [{id: a, retries: -1, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "must not be negative"},
		{name: "RetryDelayDuration", yaml: doc("tasks: [{id: a, retry_delay: 5m, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `duration strings such as "5m" are not supported`},
		{name: "RetryDelayQuotedDuration", yaml: doc("tasks: [{id: a, retry_delay: '1h30m', uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "duration strings"},
		{name: "RetryDelayNegative", yaml: doc("tasks: [{id: a, retry_delay: -5, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "non-negative number of seconds"},
		{name: "RetryDelayList", yaml: doc("tasks: [{id: a, retry_delay: [5], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "retry_delay must be a number of seconds"},
		{name: "ExecutionTimeoutDuration", yaml: doc("tasks: [{id: a, execution_timeout: 2h, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "duration strings"},
		{name: "ExecutionTimeoutZero", yaml: doc("tasks: [{id: a, execution_timeout: 0, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "must be positive"},
		{name: "TriggerRule", yaml: doc("tasks: [{id: a, trigger_rule: one_success, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `trigger_rule "one_success" is not supported`},
		{name: "TaskCallback", yaml: doc("tasks: [{id: a, on_retry_callback: x, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "callbacks (on_retry_callback)"},
		{name: "Inlets", yaml: doc("tasks: [{id: a, inlets: [x], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "inlets (assets and lineage)"},
		{name: "Outlets", yaml: doc("tasks: [{id: a, outlets: [x], uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: "outlets (assets and lineage)"},
		{name: "UnknownTaskKey", yaml: doc("tasks: [{id: a, queue: q, uses: BASH, with: {bash_command: x}}]\n"), task: "a", msg: `unknown task key "queue"`},
		{name: "BashArgAtTaskLevel", yaml: doc("tasks: [{id: a, uses: BASH, bash_command: x}]\n"), task: "a", msg: "bash_command is a BashOperator argument: put it under with"},
		// with and markers.
		{name: "WithMissing", yaml: doc("tasks: [{id: a, uses: BASH}]\n"), task: "a", msg: "with.bash_command is required"},
		{name: "BashCommandMissing", yaml: doc("tasks: [{id: a, uses: BASH, with: {env: {A: b}}}]\n"), task: "a", msg: "with.bash_command is required"},
		{name: "BashCommandEmpty", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: ' '}}]\n"), task: "a", msg: "with.bash_command is required"},
		{name: "WithUnknownKey", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, output_encoding: utf-8}}]\n"), task: "a", msg: `unknown with key "output_encoding"`},
		{name: "WithIsMarker", yaml: doc("tasks: [{id: a, uses: BASH, with: {$t: x}}]\n"), task: "a", msg: "not a $t marker"},
		{name: "WithDollarKey", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, $t: y}}]\n"), task: "a", msg: "markers such as $t wrap its values"},
		{name: "MarkerF", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$f: run.sh}}}]\n"), task: "a", msg: "marker $f (load a file) is not supported"},
		{name: "MarkerUnknown", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$tmpl: x}}}]\n"), task: "a", msg: "unknown marker $tmpl"},
		{name: "MarkerExtraKey", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: x, y: 1}}}]\n"), task: "a", msg: "marker $t must be the only key"},
		{name: "MarkerInEnvValue", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {A: {$file: y}}}}]\n"), task: "a", msg: "unknown marker $file"},
		{name: "BashCommandNumber", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: 5}}]\n"), task: "a", msg: "with.bash_command must be a string, not the number 5"},
		{name: "BashCommandYAML11Bool", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: yes}}]\n"), task: "a", msg: "boolean in YAML 1.1"},
		{name: "TemplateNotString", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: [x]}}}]\n"), task: "a", msg: "template must be a string"},
		{name: "EnvValueNumber", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {N: 5}}}]\n"), task: "a", msg: "with.env.N must be a string"},
		{name: "EnvValueOn", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {DEBUG: on}}}]\n"), task: "a", msg: `unquoted "on" is a boolean`},
		{name: "EnvMarker", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {$t: y}}}]\n"), task: "a", msg: "with.env must be a mapping; put markers on its values"},
		{name: "EnvBadName", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {'A=B': y}}}]\n"), task: "a", msg: "not a valid environment variable name"},
		{name: "EnvList", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: [A]}}]\n"), task: "a", msg: "with.env must be a mapping"},
		{name: "CwdAbsolute", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, cwd: /tmp}}]\n"), task: "a", msg: `with.cwd "/tmp" must be relative`},
		{name: "CwdHome", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, cwd: ~/x}}]\n"), task: "a", msg: "must be relative"},
		{name: "CwdEscapes", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, cwd: ../other}}]\n"), task: "a", msg: "leaves the project directory"},
		{name: "CwdEscapesLater", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, cwd: include/../../x}}]\n"), task: "a", msg: "leaves the project directory"},
		{name: "CwdTemplate", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, cwd: {$t: '{{ ds }}'}}}]\n"), task: "a", msg: "with.cwd cannot use $t"},
		{name: "AppendEnvWord", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, append_env: sure}}]\n"), task: "a", msg: "with.append_env must be a boolean"},
		{name: "AppendEnvXCom", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, append_env: {$x: b}}}]\n"), task: "a", msg: "cannot use $x"},
		{name: "SkipString", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, skip_on_exit_code: many}}]\n"), task: "a", msg: "skip_on_exit_code must be an integer"},
		{name: "SkipOutOfRange", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, skip_on_exit_code: [1, 300]}}]\n"), task: "a", msg: "300 is not an exit code"},
		{name: "XComUnknownTask", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: x, env: {V: {$x: ghost}}}}]\n"), task: "a", msg: `$x reads the XCom of unknown task "ghost"`},
		{name: "XComSelf", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$xcom: a}}}]\n"), task: "a", msg: "$x reads the XCom of its own task"},
		{name: "XComBadKey", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$x: {task: b, name: k}}}}]\n"), task: "a", msg: `unknown $x key "name"`},
		{name: "XComNoTask", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$x: {key: k}}}}]\n"), task: "a", msg: "$x needs a task"},
		{name: "TemplateUndefinedName", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: 'echo {{ dss }}'}}}]\n"), task: "a", msg: `undefined variable "dss"`},
		{name: "TemplateTopLevelDagID", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: 'echo {{ dag_id }}'}}}]\n"), task: "a", msg: `undefined variable "dag_id"`},
		{name: "TemplateStatement", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$template: '{% if x %}y{% endif %}'}}}]\n"), task: "a", msg: "statements"},
		{name: "TemplateUnknownFilter", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: '{{ ds | shout }}'}}}]\n"), task: "a", msg: `unknown filter "shout"`},
		{name: "TemplateUnclosed", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: 'echo {{ ds'}}}]\n"), task: "a", msg: "{{ without }}"},
		{name: "TemplateOperator", yaml: doc("tasks: [{id: a, uses: BASH, with: {bash_command: {$t: '{{ ds ~ ts }}'}}}]\n"), task: "a", msg: "unsupported"},
		{name: "AliasBomb", yaml: doc("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"), msg: "aliases expand the document by more than 100000 YAML nodes"},
		{name: "TooDeep", yaml: doc("x: " + strings.Repeat("[", 250) + strings.Repeat("]", 250) + "\n"), msg: "nested more than 200 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dags, errs := LoadFile("dags/t.yaml", []byte(tt.yaml), Options{RuntimeVersion: "2.0.0"})
			if len(dags) != 0 || len(errs) != 1 {
				t.Fatalf("got %d dags and errors %v; want one error", len(dags), errs)
			}
			e := errs[0]
			if e.File != "dags/t.yaml" || e.Doc != 1 || e.Task != tt.task || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got %+v\nwant file dags/t.yaml, doc 1, task %q, message containing %q", *e, tt.task, tt.msg)
			}
			if tt.line != 0 && e.Line != tt.line {
				t.Errorf("line = %d, want %d (%s)", e.Line, tt.line, e)
			}
		})
	}
}

// TestLoadFile_XComNeedsRuntime2 checks that $x fails to import before
// runtime 2.0.0 with an error naming that version, and loads from it on.
func TestLoadFile_XComNeedsRuntime2(t *testing.T) {
	t.Parallel()
	src := doc("tasks:\n  - {id: a, uses: BASH, with: {bash_command: x}}\n  - {id: b, uses: BASH, with: {bash_command: x, env: {V: {$x: a}}}}\n")
	for _, tt := range []struct {
		version string
		ok      bool
	}{{"1.0.0", false}, {"1.1.0", false}, {"", false}, {"2.0.0", true}, {"2.1.0", true}} {
		dags, errs := LoadFile("dags/x.yaml", []byte(src), Options{RuntimeVersion: tt.version})
		if tt.ok {
			if len(errs) != 0 || len(dags) != 1 || !dags[0].UsesXCom {
				t.Errorf("runtime %q: dags %v, errs %v; want the Dag with UsesXCom", tt.version, dags, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Task != "b" || !strings.Contains(errs[0].Message, "needs runtime 2.0.0 or later") {
			t.Errorf("runtime %q: errs %v; want task b needing runtime 2.0.0", tt.version, errs)
		}
	}
}
