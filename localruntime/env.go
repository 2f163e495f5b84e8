package localruntime

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/dagfile"
)

// baseEnvKeys are the variables of the runtime's own environment a task
// inherits; everything else of it (tokens, database URLs) stays out.
var baseEnvKeys = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR"}

func defaultBaseEnv() []string {
	env := []string{}
	for _, k := range baseEnvKeys {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if _, ok := os.LookupEnv("PATH"); !ok {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	return env
}

// taskEnv builds a try's environment with BashOperator's semantics: the
// inherited environment (the base and the Deployment's env vars, read when
// the try starts) unless the task sets env; with append_env, env is added
// to it. The context variables come last, always.
func taskEnv(base []string, dep *dagdeck.Deployment, task *dagfile.Task, tctx dagfile.Context, xcom func(string, string) (string, error), ctxVars map[string]string) ([]string, error) {
	env := make(map[string]string)
	if task.Env == nil || task.AppendEnv {
		for _, kv := range base {
			if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
				env[k] = v
			}
		}
		for _, v := range dep.Env {
			env[v.Key] = v.Value
		}
	}
	for k, val := range task.Env {
		s, err := val.Resolve(tctx, xcom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", k, err)
		}
		env[k] = s
	}
	maps.Copy(env, ctxVars)
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// airflowTime formats a time as Airflow's context does: 2026-01-05T02:30:00+00:00.
func airflowTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999999+00:00")
}

// contextVars are the variables that tell a try where it runs, under
// dagdeck's names and Airflow's AIRFLOW_CTX_* names.
// taskInstanceVar names the try in its process's environment, so a runtime
// recovering from a crash can find the try's processes even when the crash
// came before it recorded their process id.
const taskInstanceVar = "DAGDECK_TASK_INSTANCE_ID"

func contextVars(deploymentID string, ti *dagdeck.TaskInstance, r *dagdeck.DagRun) map[string]string {
	logical := airflowTime(r.LogicalDate)
	try := strconv.Itoa(ti.TryNumber)
	return map[string]string{
		"DAGDECK_DEPLOYMENT_ID":    deploymentID,
		taskInstanceVar:            ti.ID,
		"DAGDECK_DAG_ID":           ti.DagID,
		"DAGDECK_RUN_ID":           ti.RunID,
		"DAGDECK_TASK_ID":          ti.TaskID,
		"DAGDECK_TRY_NUMBER":       try,
		"DAGDECK_LOGICAL_DATE":     logical,
		"DAGDECK_DEPLOY_ID":        ti.DeployID,
		"DAGDECK_RUNTIME_VERSION":  ti.RuntimeVersion,
		"AIRFLOW_CTX_DAG_ID":       ti.DagID,
		"AIRFLOW_CTX_TASK_ID":      ti.TaskID,
		"AIRFLOW_CTX_DAG_RUN_ID":   ti.RunID,
		"AIRFLOW_CTX_TRY_NUMBER":   try,
		"AIRFLOW_CTX_LOGICAL_DATE": logical,
	}
}

// templateContext is what $t templates of a try see; the run's conf
// overrides the DAG's params.
func templateContext(dag *dagfile.Dag, r *dagdeck.DagRun, ti *dagdeck.TaskInstance) dagfile.Context {
	params := maps.Clone(dag.Params)
	if params == nil {
		params = map[string]any{}
	}
	if r.Conf != "" {
		// Numbers stay json.Number so that 3 prints as 3 and 3.0 as 3.0,
		// as Python's json module reads them for Airflow.
		dec := json.NewDecoder(strings.NewReader(r.Conf))
		dec.UseNumber()
		var conf map[string]any
		if dec.Decode(&conf) == nil && dec.Decode(new(any)) == io.EOF {
			maps.Copy(params, conf)
		}
	}
	return dagfile.Context{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, LogicalDate: r.LogicalDate.UTC(),
		TryNumber: ti.TryNumber, Params: params}
}
