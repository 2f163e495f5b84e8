-- What the runtime did with each Deployment's current deploy.
CREATE TABLE runtime_activations (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    deploy_id     TEXT NOT NULL,
    state         TEXT NOT NULL,
    error         TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
