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
	NextDeploySequence      string // deployments.id → its incremented last_deploy_sequence
	InsertDeploy            string // INSERT INTO deploys (DeployColumns)
	FindDeploy              string // SELECT DeployColumns by id
	UpdateDeploy            string // SET status, finalized_at, failure_reason, description, image_repository, image_tag, image_digest, image_registry_digest, runtime_version, dag_bundle_version, dag_bundle_digest, is_dag_deploy_enabled, artifacts_pruned, bundle_commit, bundle_commit_message, lease_expires_at; id
	ImageTagTaken           string // deployment_id, image_tag → whether a non-rollback deploy has it
	PruneCandidateManifests string // deployment_id, status, created_at (before), artifacts_pruned → distinct (image, DAG bundle) digests
	ListPruneCandidates     string // deployment_id, status, sequence (below), created_at (before), artifacts_pruned, limit → id, sequence, digests
	SetArtifactsPruned      string // artifacts_pruned (new), id, artifacts_pruned (old)
	RetainedManifests       string // DEPLOYED, created_at (at or after), INITIALIZED, three task states → distinct (image, DAG bundle) digests

	// Git blob ids.
	PutGitBlobID string // digest, sha1: insert unless the digest is recorded

	// Tokens, users and sessions.
	InsertToken           string // INSERT INTO tokens (TokenColumns)
	FindTokenByHash       string // SELECT TokenColumns by hash
	ListTokens            string // SELECT TokenColumns, ordered by created_at, id
	DeleteToken           string // id
	TouchToken            string // SET last_used_at; id
	InsertTokenScope      string // token_id, deployment_id
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
	DeleteDag          string // deployment_id, dag_id
	UpdateDag          string // file, schedule, description, tags, deploy_id, next_run_at, deployment_id, dag_id
	SetDagsDeploy      string // deploy_id, deployment_id, deploy_id
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
	CountTaskInstances string // → deployment_id, state, how many task instances, ordered by both

	// Audit log.
	AuditHead   string // → seq, hash of the newest entry
	InsertAudit string // INSERT INTO audit_log (auditColumns)
	AuditAfter  string // seq (after), limit → auditColumns, ordered by seq

	// Webhooks, their outbox and deliveries.
	InsertWebhook        string // INSERT INTO webhooks (webhookColumns)
	FindWebhook          string // SELECT webhookColumns by id
	ListWebhooks         string // SELECT webhookColumns, ordered by created_at, id
	UpdateWebhookSecrets string // SET secret, previous_secret, previous_secret_until; id
	DeleteWebhook        string // id
	InsertOutbox         string // INSERT INTO webhook_outbox (outboxColumns)
	ClaimOutbox          string // next_attempt_at (at or before), limit → outboxColumns of the messages due, first due first
	UpdateOutbox         string // SET attempts, next_attempt_at, delivered_at, gave_up_at; id
	OutboxBacklog        string // → how many messages are neither delivered nor given up
	InsertDelivery       string // INSERT INTO webhook_deliveries (deliveryColumns)
	ListDeliveries       string // webhook_id, limit → deliveryColumns, newest first

	// Deploy marks, automatic rollbacks, activations and rollback turns.
	DeleteMark               string // deploy_id, kind
	InsertMark               string // INSERT INTO deploy_marks (markColumns)
	FindAutoRollbackPolicy   string // deployment_id → policyColumns
	DeleteAutoRollbackPolicy string // deployment_id
	InsertAutoRollbackPolicy string // deployment_id, policyColumns
	EnabledAutoRollbacks     string // enabled (true) → deployment_id, policyColumns
	DeleteImportErrorFiles   string // deploy_id
	InsertImportErrorFile    string // deploy_id, file
	ImportErrorFiles         string // deploy_id → file, sorted
	CountTries               string // two failed states, four ended states, deploy_id → failed tries, ended tries
	InsertAutoRollbackAction string // deploy_id, deployment_id, at, outcome, reason, rollback_id
	AutoRollbackDecided      string // deploy_id → 1 if a decision is recorded
	DeleteActivation         string // deployment_id
	InsertActivation         string // deployment_id, deploy_id, state, error, at
	FindActivation           string // deployment_id → deploy_id, state, error, at
	PutRollbackTurn          string // deployment_id, until_at: insert or replace
	RollbackTurn             string // deployment_id → until_at
	DeleteRollbackTurn       string // deployment_id

	// Schema migrations (the table each backend's MigrationTable creates).
	RecordMigration string // version, name, applied_at
	ListMigrations  string // → version, name, applied_at
	SchemaVersion   string // → the highest version applied, 0 for none
}

