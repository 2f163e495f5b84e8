-- The Deployments a runtime token is for (none: every Deployment).
CREATE TABLE token_scopes (
    token_id      TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, deployment_id)
);
