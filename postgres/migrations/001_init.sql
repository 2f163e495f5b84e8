-- 001_init: the whole metadata schema of dagdeck.
--
-- Same shapes as the sqlite schema, in PostgreSQL types. String lists are
-- jsonb arrays (or null, so nil and empty lists round-trip). Rows that
-- belong to a Deployment go when it is deleted. Columns that lists are
-- ordered by use the "C" collation, so the order is the same as SQLite's and
-- Go's whatever the database's locale.

CREATE TABLE deployments (
    id                    text PRIMARY KEY,
    name                  text COLLATE "C" NOT NULL UNIQUE,
    description           text NOT NULL,
    executor              text NOT NULL,
    scheduler_size        text NOT NULL,
    worker_queues         jsonb NOT NULL, -- JSON array, or null
    worker_concurrency    integer NOT NULL,
    is_dag_deploy_enabled boolean NOT NULL,
    current_deploy_id     text NOT NULL,
    runtime_version       text NOT NULL,
    image_tag             text NOT NULL,
    dag_bundle_version    text NOT NULL,
    -- last_deploy_sequence is the sequence of the newest deploy; CreateDeploy
    -- increments it, which also serializes concurrent deploy inserts.
    last_deploy_sequence  bigint NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL
);

CREATE TABLE deployment_env (
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    key           text NOT NULL,
    position      integer NOT NULL,
    value         text NOT NULL,
    is_secret     boolean NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, key)
);

CREATE TABLE env_changes (
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    key           text COLLATE "C" NOT NULL,
    changed_at    timestamptz NOT NULL
);
CREATE INDEX env_changes_deployment_changed_at ON env_changes (deployment_id, changed_at);

CREATE TABLE deploys (
    id                    text COLLATE "C" PRIMARY KEY,
    deployment_id         text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    sequence              bigint NOT NULL,
    type                  text NOT NULL,
    status                text NOT NULL,
    description           text NOT NULL,
    created_at            timestamptz NOT NULL,
    created_by_id         text NOT NULL,
    created_by_kind       text NOT NULL,
    created_by_name       text NOT NULL,
    created_by_role       text NOT NULL,
    finalized_at          timestamptz,
    failure_reason        text NOT NULL,
    image_repository      text NOT NULL,
    image_tag             text NOT NULL,
    image_digest          text NOT NULL,
    runtime_version       text NOT NULL,
    dag_bundle_version    text NOT NULL,
    dag_bundle_digest     text NOT NULL,
    is_dag_deploy_enabled boolean NOT NULL,
    rollback_from_id      text NOT NULL,
    git_commit_sha        text, -- the three git columns are NULL without git metadata
    git_branch            text,
    git_remote_url        text,
    artifacts_pruned      boolean NOT NULL,
    UNIQUE (deployment_id, sequence)
);
-- (deployment_id, sequence) serves the history page; these serve the rest.
CREATE INDEX deploys_deployment_status_sequence ON deploys (deployment_id, status, sequence);
CREATE INDEX deploys_deployment_image_tag ON deploys (deployment_id, image_tag);
CREATE INDEX deploys_created_at ON deploys (created_at, id);
CREATE INDEX deploys_status_created_at ON deploys (status, created_at);

CREATE TABLE tokens (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL,
    hash         text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);

CREATE TABLE users (
    id            text PRIMARY KEY,
    name          text COLLATE "C" NOT NULL UNIQUE,
    role          text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE sessions (
    hash       text PRIMARY KEY,
    actor_id   text NOT NULL,
    actor_kind text NOT NULL,
    actor_name text NOT NULL,
    actor_role text NOT NULL,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_actor ON sessions (actor_kind, actor_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE dags (
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_id        text COLLATE "C" NOT NULL,
    file          text NOT NULL,
    schedule      text NOT NULL,
    description   text NOT NULL,
    tags          jsonb NOT NULL, -- JSON array, or null
    deploy_id     text NOT NULL,
    next_run_at   timestamptz,
    PRIMARY KEY (deployment_id, dag_id)
);

CREATE TABLE import_errors (
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    file          text COLLATE "C" NOT NULL,
    message       text NOT NULL,
    deploy_id     text NOT NULL,
    PRIMARY KEY (deployment_id, position)
);

CREATE TABLE dag_runs (
    id            text PRIMARY KEY,
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_id        text NOT NULL,
    run_id        text NOT NULL,
    logical_date  timestamptz NOT NULL,
    run_type      text NOT NULL,
    state         text NOT NULL,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    ended_at      timestamptz,
    conf          text NOT NULL,
    UNIQUE (deployment_id, dag_id, run_id)
);
CREATE INDEX dag_runs_deployment_dag_logical_date ON dag_runs (deployment_id, dag_id, logical_date);
CREATE INDEX dag_runs_deployment_logical_date ON dag_runs (deployment_id, logical_date);

CREATE TABLE task_instances (
    pos             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order: "newest first"
    id              text NOT NULL UNIQUE,
    deployment_id   text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_run_id      text NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    dag_id          text NOT NULL,
    run_id          text NOT NULL,
    task_id         text NOT NULL,
    try_number      integer NOT NULL,
    max_tries       integer NOT NULL,
    state           text NOT NULL,
    deploy_id       text NOT NULL,
    runtime_version text NOT NULL,
    exit_code       integer,
    retry_at        timestamptz,
    started_at      timestamptz,
    ended_at        timestamptz,
    runner_id       text NOT NULL,
    note            text NOT NULL,
    UNIQUE (dag_run_id, task_id, try_number)
);
CREATE INDEX task_instances_deployment_state ON task_instances (deployment_id, state);
CREATE INDEX task_instances_state_deploy ON task_instances (state, deploy_id);

CREATE TABLE task_logs (
    task_instance_id text PRIMARY KEY REFERENCES task_instances (id) ON DELETE CASCADE,
    log              bytea NOT NULL
);

CREATE TABLE xcom (
    deployment_id text NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    dag_run_id    text NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
    task_id       text NOT NULL,
    key           text NOT NULL,
    value         text NOT NULL,
    PRIMARY KEY (dag_run_id, task_id, key)
);
CREATE INDEX xcom_deployment ON xcom (deployment_id);
