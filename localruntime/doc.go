// Package localruntime is dagdeck's embedded local runtime: it runs the
// DAGs of Deployments (the Airflow 3.4 YAML Dag format, BashOperator tasks,
// package dagfile) as local processes, and applies deploys and rollbacks to
// them as DESIGN §3 and §5 say. It implements dagdeck.Runtime.
//
// The same code runs inside `dagdeck server` (every Deployment; the
// Backend calls the service directly) and as `dagdeck runtime` (one
// Deployment; the Backend is the server's runtime API). A Kubernetes target
// would be another package implementing dagdeck.Runtime.
//
// # Workers
//
// Each Deployment has a worker: one goroutine owning its state. Every
// PollInterval, and at once after a request or a task's end, it reads the
// Deployment's active runs and the tries of the running ones, then the
// Deployment itself (so a retry released by a rollback is only seen
// together with the rollback); activates a new current deploy; creates
// the runs schedules make due; starts the tasks whose upstream tasks
// succeeded and the retries that are due. The store is the source of
// truth, so a runtime restarted, or running in another process, picks up
// where the last one left.
//
// # Versions
//
// Each code state (image and DAG bundle) is materialized once into
// <code-dir>/<deployment-id>/versions/<key> (the code directory is
// <data-dir>/runtime unless tasks run as a task user), where key is a
// digest of the code: a rollback to a recent deploy reuses its directory.
// Its files are hard links into the Deployment's pool,
// <code-dir>/<deployment-id>/pool (bundle.Pool): one read-only file per
// content, copied from the artifacts and verified once, so building a
// version costs a link per file plus the files the pool lacks, and a
// version is laid out while the control plane commits its deploy
// (Prepare). A directory is built aside and renamed into place, and a
// removal renames it to versions/.trash-<key> first (the trash is swept
// at start), so a directory under its key is always complete. Its
// metadata is stamped (in the data directory): a directory that changed
// since it was built is rebuilt before it is used again, and a pool file
// that changed is copied afresh. What a version's Dags loaded to is kept
// while its directory stays, so activating it again reads no file.
//
// A directory is built beside the worker, which goes on meanwhile. When
// every Dag file of the version was parsed before (the parse cache keys
// them by content: a rollback, even to a deploy whose directory was
// removed), the activation switches at once, with its DAGs, and the
// directory follows: no try starts until it is there (like Airflow 3's
// versioned bundles, which a worker lays out when a task needs them). A
// build that fails then makes the deploy broken: the runtime reports it as
// the import error dagdeck.CodeImportFile, which fails the deploy's
// activation, and tries again later, waiting for the build this time.
// Otherwise (new Dag files, or symlinks under dags/, which LoadDir reads
// through) the activation waits for the build, which parses the Dag files
// as it copies them. Likewise the stamp check of a directory kept on disk
// runs beside the switch to a version whose DAGs are loaded (a rollback to
// it): tries wait for the check, and for the rebuild if it failed. A
// rollback then costs what its DAG list costs, whatever the number of
// files.
//
// # Task user
//
// With Config.TaskUser (the runtime runs as root), tasks run as that user
// with a group per Deployment, the only one that can read the Deployment's
// code, owned by root and read-only; the data directory (database,
// artifacts, logs) stays private to root. docs/security.md describes the
// model and its limits.
//
// The current version is the worker's pointer, switched once the
// version's DAGs are known (see above: tries wait for its directory);
// a directory's modification time is set when it becomes current and ready.
// A try runs in the directory of the code that was current when it started
// and keeps it until it ends: a deploy, or a rollback that keeps or raises
// the runtime, never disturbs running tasks, and the tasks that start after
// it (downstream tasks of runs in flight included) run the new code.
// Directories are removed when neither current, nor used by a running try,
// nor among the KeepVersions most recently activated (by modification
// time, so also after a restart).
//
// # Tries
//
// A task instance is one try: TryNumber 1..MaxTries (retries + 1), with
// the deploy id and runtime version of the code it ran. A try is a process
// group: `bash -c <bash_command>` in the version directory (plus cwd), with
// the base environment and the Deployment's env vars as they are when the
// try starts (or only the task's env, unless append_env), and context
// variables: DAGDECK_DEPLOYMENT_ID, DAGDECK_DAG_ID, DAGDECK_RUN_ID,
// DAGDECK_TASK_ID, DAGDECK_TRY_NUMBER, DAGDECK_LOGICAL_DATE,
// DAGDECK_DEPLOY_ID, DAGDECK_RUNTIME_VERSION and Airflow's AIRFLOW_CTX_DAG_ID,
// AIRFLOW_CTX_TASK_ID, AIRFLOW_CTX_DAG_RUN_ID, AIRFLOW_CTX_TRY_NUMBER,
// AIRFLOW_CTX_LOGICAL_DATE. Exit 0 is success, a skip_on_exit_code code is
// skipped, anything else (or execution_timeout) fails the try; a failed try
// with retries left is up_for_retry until retry_delay has passed, then the
// next try starts and the failed one is marked failed. Upstream failures
// and skips follow Airflow's all_success rule. Its output goes to a log
// file stored (its last MaxStoredLog bytes) every second and at the end,
// with secret env values of MinMaskedSecret characters or more replaced by
// ***. On runtime 2.0.0 and later a successful try's last stdout line is
// its XCom return_value.
//
// # Downgrades
//
// PrepareDowngrade, called before a rollback that lowers the runtime is
// committed, stops every running try at once (SIGTERM, then SIGKILL after
// KillGrace), records it failed — up_for_retry with no retry time (held)
// when retries remain — and starts nothing until Activate. Activate, called
// once the rollback is current (or, if it failed, with the deploy that
// stayed current), releases the held retries: they run the current code,
// the rolled-back code on the older runtime after a rollback. A held try
// whose task the current code lacks is not retried: it fails, its log
// names the deploy, and a run whose DAG is gone ends (failed) once none of
// its tries is left. A hold no Activate follows is lifted after a minute.
//
// A runtime in another process learns of a downgrade from the store
// instead: service.ExternalRuntime fails the tries, and the worker stops
// the processes of tries no longer running there. When it activates a new
// current deploy, it releases the held retries whose try ended before that
// deploy became current (the rollback), never on an older deploy it had
// yet to catch up with; ExternalRuntime releases them only if the rollback
// failed. Any try still running on a newer runtime than the current one is
// stopped and retried.
//
// # Orphans
//
// A worker starting up ends the tries a dead runtime left running: it kills
// what is left of their process groups and marks them failed, or up for
// retry now when retries remain, storing what their log files hold. A pid
// file under <deployment-id>/pids records each try's group and its
// leader's start time; the group is killed if the leader is that process
// still, or, when the leader is gone (a shell killed by SIGPIPE once the
// runtime reading its output died), if /proc shows a process of the group
// started no earlier. A runtime that shuts down cleanly stops its own
// tries and records them before it exits.
//
// Two runtimes must not run the same Deployment: start `dagdeck server`
// with --runtime=none when `dagdeck runtime` runs its Deployments.
package localruntime
