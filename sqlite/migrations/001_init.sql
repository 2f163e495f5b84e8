-- 001_init: the whole metadata schema of dagdeck.
--
-- Times are TEXT in UTC with microseconds ("2006-01-02T15:04:05.000000Z"),
-- which sorts like the time itself. Booleans are INTEGER 0/1. String lists
-- are JSON arrays. Rows that belong to a Deployment go when it is deleted.

CREATE TABLE deployments (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    description           TEXT NOT NULL,
    executor              TEXT NOT NULL,
    scheduler_size        TEXT NOT NULL,
    worker_queues         TEXT NOT NULL, -- JSON array, or null
    worker_concurrency    INTEGER NOT NULL,
    is_dag_deploy_enabled INTEGER NOT NULL,
    current_deploy_id     TEXT NOT NULL,
    runtime_version       TEXT NOT NULL,
    image_tag             TEXT NOT NULL,
    dag_bundle_version    TEXT NOT NULL,
    -- last_deploy_sequence is the sequence of the newest deploy; CreateDeploy
    -- increments it, which also serializes concurrent deploy inserts.
    last_deploy_sequence  INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE TABLE deployment_env (
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    is_secret     INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (deployment_id, key)
) STRICT;

CREATE TABLE env_changes (
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    changed_at    TEXT NOT NULL
) STRICT;
CREATE INDEX env_changes_deployment_changed_at ON env_changes (deployment_id, changed_at);

CREATE TABLE deploys (
    id                    TEXT PRIMARY KEY,
    deployment_id         TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    sequence              INTEGER NOT NULL,
    type                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    description           TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    created_by_id         TEXT NOT NULL,
    created_by_kind       TEXT NOT NULL,
    created_by_name       TEXT NOT NULL,
    created_by_role       TEXT NOT NULL,
    finalized_at          TEXT,
    failure_reason        TEXT NOT NULL,
    image_repository      TEXT NOT NULL,
    image_tag             TEXT NOT NULL,
    image_digest          TEXT NOT NULL,
    runtime_version       TEXT NOT NULL,
    dag_bundle_version    TEXT NOT NULL,
    dag_bundle_digest     TEXT NOT NULL,
    is_dag_deploy_enabled INTEGER NOT NULL,
    rollback_from_id      TEXT NOT NULL,
    git_commit_sha        TEXT, -- the three git columns are NULL without git metadata
    git_branch            TEXT,
    git_remote_url        TEXT,
    artifacts_pruned      INTEGER NOT NULL,
    UNIQUE (deployment_id, sequence)
) STRICT;
-- (deployment_id, sequence) serves the history page; these serve the rest.
CREATE INDEX deploys_deployment_status_sequence ON deploys (deployment_id, status, sequence);
CREATE INDEX deploys_deployment_image_tag ON deploys (deployment_id, image_tag);
CREATE INDEX deploys_created_at ON deploys (created_at, id);
CREATE INDEX deploys_status_created_at ON deploys (status, created_at);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
) STRICT;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    hash       TEXT PRIMARY KEY,
    actor_id   TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_actor ON sessions (actor_kind, actor_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE dags (
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_id        TEXT NOT NULL,
    file          TEXT NOT NULL,
    schedule      TEXT NOT NULL,
    description   TEXT NOT NULL,
    tags          TEXT NOT NULL, -- JSON array, or null
    deploy_id     TEXT NOT NULL,
    next_run_at   TEXT,
    PRIMARY KEY (deployment_id, dag_id)
) STRICT;

CREATE TABLE import_errors (
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    file          TEXT NOT NULL,
    message       TEXT NOT NULL,
    deploy_id     TEXT NOT NULL,
    PRIMARY KEY (deployment_id, position)
) STRICT;

CREATE TABLE dag_runs (
    id            TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_id        TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    logical_date  TEXT NOT NULL,
    run_type      TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    ended_at      TEXT,
    conf          TEXT NOT NULL,
    UNIQUE (deployment_id, dag_id, run_id)
) STRICT;
CREATE INDEX dag_runs_deployment_dag_logical_date ON dag_runs (deployment_id, dag_id, logical_date);
CREATE INDEX dag_runs_deployment_logical_date ON dag_runs (deployment_id, logical_date);

CREATE TABLE task_instances (
    pos             INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: "newest first"
    id              TEXT NOT NULL UNIQUE,
    deployment_id   TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_run_id      TEXT NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    dag_id          TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    task_id         TEXT NOT NULL,
    try_number      INTEGER NOT NULL,
    max_tries       INTEGER NOT NULL,
    state           TEXT NOT NULL,
    deploy_id       TEXT NOT NULL,
    runtime_version TEXT NOT NULL,
    exit_code       INTEGER,
    retry_at        TEXT,
    started_at      TEXT,
    ended_at        TEXT,
    runner_id       TEXT NOT NULL,
    note            TEXT NOT NULL,
    UNIQUE (dag_run_id, task_id, try_number)
) STRICT;
CREATE INDEX task_instances_deployment_state ON task_instances (deployment_id, state);
CREATE INDEX task_instances_state_deploy ON task_instances (state, deploy_id);

CREATE TABLE task_logs (
    task_instance_id TEXT PRIMARY KEY REFERENCES task_instances (id) ON DELETE CASCADE,
    log              BLOB NOT NULL
) STRICT;

CREATE TABLE xcom (
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_run_id    TEXT NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (dag_run_id, task_id, key)
) STRICT;
CREATE INDEX xcom_deployment ON xcom (deployment_id);
