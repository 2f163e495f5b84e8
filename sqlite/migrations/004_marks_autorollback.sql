-- Pins and quarantines of deploys (dagdeck.DeployMark).
CREATE TABLE deploy_marks (
    deploy_id     TEXT NOT NULL REFERENCES deploys (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    reason        TEXT NOT NULL,
    by_id         TEXT NOT NULL,
    by_kind       TEXT NOT NULL,
    by_name       TEXT NOT NULL,
    at            TEXT NOT NULL,
    until_at      TEXT,
    PRIMARY KEY (deploy_id, kind)
) STRICT;
CREATE INDEX deploy_marks_deployment ON deploy_marks (deployment_id);

-- Automatic rollback: each Deployment's policy, the import errors each
-- deploy's code had, and the deploys already judged (at most one action each).
CREATE TABLE auto_rollback_policies (
    deployment_id    TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    enabled          INTEGER NOT NULL,
    watch_seconds    INTEGER NOT NULL,
    max_failed_share REAL NOT NULL,
    min_tries        INTEGER NOT NULL,
    on_import_errors INTEGER NOT NULL
) STRICT;

CREATE TABLE deploy_import_errors (
    deploy_id TEXT NOT NULL,
    file      TEXT NOT NULL,
    PRIMARY KEY (deploy_id, file)
) STRICT;

CREATE TABLE auto_rollback_actions (
    deploy_id     TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL,
    at            TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    rollback_id   TEXT NOT NULL
) STRICT;
