package sqlite

import (
	"errors"
	"time"

	"github.com/dagdeck/dagdeck/internal/sqldb"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// dialect is how the shared store code speaks to SQLite. Times are text in
// sqldb.TimeLayout, booleans integers, string lists JSON text.
var dialect = sqldb.Dialect{
	Name:        "sqlite",
	Placeholder: func(int) string { return "?" },
	EncodeTime:  func(t time.Time) any { return t.UTC().Format(sqldb.TimeLayout) },
	Violation:   violation,
	Queries:     queries,
}

// violation classifies SQLite's extended constraint error codes.
func violation(err error) sqldb.Violation {
	var serr *sqlite3.Error
	if !errors.As(err, &serr) {
		return sqldb.NoViolation
	}
	switch serr.Code() {
	case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqldb.UniqueViolation
	case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqldb.ForeignKeyViolation
	}
	return sqldb.NoViolation
}

// queries are the statements of the shared Tx, with SQLite's placeholders.
var queries = sqldb.Queries{
	InsertDeployment: `INSERT INTO deployments (` + sqldb.DeploymentColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDeployment:       `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments WHERE id = ?`,
	FindDeploymentByName: `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments WHERE name = ?`,
	ListDeployments:      `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments ORDER BY name`,
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
	InsertDeploy: `INSERT INTO deploys (` + sqldb.DeployColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDeploy: `SELECT ` + sqldb.DeployColumns + ` FROM deploys WHERE id = ?`,
	UpdateDeploy: `UPDATE deploys SET status = ?, finalized_at = ?, failure_reason = ?,
		description = ?, image_repository = ?, image_tag = ?, image_digest = ?, image_registry_digest = ?, runtime_version = ?,
		dag_bundle_version = ?, dag_bundle_digest = ?, is_dag_deploy_enabled = ?, artifacts_pruned = ?,
		lease_expires_at = ?
		WHERE id = ?`,
	ImageTagTaken: `SELECT EXISTS (SELECT 1 FROM deploys
		WHERE deployment_id = ? AND image_tag = ? AND rollback_from_id = '')`,
	RetainedDeploys: `SELECT ` + sqldb.DeployColumns + ` FROM deploys
		WHERE (status = ? AND created_at >= ?)
		OR status = ?
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN (?, ?, ?))
		ORDER BY created_at, id`,

	InsertToken:           `INSERT INTO tokens (` + sqldb.TokenColumns + `) VALUES (?, ?, ?, ?, ?, ?)`,
	FindTokenByHash:       `SELECT ` + sqldb.TokenColumns + ` FROM tokens WHERE hash = ?`,
	ListTokens:            `SELECT ` + sqldb.TokenColumns + ` FROM tokens ORDER BY created_at, id`,
	DeleteToken:           `DELETE FROM tokens WHERE id = ?`,
	TouchToken:            `UPDATE tokens SET last_used_at = ? WHERE id = ?`,
	InsertUser:            `INSERT INTO users (` + sqldb.UserColumns + `) VALUES (?, ?, ?, ?, ?)`,
	FindUserByName:        `SELECT ` + sqldb.UserColumns + ` FROM users WHERE name = ?`,
	ListUsers:             `SELECT ` + sqldb.UserColumns + ` FROM users ORDER BY name`,
	DeleteUser:            `DELETE FROM users WHERE id = ?`,
	DeleteActorSessions:   `DELETE FROM sessions WHERE actor_kind = ? AND actor_id = ?`,
	InsertSession:         `INSERT INTO sessions (` + sqldb.SessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	FindSession:           `SELECT ` + sqldb.SessionColumns + ` FROM sessions WHERE hash = ?`,
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
	InsertDagRun: `INSERT INTO dag_runs (` + sqldb.DagRunColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindDagRun:   `SELECT ` + sqldb.DagRunColumns + ` FROM dag_runs WHERE id = ?`,
	UpdateDagRun: `UPDATE dag_runs SET state = ?, started_at = ?, ended_at = ? WHERE id = ?`,
	InsertTaskInstance: `INSERT INTO task_instances (` + sqldb.TaskColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	FindTaskInstance: `SELECT ` + sqldb.TaskColumns + ` FROM task_instances WHERE id = ?`,
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
