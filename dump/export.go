package dump

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dagdeck/dagdeck"
)

// Export writes the installation in store and artifacts to w as a tar
// stream: metadata.json, then blobs/<digest> for every artifact.
func Export(ctx context.Context, store dagdeck.Store, artifacts dagdeck.ArtifactStore, w io.Writer) (*Stats, error) {
	md, err := readMetadata(ctx, store)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	b, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	if err := writeEntry(tw, metadataEntry, int64(len(b)), bytesReader(b)); err != nil {
		return nil, err
	}
	stats := &Stats{Deployments: len(md.Deployments), Deploys: len(md.Deploys)}
	var blobs []dagdeck.BlobInfo
	if err := artifacts.Walk(ctx, func(b dagdeck.BlobInfo) error { blobs = append(blobs, b); return nil }); err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	slices.SortFunc(blobs, func(a, b dagdeck.BlobInfo) int { return cmpString(a.Digest, b.Digest) })
	for _, info := range blobs {
		if err := exportBlob(ctx, tw, artifacts, info); err != nil {
			return nil, err
		}
		stats.Blobs++
		stats.Bytes += info.Size
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finish export: %w", err)
	}
	return stats, nil
}

func exportBlob(ctx context.Context, tw *tar.Writer, artifacts dagdeck.ArtifactStore, info dagdeck.BlobInfo) error {
	rc, err := artifacts.Open(ctx, info.Digest)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", info.Digest, err)
	}
	defer rc.Close()
	return writeEntry(tw, blobPrefix+info.Digest, info.Size, rc)
}

func writeEntry(tw *tar.Writer, name string, size int64, r io.Reader) error {
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if n, err := io.Copy(tw, r); err != nil || n != size {
		return fmt.Errorf("write %s: wrote %d of %d bytes: %v", name, n, size, err)
	}
	return nil
}

// readMetadata reads every record in one read transaction.
func readMetadata(ctx context.Context, store dagdeck.Store) (*Metadata, error) {
	md := &Metadata{FormatVersion: FormatVersion, ExportedAt: time.Now().UTC(), TokenHashes: map[string]string{}, TaskLogs: map[string][]byte{}}
	err := store.View(ctx, func(tx dagdeck.Tx) (err error) {
		if md.Deployments, err = tx.ListDeployments(ctx); err != nil {
			return err
		}
		for _, dep := range md.Deployments {
			if err := readDeployment(ctx, tx, dep, md); err != nil {
				return err
			}
		}
		if md.Tokens, err = tx.ListTokens(ctx); err != nil {
			return err
		}
		for _, t := range md.Tokens {
			md.TokenHashes[t.ID] = t.Hash
		}
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			md.Users = append(md.Users, &User{User: *u, PasswordHash: u.PasswordHash})
		}
		return readEvents(ctx, tx, md)
	})
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	return md, nil
}

// readEvents reads the audit log and the webhooks.
func readEvents(ctx context.Context, tx dagdeck.Tx, md *Metadata) error {
	err := tx.EachAudit(ctx, func(e *dagdeck.AuditEntry) (bool, error) {
		md.Audit = append(md.Audit, e)
		return true, nil
	})
	if err != nil {
		return err
	}
	ws, err := tx.ListWebhooks(ctx)
	for _, w := range ws {
		md.Webhooks = append(md.Webhooks, &Webhook{Webhook: *w, Secret: w.Secret, PreviousSecret: w.PreviousSecret})
	}
	return err
}

func readDeployment(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, md *Metadata) error {
	switch p, err := tx.AutoRollbackPolicy(ctx, dep.ID); {
	case err == nil:
		dep.AutoRollback = *p
	case dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND:
		return err
	}
	deploys, err := tx.ListDeploys(ctx, dagdeck.DeployFilter{DeploymentID: dep.ID})
	if err != nil {
		return err
	}
	slices.Reverse(deploys) // oldest first, so import reproduces the sequences
	md.Deploys = append(md.Deploys, deploys...)
	for _, d := range deploys {
		if d.BundleCommitMessage != "" {
			if md.CommitMessages == nil {
				md.CommitMessages = make(map[string]string)
			}
			md.CommitMessages[d.ID] = d.BundleCommitMessage
		}
	}
	if err := readEnvChanges(ctx, tx, dep, md); err != nil {
		return err
	}
	runs, err := tx.ListDagRuns(ctx, dagdeck.RunFilter{DeploymentID: dep.ID})
	if err != nil {
		return err
	}
	slices.Reverse(runs)
	md.DagRuns = append(md.DagRuns, runs...)
	tis, err := tx.ListTaskInstances(ctx, dagdeck.TaskFilter{DeploymentID: dep.ID})
	if err != nil {
		return err
	}
	slices.Reverse(tis)
	for _, ti := range tis {
		log, err := tx.TaskLog(ctx, ti.ID)
		if err == nil {
			md.TaskLogs[ti.ID] = log
		} else if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			return err
		}
	}
	md.TaskInstances = append(md.TaskInstances, tis...)
	return nil
}

// readEnvChanges keeps what rollback plans ask of the change log: the last
// change of every key. Current keys carry their own last-change time; a
// deleted key is dated by the Deployment's last update.
func readEnvChanges(ctx context.Context, tx dagdeck.Tx, dep *dagdeck.Deployment, md *Metadata) error {
	keys, err := tx.EnvKeysChangedSince(ctx, dep.ID, time.Time{})
	if err != nil {
		return err
	}
	current := make(map[string]time.Time)
	for _, v := range dep.Env {
		current[v.Key] = v.UpdatedAt
	}
	for _, k := range keys {
		at, ok := current[k]
		if !ok {
			at = dep.UpdatedAt
		}
		md.EnvChanges = append(md.EnvChanges, EnvChange{DeploymentID: dep.ID, Key: k, At: at})
	}
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
