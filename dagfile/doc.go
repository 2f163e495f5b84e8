// Package dagfile loads, validates and prepares the DAGs dagdeck's local
// runtime runs: files in the Airflow 3.4 YAML Dag format (schema version
// 2026-10-30), restricted to what /work/shared/airflow-yaml-dags.md says dagdeck
// runs. It is a pure library: no processes, no database, no clock.
//
// # Loading
//
// LoadDir reads every *.yaml / *.yml file under dags/ of a bundle (an
// fs.FS rooted at the bundle root), recursively and in lexical order;
// LoadFile reads one file. A file holds one Dag per YAML document
// (documents separated by ---). Empty documents are skipped but counted:
// Doc and ImportError.Doc are 1-based positions in the file. Each failing
// document yields one ImportError naming file, document, task (when a task
// is at fault) and line, with the first problem found; the other documents
// and files still load. A YAML syntax error fails the whole file. A dag_id
// seen twice in one file fails the later document; across files, the later
// file's document (lexical path order) fails.
//
// YAML is read the way Airflow's PyYAML (YAML 1.1) reads it where the two
// differ in ways that matter: unquoted yes/no/on/off (any case form PyYAML
// knows) are booleans (so `catchup: no` is false, and an unquoted `on` where
// a string is expected is an error asking to quote it), unquoted dates are
// dates, anchors/aliases and << merge keys work, and duplicate keys are
// errors. Sexagesimal numbers (1:30) are not read as numbers.
//
// # What is accepted
//
// Dag keys: $schema (required; its first YYYY-MM-DD must be 2026-10-30; an
// unquoted date is fine), dag_id (required; letters, digits, . - _),
// schedule (null = manual only; a 5-field cron string evaluated in UTC; or
// @hourly @daily @weekly @monthly @yearly @once), start_date and end_date
// (dates or ISO 8601 date-times, UTC when no offset), catchup (default
// false), tags, description, params, max_active_runs (default 16),
// templates and tasks. default_args, timetable objects, callbacks
// (*_callback), any other preset or key are errors.
//
// Tasks: id (unique), uses (must be
// airflow.providers.standard.operators.bash.BashOperator; run: tasks are
// not supported), needs (a list of existing task ids, not the task itself,
// no cycles), extends, retries (integer, default 0), retry_delay (numeric
// seconds, default 300; strings such as "5m" are errors), execution_timeout
// (numeric seconds; a dagdeck extension, Airflow itself takes a timedelta),
// trigger_rule (only all_success) and with. inlets, outlets, callbacks and
// other keys are errors; BashOperator arguments written at task level are
// errors asking to move them under with.
//
// with: bash_command (required), env (names to strings), append_env
// (boolean), cwd (a literal path relative to the code version's directory;
// absolute paths and paths escaping with .. are errors) and
// skip_on_exit_code (an exit code or a list; default 99; null means never
// skip). Other keys are errors.
//
// Templates: `templates` maps names to partial tasks (without id), pulled in
// with extends: [name, …]. Merging goes left to right, then the task's own
// keys win; `with` merges one level deep (argument by argument; env is
// replaced as a whole), other keys are replaced. Templates may extend
// templates; unknown names and cycles are errors, even in unused templates.
//
// # Values and markers
//
// String values in with (bash_command, env values) are literal unless
// wrapped in a one-key marker: {$t: …} or {$template: …} (a template, see
// below), {$x: task_id} or {$x: {task: id, key: k}} (an upstream XCom,
// key default return_value; it adds the task to Needs; needs runtime 2.0.0,
// else an import error names that version), {$const: …} (verbatim, markers
// inside are not read). {$f: …} and any other $ key are errors. cwd,
// append_env and skip_on_exit_code take literals or $const only.
// Value.Resolve turns a Value into its string at run time.
//
// # Template subset
//
// $t templates are a strict subset of Jinja, parsed at load time, that
// renders what Jinja2 renders in Airflow's environment (tested against
// Jinja2's own output, see dagfile/testdata/jinja):
//
//   - text, {{ expression }}, {# comments #}, and {{- / -}} whitespace control;
//     as in Jinja, \r\n and \r become \n and one trailing newline is dropped;
//   - expressions: a variable, attribute and key access (params.day,
//     params['day'], a list index list[0]), string literals (with Python's
//     escapes), decimal integer and float literals, true/false/none, then
//     filters;
//   - filters: upper, lower (full Unicode case mapping, as Python's), trim,
//     string, replace(old, new[, count]), and default(value[, boolean])
//     (alias d), which alone accepts an undefined input;
//   - values print as Python's str() would (True, None, 1.0, 1e+16, ['a']).
//
// Everything else is an error naming the construct and its line and column:
// {% statements %}, operators, calls, tests, conditional expressions, list
// and dict literals, slices, unknown filters, keyword arguments, attributes
// starting with _, .name where Jinja would give a dict method (params.keys:
// write params['keys']), printing a context object (dag, task, ti, dag_run)
// or a mapping of more than one key (its order is not kept). Rendered text
// is limited to 1 MiB.
//
// Undefined variables are errors, never "": at load time for names outside
// the context (unless a default filter follows), at render time for missing
// keys. The context, named as in Airflow so files run there too:
//
//	ds                 logical date as 2026-01-05
//	ds_nodash          20260105
//	ts                 2026-01-05T02:30:00+00:00
//	ts_nodash          20260105T023000
//	ts_nodash_with_tz  20260105T023000+0000
//	logical_date       the date-time (prints as ts; .year .month .day .hour .minute .second)
//	run_id             the run id
//	params             the Dag's params with the run's conf (Context.Params)
//	dag.dag_id         the Dag id (there is no top-level dag_id, as in Airflow)
//	task.task_id       the task id
//	ti, task_instance  .dag_id .task_id .run_id .try_number
//	dag_run            .dag_id .run_id .logical_date
//
// # Scheduling
//
// Logical dates are the times the schedule fires, in UTC (Airflow 3's cron
// trigger timetable, its default): the 02:30 run of 2026-01-05 has ds
// 2026-01-05. Dates before start_date or after end_date never run. NextRun
// gives the next date after a time; DueRuns the dates to create now, with or
// without catchup. @once runs once at start_date; without start_date it
// never runs on schedule.
package dagfile
