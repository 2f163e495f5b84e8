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
	UpdateDeploy       string // SET status, finalized_at, failure_reason, description, image_repository, image_tag, image_digest, image_registry_digest, runtime_version, dag_bundle_version, dag_bundle_digest, is_dag_deploy_enabled, artifacts_pruned, bundle_commit, bundle_commit_message, lease_expires_at; id
	ImageTagTaken      string // deployment_id, image_tag → whether a non-rollback deploy has it
	RetainedDeploys    string // DEPLOYED, created_at (at or after), INITIALIZED, three task states → DeployColumns, oldest first

	// Git blob ids.
	PutGitBlobID string // digest, sha1: insert unless the digest is recorded

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

// Statements are the statements of the shared Tx, written once with "?"
// placeholders; a dialect whose placeholders differ uses
// Dialect.RebindQueries. A statement whose SQL really differs between
// backends would be set by that backend alone.
var Statements = Queries{
	InsertDeployment: `INSERT INTO deployments (` + DeploymentColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDeployment:       `SELECT ` + DeploymentColumns + ` FROM deployments WHERE id = ?`,
	FindDeploymentByName: `SELECT ` + DeploymentColumns + ` FROM deployments WHERE name = ?`,
	ListDeployments:      `SELECT ` + DeploymentColumns + ` FROM deployments ORDER BY name`,
	UpdateDeployment: `UPDATE deployments SET name = ?, description = ?, executor = ?,
		scheduler_size = ?, worker_queues = ?, worker_concurrency = ?, is_dag_deploy_enabled = ?,
		current_deploy_id = ?, runtime_version = ?, image_tag = ?, dag_bundle_version = ?,
		created_at = ?, updated_at = ?
		WHERE id = ?`,
	InsertEnv: `INSERT INTO deployment_env
		(deployment_id, key, position, value, is_secret, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
	ListEnv:         `SELECT key, value, is_secret, updated_at FROM deployment_env WHERE deployment_id = ? ORDER BY position`,
	DeleteEnv:       `DELETE FROM deployment_env WHERE deployment_id = ?`,
	InsertEnvChange: `INSERT INTO env_changes (deployment_id, key, changed_at) VALUES (?, ?, ?)`,
	EnvKeysChangedSince: `SELECT DISTINCT key FROM env_changes
		WHERE deployment_id = ? AND changed_at > ? ORDER BY key`,

	NextDeploySequence: `UPDATE deployments SET last_deploy_sequence = last_deploy_sequence + 1
		WHERE id = ? RETURNING last_deploy_sequence`,
	InsertDeploy: `INSERT INTO deploys (` + DeployColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDeploy: `SELECT ` + DeployColumns + ` FROM deploys WHERE id = ?`,
	UpdateDeploy: `UPDATE deploys SET status = ?, finalized_at = ?, failure_reason = ?,
		description = ?, image_repository = ?, image_tag = ?, image_digest = ?, image_registry_digest = ?, runtime_version = ?,
		dag_bundle_version = ?, dag_bundle_digest = ?, is_dag_deploy_enabled = ?, artifacts_pruned = ?,
		bundle_commit = ?, bundle_commit_message = ?,
		lease_expires_at = ?
		WHERE id = ?`,
	ImageTagTaken: `SELECT EXISTS (SELECT 1 FROM deploys
		WHERE deployment_id = ? AND image_tag = ? AND rollback_from_id = '')`,
	RetainedDeploys: `SELECT ` + DeployColumns + ` FROM deploys
		WHERE (status = ? AND created_at >= ?)
		OR status = ?
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN (?, ?, ?))
		ORDER BY created_at, id`,

	PutGitBlobID: `INSERT INTO git_blobs (digest, sha1) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`,

	InsertToken:           `INSERT INTO tokens (` + TokenColumns + `) VALUES (?, ?, ?, ?, ?, ?)`,
	FindTokenByHash:       `SELECT ` + TokenColumns + ` FROM tokens WHERE hash = ?`,
	ListTokens:            `SELECT ` + TokenColumns + ` FROM tokens ORDER BY created_at, id`,
	DeleteToken:           `DELETE FROM tokens WHERE id = ?`,
	TouchToken:            `UPDATE tokens SET last_used_at = ? WHERE id = ?`,
	InsertUser:            `INSERT INTO users (` + UserColumns + `) VALUES (?, ?, ?, ?, ?)`,
	FindUserByName:        `SELECT ` + UserColumns + ` FROM users WHERE name = ?`,
	ListUsers:             `SELECT ` + UserColumns + ` FROM users ORDER BY name`,
	DeleteUser:            `DELETE FROM users WHERE id = ?`,
	DeleteActorSessions:   `DELETE FROM sessions WHERE actor_kind = ? AND actor_id = ?`,
	InsertSession:         `INSERT INTO sessions (` + SessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	FindSession:           `SELECT ` + SessionColumns + ` FROM sessions WHERE hash = ?`,
	DeleteSession:         `DELETE FROM sessions WHERE hash = ?`,
	DeleteExpiredSessions: `DELETE FROM sessions WHERE expires_at < ?`,

	DeleteDags:         `DELETE FROM dags WHERE deployment_id = ?`,
	DeleteImportErrors: `DELETE FROM import_errors WHERE deployment_id = ?`,
	InsertDag: `INSERT INTO dags
		(deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	ListDags: `SELECT deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at
		FROM dags WHERE deployment_id = ? ORDER BY dag_id`,
	InsertImportError: `INSERT INTO import_errors (deployment_id, position, file, message, deploy_id)
		VALUES (?, ?, ?, ?, ?)`,
	ListImportErrors: `SELECT deployment_id, file, message, deploy_id
		FROM import_errors WHERE deployment_id = ? ORDER BY file, position`,
	InsertDagRun: `INSERT INTO dag_runs (` + DagRunColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDagRun:   `SELECT ` + DagRunColumns + ` FROM dag_runs WHERE id = ?`,
	UpdateDagRun: `UPDATE dag_runs SET state = ?, started_at = ?, ended_at = ? WHERE id = ?`,
	InsertTaskInstance: `INSERT INTO task_instances (` + TaskColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindTaskInstance: `SELECT ` + TaskColumns + ` FROM task_instances WHERE id = ?`,
	UpdateTaskInstance: `UPDATE task_instances SET max_tries = ?, state = ?, deploy_id = ?,
		runtime_version = ?, exit_code = ?, retry_at = ?, started_at = ?, ended_at = ?, runner_id = ?, note = ?
		WHERE id = ?`,
	PutTaskLog: `INSERT INTO task_logs (task_instance_id, log) VALUES (?, ?)
		ON CONFLICT (task_instance_id) DO UPDATE SET log = excluded.log`,
	TaskLog: `SELECT log FROM task_logs WHERE task_instance_id = ?`,
	PutXCom: `INSERT INTO xcom (deployment_id, dag_run_id, task_id, key, value)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (dag_run_id, task_id, key) DO UPDATE SET value = excluded.value`,
	FindXCom:       `SELECT value FROM xcom WHERE dag_run_id = ? AND task_id = ? AND key = ?`,
	CountTaskNotes: `SELECT count(*) FROM task_instances WHERE deployment_id = ? AND note <> ''`,
	EraseTaskNotes: `UPDATE task_instances SET note = '' WHERE deployment_id = ? AND note <> ''`,
	CountXComs:     `SELECT count(*) FROM xcom WHERE deployment_id = ?`,
	EraseXComs:     `DELETE FROM xcom WHERE deployment_id = ?`,
}
