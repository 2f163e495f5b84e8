package postgres

import (
	"errors"
	"strconv"
	"time"

	"github.com/dagdeck/dagdeck/internal/sqldb"
	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is how the shared store code speaks to PostgreSQL. Times are
// timestamptz, string lists jsonb.
var dialect = sqldb.Dialect{
	Name:        "postgres",
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	// UTC, truncated to microseconds (timestamptz precision; truncated, not
	// rounded, like the sqlite store).
	EncodeTime: func(t time.Time) any { return t.UTC().Truncate(time.Microsecond) },
	Violation:  violation,
	Queries:    queries,
	AuditLock:  `SELECT pg_advisory_xact_lock($1)`,
	SkipLocked: ` FOR UPDATE SKIP LOCKED`,
}

// PostgreSQL error codes the adapter translates.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// violation classifies PostgreSQL's SQLSTATE codes.
func violation(err error) sqldb.Violation {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return sqldb.NoViolation
	}
	switch pgErr.Code {
	case pgUniqueViolation:
		return sqldb.UniqueViolation
	case pgForeignKeyViolation:
		return sqldb.ForeignKeyViolation
	}
	return sqldb.NoViolation
}

// queries are the statements of the shared Tx, with PostgreSQL's placeholders.
var queries = sqldb.Queries{
	InsertDeployment: `INSERT INTO deployments (` + sqldb.DeploymentColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
	FindDeployment:       `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments WHERE id = $1`,
	FindDeploymentByName: `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments WHERE name = $1`,
	ListDeployments:      `SELECT ` + sqldb.DeploymentColumns + ` FROM deployments ORDER BY name`,
	UpdateDeployment: `UPDATE deployments SET name = $1, description = $2, executor = $3,
		scheduler_size = $4, worker_queues = $5, worker_concurrency = $6, is_dag_deploy_enabled = $7,
		current_deploy_id = $8, runtime_version = $9, image_tag = $10, dag_bundle_version = $11,
		created_at = $12, updated_at = $13
		WHERE id = $14`,
	InsertEnv: `INSERT INTO deployment_env
		(deployment_id, key, position, value, is_secret, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
	ListEnv:         `SELECT key, value, is_secret, updated_at FROM deployment_env WHERE deployment_id = $1 ORDER BY position`,
	DeleteEnv:       `DELETE FROM deployment_env WHERE deployment_id = $1`,
	InsertEnvChange: `INSERT INTO env_changes (deployment_id, key, changed_at) VALUES ($1, $2, $3)`,
	EnvKeysChangedSince: `SELECT DISTINCT key FROM env_changes
		WHERE deployment_id = $1 AND changed_at > $2 ORDER BY key`,

	NextDeploySequence: `UPDATE deployments SET last_deploy_sequence = last_deploy_sequence + 1
		WHERE id = $1 RETURNING last_deploy_sequence`,
	InsertDeploy: `INSERT INTO deploys (` + sqldb.DeployColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`,
	FindDeploy: `SELECT ` + sqldb.DeployColumns + ` FROM deploys WHERE id = $1`,
	UpdateDeploy: `UPDATE deploys SET status = $1, finalized_at = $2, failure_reason = $3,
		description = $4, image_repository = $5, image_tag = $6, image_digest = $7, image_registry_digest = $8,
		runtime_version = $9, dag_bundle_version = $10, dag_bundle_digest = $11, is_dag_deploy_enabled = $12,
		artifacts_pruned = $13, lease_expires_at = $14
		WHERE id = $15`,
	ImageTagTaken: `SELECT EXISTS (SELECT 1 FROM deploys
		WHERE deployment_id = $1 AND image_tag = $2 AND rollback_from_id = '')`,
	RetainedDeploys: `SELECT ` + sqldb.DeployColumns + ` FROM deploys
		WHERE (status = $1 AND created_at >= $2)
		OR status = $3
		OR id IN (SELECT current_deploy_id FROM deployments)
		OR id IN (SELECT deploy_id FROM task_instances WHERE state IN ($4, $5, $6))
		ORDER BY created_at, id`,

	InsertToken:           `INSERT INTO tokens (` + sqldb.TokenColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`,
	FindTokenByHash:       `SELECT ` + sqldb.TokenColumns + ` FROM tokens WHERE hash = $1`,
	ListTokens:            `SELECT ` + sqldb.TokenColumns + ` FROM tokens ORDER BY created_at, id`,
	DeleteToken:           `DELETE FROM tokens WHERE id = $1`,
	TouchToken:            `UPDATE tokens SET last_used_at = $1 WHERE id = $2`,
	InsertUser:            `INSERT INTO users (` + sqldb.UserColumns + `) VALUES ($1, $2, $3, $4, $5)`,
	FindUserByName:        `SELECT ` + sqldb.UserColumns + ` FROM users WHERE name = $1`,
	ListUsers:             `SELECT ` + sqldb.UserColumns + ` FROM users ORDER BY name`,
	DeleteUser:            `DELETE FROM users WHERE id = $1`,
	DeleteActorSessions:   `DELETE FROM sessions WHERE actor_kind = $1 AND actor_id = $2`,
	InsertSession:         `INSERT INTO sessions (` + sqldb.SessionColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	FindSession:           `SELECT ` + sqldb.SessionColumns + ` FROM sessions WHERE hash = $1`,
	DeleteSession:         `DELETE FROM sessions WHERE hash = $1`,
	DeleteExpiredSessions: `DELETE FROM sessions WHERE expires_at < $1`,

	DeleteDags:         `DELETE FROM dags WHERE deployment_id = $1`,
	DeleteImportErrors: `DELETE FROM import_errors WHERE deployment_id = $1`,
	InsertDag: `INSERT INTO dags
		(deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
	ListDags: `SELECT deployment_id, dag_id, file, schedule, description, tags, deploy_id, next_run_at
		FROM dags WHERE deployment_id = $1 ORDER BY dag_id`,
	InsertImportError: `INSERT INTO import_errors (deployment_id, position, file, message, deploy_id)
		VALUES ($1, $2, $3, $4, $5)`,
	ListImportErrors: `SELECT deployment_id, file, message, deploy_id
		FROM import_errors WHERE deployment_id = $1 ORDER BY file, position`,
	InsertDagRun: `INSERT INTO dag_runs (` + sqldb.DagRunColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
	FindDagRun:   `SELECT ` + sqldb.DagRunColumns + ` FROM dag_runs WHERE id = $1`,
	UpdateDagRun: `UPDATE dag_runs SET state = $1, started_at = $2, ended_at = $3 WHERE id = $4`,
	InsertTaskInstance: `INSERT INTO task_instances (` + sqldb.TaskColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
	FindTaskInstance: `SELECT ` + sqldb.TaskColumns + ` FROM task_instances WHERE id = $1`,
	UpdateTaskInstance: `UPDATE task_instances SET max_tries = $1, state = $2, deploy_id = $3,
		runtime_version = $4, exit_code = $5, retry_at = $6, started_at = $7, ended_at = $8, runner_id = $9, note = $10
		WHERE id = $11`,
	PutTaskLog: `INSERT INTO task_logs (task_instance_id, log) VALUES ($1, $2)
		ON CONFLICT (task_instance_id) DO UPDATE SET log = excluded.log`,
	TaskLog: `SELECT log FROM task_logs WHERE task_instance_id = $1`,
	PutXCom: `INSERT INTO xcom (deployment_id, dag_run_id, task_id, key, value)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (dag_run_id, task_id, key) DO UPDATE SET value = excluded.value`,
	FindXCom:       `SELECT value FROM xcom WHERE dag_run_id = $1 AND task_id = $2 AND key = $3`,
	CountTaskNotes: `SELECT count(*) FROM task_instances WHERE deployment_id = $1 AND note <> ''`,
	EraseTaskNotes: `UPDATE task_instances SET note = '' WHERE deployment_id = $1 AND note <> ''`,
	CountXComs:     `SELECT count(*) FROM xcom WHERE deployment_id = $1`,
	EraseXComs:     `DELETE FROM xcom WHERE deployment_id = $1`,
}
