-- Rollbacks waiting for their turn: while one waits for a deploy in
-- progress, deploys that arrive after it are refused until until_at.
CREATE TABLE rollback_turns (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    until_at      TEXT NOT NULL
) STRICT;
