package dagfile

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// docParser turns one YAML document into a Dag.
type docParser struct {
	opts   Options
	xcomOK bool
	dagID  string         // set as soon as dag_id is read, for error reports
	lines  map[string]int // task id → line of its mapping
}

// dagKeys are the top-level keys dagdeck runs.
var dagKeys = []string{"$schema", "dag_id", "schedule", "start_date", "end_date", "catchup",
	"tags", "params", "description", "max_active_runs", "templates", "tasks"}

// idPattern is what Airflow allows in dag and task ids.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,250}$`)

// schemaDate finds the format version in $schema.
var schemaDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

func (p *docParser) parse(root *yaml.Node) (*Dag, *docError) {
	if root.Kind != yaml.MappingNode {
		return nil, errorf(root, "a document must be a mapping describing one Dag, not %s", describe(root))
	}
	n, err := expand(root)
	if err != nil {
		return nil, err
	}
	es, _ := entries(n, "document")
	keys := map[string]*yaml.Node{}
	for _, e := range es {
		keys[e.Key] = e.V
	}
	if err := checkSchema(n, keys["$schema"]); err != nil {
		return nil, err
	}
	if keys["dag_id"] == nil {
		return nil, errorf(n, "dag_id is required")
	}
	id, err := asID(keys["dag_id"], "dag_id")
	if err != nil {
		return nil, err
	}
	p.dagID = id
	dag := &Dag{ID: id, MaxActiveRuns: DefaultMaxActiveRuns}
	for _, e := range es {
		if err := p.dagKey(dag, e); err != nil {
			return nil, err
		}
	}
	if dag.StartDate != nil && dag.EndDate != nil && dag.EndDate.Before(*dag.StartDate) {
		return nil, errorf(keys["end_date"], "end_date is before start_date")
	}
	if dag.Tasks, err = p.parseTasks(keys["tasks"], keys["templates"]); err != nil {
		return nil, err
	}
	for _, t := range dag.Tasks {
		dag.UsesXCom = dag.UsesXCom || len(xcomReads(t)) > 0
	}
	return dag, nil
}

func checkSchema(doc, n *yaml.Node) *docError {
	if n == nil {
		return errorf(doc, "$schema is required (https://airflow.apache.org/schemas/dag/%s.json)", SchemaVersion)
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return errorf(n, "$schema must be a string naming the format version %s", SchemaVersion)
	}
	v := schemaDate.FindString(n.Value)
	if v == "" {
		return errorf(n, "$schema %q names no version (YYYY-MM-DD); dagdeck supports %s", n.Value, SchemaVersion)
	}
	if v != SchemaVersion {
		return errorf(n, "$schema version %s is not supported; dagdeck supports %s", v, SchemaVersion)
	}
	return nil
}

func asID(n *yaml.Node, what string) (string, *docError) {
	id, err := asString(n, what)
	if err != nil {
		return "", err
	}
	if !idPattern.MatchString(id) {
		return "", errorf(n, "%s %q must be 1 to 250 letters, digits, dots, dashes or underscores", what, id)
	}
	return id, nil
}

// dagKey applies one top-level key to dag.
func (p *docParser) dagKey(dag *Dag, e entry) *docError {
	var err *docError
	null := isNull(e.V)
	switch e.Key {
	case "$schema", "dag_id", "templates", "tasks":
		// read by parse
	case "schedule":
		if !null {
			dag.Schedule, err = scheduleValue(e.V)
		}
	case "start_date":
		dag.StartDate, err = asTime(e.V, e.Key)
	case "end_date":
		dag.EndDate, err = asTime(e.V, e.Key)
	case "catchup":
		if !null {
			dag.Catchup, err = asBool(e.V, e.Key)
		}
	case "tags":
		if !null {
			dag.Tags, err = asStrings(e.V, e.Key)
		}
	case "params":
		if !null && e.V.Kind != yaml.MappingNode {
			return errorf(e.V, "params must be a mapping")
		}
		if !null {
			dag.Params = toGo(e.V).(map[string]any)
		}
	case "description":
		if !null {
			dag.Description, err = asString(e.V, e.Key)
		}
	case "max_active_runs":
		if dag.MaxActiveRuns, err = asInt(e.V, e.Key); err == nil && dag.MaxActiveRuns < 1 {
			err = errorf(e.V, "max_active_runs must be at least 1")
		}
	default:
		err = unsupportedKey(e, "Dag", dagKeys)
	}
	return err
}

// unsupportedKey explains why a Dag or task key is rejected.
func unsupportedKey(e entry, level string, supported []string) *docError {
	switch {
	case e.Key == "default_args":
		return errorf(e.K, "default_args is not part of the YAML Dag format; share task settings with templates and extends")
	case strings.HasSuffix(e.Key, "_callback"):
		return errorf(e.K, "callbacks (%s) are not supported", e.Key)
	case e.Key == "inlets" || e.Key == "outlets":
		return errorf(e.K, "%s (assets and lineage) are not supported", e.Key)
	case e.Key == "timetable":
		return errorf(e.K, "timetables are not supported; use schedule with a cron string or preset")
	}
	return errorf(e.K, "unknown %s key %q (dagdeck supports %s)", level, e.Key, strings.Join(supported, ", "))
}

// scheduleValue validates a schedule: a preset, a 5-field cron string, never
// a timetable object.
func scheduleValue(n *yaml.Node) (string, *docError) {
	if n.Kind == yaml.MappingNode {
		return "", errorf(n, "timetable objects are not supported; use a cron string, a preset or null")
	}
	s, err := asString(n, "schedule")
	if err != nil {
		return "", err
	}
	if _, perr := parseSchedule(s); perr != nil {
		return "", errorf(n, "schedule %q: %v", s, perr)
	}
	return s, nil
}
