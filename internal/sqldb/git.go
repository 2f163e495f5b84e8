package sqldb

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// gitBlobBatch is how many digests one lookup names.
const gitBlobBatch = 500

// GitBlobIDs implements dagdeck.GitTx.
func (tx *Tx) GitBlobIDs(ctx context.Context, digests []string) (map[string]string, error) {
	out := make(map[string]string, len(digests))
	for len(digests) > 0 {
		batch := digests[:min(len(digests), gitBlobBatch)]
		digests = digests[len(batch):]
		if err := tx.gitBlobBatch(ctx, batch, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (tx *Tx) gitBlobBatch(ctx context.Context, digests []string, out map[string]string) error {
	w := tx.d.where()
	w.in("digest", digests)
	pairs, err := queryAll(ctx, tx.tx, scanPair, `SELECT digest, sha1 FROM git_blobs`+w.clause(), w.args...)
	if err != nil {
		return fmt.Errorf("git blob ids: %w", err)
	}
	for _, p := range pairs {
		out[p[0]] = p[1]
	}
	return nil
}

// PutGitBlobIDs implements dagdeck.GitTx.
func (tx *Tx) PutGitBlobIDs(ctx context.Context, ids map[string]string) error {
	stmt, err := tx.tx.PrepareContext(ctx, tx.q.PutGitBlobID)
	if err != nil {
		return fmt.Errorf("put git blob ids: %w", err)
	}
	defer stmt.Close()
	for digest, id := range ids {
		if _, err := stmt.ExecContext(ctx, digest, id); err != nil {
			return tx.interpretError(err, "git blob id of %s", digest)
		}
	}
	return nil
}

// FindDeploysByCommit implements dagdeck.GitTx. The prefix is a range of
// the bundle_commit index: hex digits sort before "g".
func (tx *Tx) FindDeploysByCommit(ctx context.Context, deploymentID, prefix string, limit int) ([]*dagdeck.Deploy, error) {
	w := tx.d.where()
	w.add("bundle_commit >= %s", prefix)
	w.add("bundle_commit < %s", prefix+"g")
	if deploymentID != "" {
		w.add("deployment_id = %s", deploymentID)
	}
	q := `SELECT ` + DeployColumns + ` FROM deploys` + w.clause() + ` ORDER BY created_at, id LIMIT ` + w.arg(limit)
	out, err := queryAll(ctx, tx.tx, scanDeploy, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("find deploys by commit: %w", err)
	}
	return out, nil
}
