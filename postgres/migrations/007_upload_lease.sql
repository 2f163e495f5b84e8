-- Upload leases: while a deploy is INITIALIZED, the client uploading it
-- renews its lease; one whose lease lapsed is failed as soon as another
-- deploy or a rollback wants the Deployment, and when the server starts.
-- Meaningful only while INITIALIZED; NULL for deploys recorded before leases.
ALTER TABLE deploys ADD COLUMN lease_expires_at timestamptz;
