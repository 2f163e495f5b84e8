package localruntime_test

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestRuntime_RunsDAG(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setEnv(t, "WAREHOUSE", "bq", false)
	d := e.deploy(t, project("2.0.0", map[string]string{
		"include/extract.sh": "echo \"extracting for $DAGDECK_DAG_ID/$DAGDECK_TASK_ID try $DAGDECK_TRY_NUMBER in $(basename $PWD)\"\necho 42\n",
		"dags/etl.yaml": dag("etl",
			bashTask("extract", "sh include/extract.sh"),
			`  - id: load
    uses: airflow.providers.standard.operators.bash.BashOperator
    needs: [extract]
    with:
      bash_command: {$t: "echo rows=$ROWS warehouse=$WAREHOUSE ctx=$AIRFLOW_CTX_DAG_ID deploy=$DAGDECK_DEPLOY_ID run={{ run_id }}"}
      env: {ROWS: {$x: extract}}
      append_env: true
`),
	}), "2.0.0")
	dags, errs, err := e.svc.ListDags(viewer, e.dep.ID)
	if err != nil || len(dags) != 1 || len(errs) != 0 || dags[0].DagID != "etl" || dags[0].DeployID != d.ID {
		t.Fatalf("dags = %+v, errs = %+v, %v", dags, errs, err)
	}
	r := e.trigger(t, "etl")
	if got := e.waitRun(t, r); got.State != dagdeck.RunSuccess || got.StartedAt == nil || got.EndedAt == nil {
		t.Fatalf("run = %+v", got)
	}
	extract := e.tries(t, r, "extract")
	load := e.tries(t, r, "load")
	if len(extract) != 1 || len(load) != 1 {
		t.Fatalf("tries: extract %d, load %d", len(extract), len(load))
	}
	for _, ti := range []*dagdeck.TaskInstance{extract[0], load[0]} {
		if ti.State != dagdeck.TaskSuccess || ti.DeployID != d.ID || ti.RuntimeVersion != "2.0.0" || ti.TryNumber != 1 || ti.MaxTries != 1 || *ti.ExitCode != 0 {
			t.Fatalf("task instance = %+v", ti)
		}
	}
	if log := e.log(t, extract[0]); !strings.Contains(log, "extracting for etl/extract try 1 in ") {
		t.Fatalf("extract log:\n%s", log)
	}
	want := "rows=42 warehouse=bq ctx=etl deploy=" + d.ID + " run=" + r.RunID
	if log := e.log(t, load[0]); !strings.Contains(log, want) {
		t.Fatalf("load log lacks %q:\n%s", want, log)
	}
}

func TestRuntime_ImportErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, project("1.1.0", map[string]string{
		"dags/good.yaml":   dag("good", bashTask("a", "true")),
		"dags/broken.yaml": dag("broken", bashTask("a", "true"), "  - id: b\n    uses: airflow.operators.python.PythonOperator\n"),
		"dags/xcom.yaml": dag("xcom", bashTask("a", "echo 1"), `  - id: b
    uses: airflow.providers.standard.operators.bash.BashOperator
    with:
      bash_command: echo
      env: {X: {$x: a}}
`),
		"dags/legacy.py": "from airflow import DAG\n",
	}), "1.1.0")
	dags, errs, err := e.svc.ListDags(viewer, e.dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dags) != 1 || dags[0].DagID != "good" {
		t.Fatalf("dags = %+v", dags)
	}
	if len(errs) != 2 || errs[0].File != "dags/broken.yaml" || errs[1].File != "dags/xcom.yaml" {
		t.Fatalf("import errors = %+v", errs)
	}
	if m := errs[0].Message; !strings.Contains(m, "document 1") || !strings.Contains(m, `task "b"`) {
		t.Fatalf("broken.yaml error does not name document and task: %q", m)
	}
	if m := errs[1].Message; !strings.Contains(m, "2.0.0") {
		t.Fatalf("$x on 1.1.0 does not name the runtime needed: %q", m)
	}
	_, err = e.svc.TriggerDag(deployer, e.dep.ID, "broken", nil)
	if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		t.Fatalf("trigger a DAG that failed to import: %v", err)
	}
}

func TestRuntime_RetriesSkipsAndUpstreamFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, project("1.1.0", map[string]string{
		// flaky fails its first try; doomed always fails; skipper exits 99.
		"dags/flow.yaml": dag("flow",
			bashTask("flaky", `if [ "$DAGDECK_TRY_NUMBER" = 1 ]; then echo first; exit 3; fi; echo again`, "retries: 2", "retry_delay: 0"),
			bashTask("after_flaky", "true", "needs: [flaky]"),
			bashTask("doomed", "exit 1", "retries: 1", "retry_delay: 0"),
			bashTask("after_doomed", "true", "needs: [doomed]"),
			bashTask("skipper", "exit 99"),
			bashTask("after_skipper", "true", "needs: [skipper]"),
			bashTask("slow", "sleep 30", "execution_timeout: 0.3"),
		),
	}), "1.1.0")
	r := e.trigger(t, "flow")
	if got := e.waitRun(t, r); got.State != dagdeck.RunFailed {
		t.Fatalf("run state = %s", got.State)
	}
	states := func(task string) []string {
		var out []string
		for _, ti := range e.tries(t, r, task) {
			out = append(out, ti.State)
		}
		return out
	}
	for task, want := range map[string]string{
		"flaky":         "failed success",
		"after_flaky":   "success",
		"doomed":        "failed failed",
		"after_doomed":  "upstream_failed",
		"skipper":       "skipped",
		"after_skipper": "skipped",
		"slow":          "failed",
	} {
		if got := strings.Join(states(task), " "); got != want {
			t.Errorf("%s: tries %q, want %q", task, got, want)
		}
	}
	flaky := e.tries(t, r, "flaky")
	if *flaky[0].ExitCode != 3 || flaky[0].MaxTries != 3 || flaky[1].TryNumber != 2 {
		t.Fatalf("flaky tries = %+v %+v", flaky[0], flaky[1])
	}
	if log := e.log(t, flaky[0]); !strings.Contains(log, "first") || !strings.Contains(log, "exit code 3") {
		t.Fatalf("flaky try 1 log:\n%s", log)
	}
	slow := e.tries(t, r, "slow")[0]
	if log := e.log(t, slow); !strings.Contains(log, "timed out") {
		t.Fatalf("slow log:\n%s", log)
	}
}

func TestRuntime_TaskNotes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy(t, project("1.0.0", map[string]string{"dags/a.yaml": dag("a", bashTask("t", "true"))}), "1.0.0")
	r := e.trigger(t, "a")
	ti := e.waitTry(t, r, "t", 1, dagdeck.TaskSuccess)
	_, err := e.svc.SetTaskNote(deployer, e.dep.ID, ti.ID, "hello")
	if dagdeck.ErrorCode(err) != dagdeck.ENOTIMPLEMENTED || !strings.Contains(dagdeck.ErrorMessage(err), "1.1.0") {
		t.Fatalf("note on 1.0.0: %v", err)
	}
	e.deploy(t, project("1.1.0", map[string]string{"dags/a.yaml": dag("a", bashTask("t", "true"))}), "1.1.0")
	got, err := e.svc.SetTaskNote(deployer, e.dep.ID, ti.ID, "hello")
	if err != nil || got.Note != "hello" {
		t.Fatalf("note on 1.1.0: %+v, %v", got, err)
	}
	if _, err := e.svc.SetTaskNote(viewer, e.dep.ID, ti.ID, "x"); dagdeck.ErrorCode(err) != dagdeck.EFORBIDDEN {
		t.Fatalf("viewer note: %v", err)
	}
	tis, err := e.svc.ListTaskInstances(viewer, e.dep.ID, dagdeck.TaskQuery{RunID: r.RunID})
	if err != nil || len(tis) != 1 || tis[0].Note != "hello" {
		t.Fatalf("list by run id: %+v, %v", tis, err)
	}
}
