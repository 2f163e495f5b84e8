package dagfile

import (
	"go.yaml.in/yaml/v3"
)

// taskKeys are the task-level keys dagdeck runs.
var taskKeys = []string{"id", "uses", "needs", "extends", "with", "retries", "retry_delay",
	"execution_timeout", "trigger_rule"}

// bashArgs are the BashOperator arguments dagdeck runs, all under `with`.
var bashArgs = []string{"bash_command", "env", "append_env", "cwd", "skip_on_exit_code"}

// parseTasks reads the task list, applying templates, and returns it
// topologically sorted with needs completed by XCom reads.
func (p *docParser) parseTasks(list, templates *yaml.Node) ([]*Task, *docError) {
	ts, err := newTemplateSet(templates)
	if err != nil {
		return nil, err
	}
	if list == nil || isNull(list) {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, errorf(list, "tasks must be a list")
	}
	p.lines = map[string]int{}
	var tasks []*Task
	for i, n := range list.Content {
		t, err := p.parseTaskEntry(i, n, ts)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	if err := p.link(tasks); err != nil {
		return nil, err
	}
	return p.sortTasks(tasks)
}

// parseTaskEntry reads the i-th (0-based) task mapping.
func (p *docParser) parseTaskEntry(i int, n *yaml.Node, ts *templateSet) (*Task, *docError) {
	if n.Kind != yaml.MappingNode {
		return nil, errorf(n, "task %d must be a mapping", i+1)
	}
	es, _ := entries(n, "task")
	var idNode *yaml.Node
	for _, e := range es {
		if e.Key == "id" {
			idNode = e.V
		}
	}
	if idNode == nil {
		return nil, errorf(n, "task %d has no id", i+1)
	}
	id, err := asID(idNode, "task id")
	if err != nil {
		return nil, err
	}
	if line, dup := p.lines[id]; dup {
		return nil, inTask(id, errorf(idNode, "task id %q is already used by the task at line %d", id, line))
	}
	p.lines[id] = n.Line
	merged, err := ts.apply(n)
	if err != nil {
		return nil, inTask(id, err)
	}
	t, err := p.parseTask(id, merged)
	return t, inTask(id, err)
}

// parseTask reads a task mapping with its templates applied.
func (p *docParser) parseTask(id string, n *yaml.Node) (*Task, *docError) {
	t := &Task{ID: id, RetryDelay: DefaultRetryDelay, SkipOnExitCode: []int{DefaultSkipExitCode}}
	es, _ := entries(n, "task")
	if err := checkOperator(n, es); err != nil {
		return nil, err
	}
	var with *yaml.Node
	for _, e := range es {
		var err *docError
		null := isNull(e.V)
		switch e.Key {
		case "id", "uses":
			// checked above
		case "with":
			with = e.V
		case "needs":
			if !null {
				t.Needs, err = asStrings(e.V, "needs")
			}
		case "retries":
			if t.Retries, err = asInt(e.V, e.Key); err == nil && t.Retries < 0 {
				err = errorf(e.V, "retries must not be negative")
			}
		case "retry_delay":
			if !null {
				t.RetryDelay, err = asSeconds(e.V, e.Key)
			}
		case "execution_timeout":
			if !null {
				if t.ExecutionTimeout, err = asSeconds(e.V, e.Key); err == nil && t.ExecutionTimeout == 0 {
					err = errorf(e.V, "execution_timeout must be positive (leave it out for no limit)")
				}
			}
		case "trigger_rule":
			var rule string
			if rule, err = asString(e.V, e.Key); err == nil && rule != "all_success" {
				err = errorf(e.V, "trigger_rule %q is not supported; dagdeck runs only all_success", rule)
			}
		default:
			err = unsupportedTaskKey(e)
		}
		if err != nil {
			return nil, err
		}
	}
	if with == nil || isNull(with) {
		return nil, errorf(n, "with.bash_command is required")
	}
	return t, p.parseWith(t, with)
}

// checkOperator requires exactly one of uses and run, and uses: BashOperator.
func checkOperator(n *yaml.Node, es []entry) *docError {
	var uses, run *entry
	for i := range es {
		switch es[i].Key {
		case "uses":
			uses = &es[i]
		case "run":
			run = &es[i]
		}
	}
	switch {
	case uses != nil && run != nil:
		return errorf(run.K, "a task has exactly one of uses and run")
	case run != nil:
		return errorf(run.K, "run: tasks (Language SDK) are not supported; use uses: %s", BashOperator)
	case uses == nil:
		return errorf(n, "uses is required (dagdeck runs %s)", BashOperator)
	}
	op, err := asString(uses.V, "uses")
	if err != nil {
		return err
	}
	if op != BashOperator {
		return errorf(uses.V, "operator %q is not supported; dagdeck runs only %s", op, BashOperator)
	}
	return nil
}

func unsupportedTaskKey(e entry) *docError {
	for _, a := range bashArgs {
		if e.Key == a {
			return errorf(e.K, "%s is a BashOperator argument: put it under with", e.Key)
		}
	}
	return unsupportedKey(e, "task", taskKeys)
}

// link checks needs and XCom reads, and adds the tasks read by $x to Needs.
func (p *docParser) link(tasks []*Task) *docError {
	for _, t := range tasks {
		var needs []string
		seen := map[string]bool{}
		add := func(id, what string) *docError {
			if id == t.ID {
				return &docError{Task: t.ID, Line: p.lines[t.ID], Msg: what + " its own task"}
			}
			if _, ok := p.lines[id]; !ok {
				return &docError{Task: t.ID, Line: p.lines[t.ID], Msg: what + " unknown task " + quote(id)}
			}
			if !seen[id] {
				seen[id] = true
				needs = append(needs, id)
			}
			return nil
		}
		for _, id := range t.Needs {
			if err := add(id, "needs"); err != nil {
				return err
			}
		}
		for _, v := range xcomReads(t) {
			if err := add(v.XComTask, "$x reads the XCom of"); err != nil {
				return err
			}
		}
		t.Needs = needs
	}
	return nil
}

// xcomReads returns the XCom values a task reads.
func xcomReads(t *Task) []Value {
	var out []Value
	if t.BashCommand.Kind == XCom {
		out = append(out, t.BashCommand)
	}
	for _, k := range sortedKeys(t.Env) {
		if t.Env[k].Kind == XCom {
			out = append(out, t.Env[k])
		}
	}
	return out
}
