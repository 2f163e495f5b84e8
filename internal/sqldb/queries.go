package sqldb

// Queries are a backend's statements, in its SQL. Each takes the arguments
// its comment lists, in that order; "columns" means the columns of the
// table's …Columns constant, in that order, and a SELECT of columns returns
// them in that order too.
type Queries struct {
	// Deployments.
	InsertDeployment     string // INSERT INTO deployments (DeploymentColumns)
	FindDeployment       string // SELECT DeploymentColumns by id
	FindDeploymentByName string // SELECT DeploymentColumns by name
	ListDeployments      string // SELECT DeploymentColumns, ordered by name
	UpdateDeployment     string // SET DeploymentColumns but id; id
	InsertEnv            string // deployment_id, key, position, value, is_secret, updated_at
	ListEnv              string // deployment_id → key, value, is_secret, updated_at, ordered by position
	DeleteEnv            string // deployment_id
	InsertEnvChange      string // deployment_id, key, changed_at
	EnvKeysChangedSince  string // deployment_id, changed_at (after) → distinct keys, sorted

	// Deploys.
	NextDeploySequence string // deployments.id → its incremented last_deploy_sequence
	InsertDeploy       string // INSERT INTO deploys (DeployColumns)
	FindDeploy         string // SELECT DeployColumns by id
	UpdateDeploy       string // SET status, finalized_at, failure_reason, description, image_repository, image_tag, image_digest, image_registry_digest, runtime_version, dag_bundle_version, dag_bundle_digest, is_dag_deploy_enabled, artifacts_pruned, lease_expires_at; id
	ImageTagTaken      string // deployment_id, image_tag → whether a non-rollback deploy has it
	RetainedDeploys    string // DEPLOYED, created_at (at or after), INITIALIZED, three task states → DeployColumns, oldest first

	// Tokens, users and sessions.
	InsertToken           string // INSERT INTO tokens (TokenColumns)
	FindTokenByHash       string // SELECT TokenColumns by hash
	ListTokens            string // SELECT TokenColumns, ordered by created_at, id
	DeleteToken           string // id
	TouchToken            string // SET last_used_at; id
	InsertUser            string // INSERT INTO users (UserColumns)
	FindUserByName        string // SELECT UserColumns by name
	ListUsers             string // SELECT UserColumns, ordered by name
	DeleteUser            string // id
	DeleteActorSessions   string // actor_kind, actor_id
	InsertSession         string // INSERT INTO sessions (SessionColumns)
	FindSession           string // SELECT SessionColumns by hash
	DeleteSession         string // hash
	DeleteExpiredSessions string // expires_at (before)

	// DAGs, runs, task instances and what belongs to them.
	DeleteDags         string // deployment_id
	DeleteImportErrors string // deployment_id
	InsertDag          string // deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at
	ListDags           string // deployment_id → the same columns, ordered by dag_id
	InsertImportError  string // deployment_id, position, file, message, deploy_id
	ListImportErrors   string // deployment_id → deployment_id, file, message, deploy_id, ordered by file, position
	InsertDagRun       string // INSERT INTO dag_runs (DagRunColumns)
	FindDagRun         string // SELECT DagRunColumns by id
	UpdateDagRun       string // SET state, started_at, ended_at; id
	InsertTaskInstance string // INSERT INTO task_instances (TaskColumns)
	FindTaskInstance   string // SELECT TaskColumns by id
	UpdateTaskInstance string // SET max_tries, state, deploy_id, runtime_version, exit_code, retry_at, started_at, ended_at, runner_id, note; id
	PutTaskLog         string // task_instance_id, log: insert or replace
	TaskLog            string // task_instance_id → log
	PutXCom            string // deployment_id, dag_run_id, task_id, key, value: insert or replace
	FindXCom           string // dag_run_id, task_id, key → value
	CountTaskNotes     string // deployment_id → how many task instances have a note
	EraseTaskNotes     string // deployment_id: empty every note
	CountXComs         string // deployment_id → how many XCom values
	EraseXComs         string // deployment_id: delete every XCom value
}
