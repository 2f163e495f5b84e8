-- 006_git: what the git endpoint needs to serve each Deployment as a
-- repository with stable commit ids (see the sqlite migration for the
-- meaning of each column). bundle_commit uses the "C" collation so a
-- prefix lookup is an index range scan.
ALTER TABLE deploys ADD COLUMN bundle_commit text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE deploys ADD COLUMN bundle_commit_message text NOT NULL DEFAULT '';
CREATE INDEX deploys_bundle_commit ON deploys (bundle_commit);

CREATE TABLE git_blobs (
    digest text COLLATE "C" PRIMARY KEY,
    sha1   text NOT NULL
);