// Statements are the statements of the shared Tx and of the migration
// runner, written once with "?" placeholders; a dialect whose placeholders
// differ rebinds them once with RebindQueries. A statement whose SQL really
// differs between backends is changed by that backend alone, after
// rebinding (PostgreSQL's ClaimOutbox skips locked rows).
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
	PruneCandidateManifests: `SELECT DISTINCT image_digest, dag_bundle_digest FROM deploys
		WHERE deployment_id = ? AND status = ? AND created_at < ? AND artifacts_pruned = ?`,
	ListPruneCandidates: `SELECT id, sequence, image_digest, dag_bundle_digest FROM deploys
		WHERE deployment_id = ? AND status = ? AND sequence < ? AND created_at < ? AND artifacts_pruned = ?
		ORDER BY sequence DESC LIMIT ?`,
	SetArtifactsPruned: `UPDATE deploys SET artifacts_pruned = ? WHERE id = ? AND artifacts_pruned = ?`,
	RetainedManifests: `SELECT DISTINCT image_digest, dag_bundle_digest FROM deploys
		WHERE (status = ? AND created_at >= ?)
		OR status = ?
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN (?, ?, ?))`,

	PutGitBlobID: `INSERT INTO git_blobs (digest, sha1) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`,

	InsertToken:           `INSERT INTO tokens (` + TokenColumns + `) VALUES (?, ?, ?, ?, ?, ?)`,
	FindTokenByHash:       `SELECT ` + TokenColumns + ` FROM tokens WHERE hash = ?`,
	ListTokens:            `SELECT ` + TokenColumns + ` FROM tokens ORDER BY created_at, id`,
	DeleteToken:           `DELETE FROM tokens WHERE id = ?`,
	TouchToken:            `UPDATE tokens SET last_used_at = ? WHERE id = ?`,
	InsertTokenScope:      `INSERT INTO token_scopes (token_id, deployment_id) VALUES (?, ?)`,
	InsertUser:            `INSERT INTO users (` + UserColumns + `) VALUES (?, ?, ?, ?, ?)`,
	FindUserByName:        `SELECT ` + UserColumns + ` FROM users WHERE name = ?`,
	ListUsers:             `SELECT ` + UserColumns + ` FROM users ORDER BY name`,
	DeleteUser:            `DELETE FROM users WHERE id = ?`,
	DeleteActorSessions:   `DELETE FROM sessions WHERE actor_kind = ? AND actor_id = ?`,
	InsertSession:         `INSERT INTO sessions (` + SessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	FindSession:           `SELECT ` + SessionColumns + ` FROM sessions WHERE hash = ?`,
	DeleteSession:         `DELETE FROM sessions WHERE hash = ?`,
	DeleteExpiredSessions: `DELETE FROM sessions WHERE expires_at < ?`,

	DeleteDag: `DELETE FROM dags WHERE deployment_id = ? AND dag_id = ?`,
	UpdateDag: `UPDATE dags SET file = ?, schedule = ?, description = ?, tags = ?, deploy_id = ?, next_run_at = ?
		WHERE deployment_id = ? AND dag_id = ?`,
	SetDagsDeploy:      `UPDATE dags SET deploy_id = ? WHERE deployment_id = ? AND deploy_id <> ?`,
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
	// The (deployment_id, state) index answers it.
	CountTaskInstances: `SELECT deployment_id, state, COUNT(*) FROM task_instances
		GROUP BY deployment_id, state ORDER BY deployment_id, state`,

	AuditHead: `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`,
	InsertAudit: `INSERT INTO audit_log (` + auditColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	AuditAfter: `SELECT ` + auditColumns + ` FROM audit_log
		WHERE seq > ? ORDER BY seq LIMIT ?`,

	InsertWebhook:        `INSERT INTO webhooks (` + webhookColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindWebhook:          `SELECT ` + webhookColumns + ` FROM webhooks WHERE id = ?`,
	ListWebhooks:         `SELECT ` + webhookColumns + ` FROM webhooks ORDER BY created_at, id`,
	UpdateWebhookSecrets: `UPDATE webhooks SET secret = ?, previous_secret = ?, previous_secret_until = ? WHERE id = ?`,
	DeleteWebhook:        `DELETE FROM webhooks WHERE id = ?`,
	InsertOutbox:         `INSERT INTO webhook_outbox (` + outboxColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	ClaimOutbox: `SELECT ` + outboxColumns + ` FROM webhook_outbox
		WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`,
	UpdateOutbox:   `UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ?, delivered_at = ?, gave_up_at = ? WHERE id = ?`,
	OutboxBacklog:  `SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL`,
	InsertDelivery: `INSERT INTO webhook_deliveries (` + deliveryColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	ListDeliveries: `SELECT ` + deliveryColumns + ` FROM webhook_deliveries
		WHERE webhook_id = ? ORDER BY at DESC, id DESC LIMIT ?`,

	DeleteMark:               `DELETE FROM deploy_marks WHERE deploy_id = ? AND kind = ?`,
	InsertMark:               `INSERT INTO deploy_marks (` + markColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindAutoRollbackPolicy:   `SELECT ` + policyColumns + ` FROM auto_rollback_policies WHERE deployment_id = ?`,
	DeleteAutoRollbackPolicy: `DELETE FROM auto_rollback_policies WHERE deployment_id = ?`,
	InsertAutoRollbackPolicy: `INSERT INTO auto_rollback_policies (deployment_id, ` + policyColumns + `) VALUES (?, ?, ?, ?, ?, ?)`,
	EnabledAutoRollbacks:     `SELECT deployment_id, ` + policyColumns + ` FROM auto_rollback_policies WHERE enabled = ?`,
	DeleteImportErrorFiles:   `DELETE FROM deploy_import_errors WHERE deploy_id = ?`,
	InsertImportErrorFile:    `INSERT INTO deploy_import_errors (deploy_id, file) VALUES (?, ?)`,
	ImportErrorFiles:         `SELECT file FROM deploy_import_errors WHERE deploy_id = ? ORDER BY file`,
	CountTries: `SELECT
		count(CASE WHEN state IN (?, ?) THEN 1 END),
		count(CASE WHEN state IN (?, ?, ?, ?) THEN 1 END)
		FROM task_instances WHERE deploy_id = ?`,
	InsertAutoRollbackAction: `INSERT INTO auto_rollback_actions (deploy_id, deployment_id, at, outcome, reason, rollback_id)
		VALUES (?, ?, ?, ?, ?, ?)`,
	AutoRollbackDecided: `SELECT 1 FROM auto_rollback_actions WHERE deploy_id = ?`,
	DeleteActivation:    `DELETE FROM runtime_activations WHERE deployment_id = ?`,
	InsertActivation:    `INSERT INTO runtime_activations (deployment_id, deploy_id, state, error, at) VALUES (?, ?, ?, ?, ?)`,
	FindActivation:      `SELECT deploy_id, state, error, at FROM runtime_activations WHERE deployment_id = ?`,
	PutRollbackTurn: `INSERT INTO rollback_turns (deployment_id, until_at) VALUES (?, ?)
		ON CONFLICT (deployment_id) DO UPDATE SET until_at = excluded.until_at`,
	RollbackTurn:       `SELECT until_at FROM rollback_turns WHERE deployment_id = ?`,
	DeleteRollbackTurn: `DELETE FROM rollback_turns WHERE deployment_id = ?`,

	RecordMigration: `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
	ListMigrations:  `SELECT version, name, applied_at FROM schema_migrations`,
	SchemaVersion:   `SELECT coalesce(max(version), 0) FROM schema_migrations`,
}
