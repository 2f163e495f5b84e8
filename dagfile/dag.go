package dagfile

import (
	"fmt"
	"strings"
	"time"
)

// BashOperator is the only operator class path dagdeck runs.
const BashOperator = "airflow.providers.standard.operators.bash.BashOperator"

// SchemaVersion is the only YAML Dag format version (the first YYYY-MM-DD in
// $schema) that dagdeck loads.
const SchemaVersion = "2026-10-30"

// Defaults applied when a Dag or task does not set a value (Airflow's defaults).
const (
	DefaultMaxActiveRuns = 16
	DefaultRetryDelay    = 300 * time.Second
	DefaultSkipExitCode  = 99
)

// Dag is one loaded YAML document: a Dag ready to be scheduled and run.
type Dag struct {
	ID string
	// File is the slash-separated path of the file, relative to the bundle
	// root (e.g. "dags/sales.yaml"); Doc is the 1-based index of the document
	// in it, counting empty documents.
	File string
	Doc  int
	// Schedule is "" for manual-only Dags, else a 5-field cron string or one
	// of the presets @hourly @daily @weekly @monthly @yearly @once, as written.
	Schedule string
	// StartDate and EndDate bound the scheduled logical dates (inclusive), in UTC.
	StartDate, EndDate *time.Time
	Catchup            bool
	Tags               []string
	Description        string
	// Params are the Dag's params as plain Go values (string, bool, int,
	// float64, nil, []any, map[string]any), YAML 1.1 booleans converted.
	Params        map[string]any
	MaxActiveRuns int
	// Tasks are topologically sorted: every task comes after all tasks it
	// needs; ties keep the order of the file.
	Tasks []*Task
	// UsesXCom reports whether any task reads an XCom ($x / $xcom).
	UsesXCom bool
}

// Task returns the task with the given id, or nil.
func (d *Dag) Task(id string) *Task {
	for _, t := range d.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Task is a BashOperator task with its templates (extends) applied.
type Task struct {
	ID string
	// Needs are the upstream task ids: the task's needs followed by the tasks
	// its $x markers read, without duplicates.
	Needs []string
	// Retries is how many times a failed try is retried (0 = none).
	Retries int
	// RetryDelay is the wait before a retry (DefaultRetryDelay if unset).
	RetryDelay time.Duration
	// ExecutionTimeout bounds one try; 0 means no limit. It is a dagdeck
	// extension written as numeric seconds.
	ExecutionTimeout time.Duration
	// BashCommand is the command run with bash -c.
	BashCommand Value
	// Env holds extra environment variables; with AppendEnv false they
	// replace the inherited environment, with AppendEnv true they are added to it.
	Env       map[string]Value
	AppendEnv bool
	// Cwd is the working directory relative to the code version's directory;
	// "" is that directory itself. It never is absolute nor escapes with "..".
	Cwd string
	// SkipOnExitCode lists the exit codes that mark the task skipped
	// ([DefaultSkipExitCode] unless set; empty when set to null).
	SkipOnExitCode []int
}

// Options configure loading.
type Options struct {
	// RuntimeVersion is the Deployment's runtime version (e.g. "2.0.0"). It
	// gates features: XCom markers need dagdeck.FeatureXCom. An empty version
	// has no gated feature.
	RuntimeVersion string
	// Cache, if set, answers LoadDir for files it has loaded before.
	Cache *Cache
	// Digests, if set with Cache, gives the content digests
	// ("sha256:<hex>", as manifests record them) of files by path: a file
	// whose digest the cache knows is not even read.
	Digests map[string]string
}

// ImportError is a file, or one document of it, that failed to load. A
// document yields at most one ImportError: the first problem found.
type ImportError struct {
	File string // path relative to the bundle root
	Doc  int    // 1-based document index; 0 when the whole file failed (read or YAML syntax error)
	// DagID is the document's dag_id when it could be read.
	DagID string
	// Task is the id of the task at fault; "" for Dag-level problems.
	Task string
	// Line is the 1-based line in File; 0 when unknown.
	Line    int
	Message string
}

// Error formats the error as `dags/x.yaml: document 2: task "load": line 12: message`,
// leaving out the parts that are unknown.
func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Doc > 0 {
		fmt.Fprintf(&b, ": document %d", e.Doc)
	}
	if e.Task != "" {
		fmt.Fprintf(&b, ": task %q", e.Task)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}
