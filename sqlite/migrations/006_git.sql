-- 006_git: what the git endpoint needs to serve each Deployment as a
-- repository with stable commit ids.
--
-- bundle_commit is a DEPLOYED deploy's git commit id (40 hex digits; '' for
-- other deploys and for deploys whose artifacts were gone before it could
-- be computed); bundle_commit_message is that commit's message, kept as it
-- was because the description can be edited afterwards. git_blobs maps a
-- stored file's SHA-256 digest to its git blob id (SHA-1 of "blob <size>\0"
-- and the content).
ALTER TABLE deploys ADD COLUMN bundle_commit TEXT NOT NULL DEFAULT '';
ALTER TABLE deploys ADD COLUMN bundle_commit_message TEXT NOT NULL DEFAULT '';
CREATE INDEX deploys_bundle_commit ON deploys (bundle_commit);

CREATE TABLE git_blobs (
    digest TEXT PRIMARY KEY,
    sha1   TEXT NOT NULL
) STRICT;
