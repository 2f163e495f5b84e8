package dump

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dagdeck/dagdeck"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// maxMetadata bounds the metadata entry read into memory.
const maxMetadata = 4 << 30

// Import loads an Export stream into store and artifacts, which must hold
// no Deployments and no tokens (ECONFLICT otherwise). Every blob is verified
// against its digest as it is stored; the metadata is written in one
// transaction after all blobs, so a failed import leaves no records.
func Import(ctx context.Context, store dagdeck.Store, artifacts dagdeck.ArtifactStore, r io.Reader) (*Stats, error) {
	if err := ensureEmpty(ctx, store); err != nil {
		return nil, err
	}
	tr := tar.NewReader(r)
	var md *Metadata
	stats := &Stats{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "read export: %v", err)
		}
		switch {
		case hdr.Name == metadataEntry:
			if md, err = decodeMetadata(tr, hdr.Size); err != nil {
				return nil, err
			}
		case strings.HasPrefix(hdr.Name, blobPrefix):
			digest := strings.TrimPrefix(hdr.Name, blobPrefix)
			if err := artifacts.Put(ctx, digest, tr, hdr.Size); err != nil {
				return nil, fmt.Errorf("import blob %s: %w", digest, err)
			}
			stats.Blobs++
			stats.Bytes += hdr.Size
		default:
			return nil, dagdeck.Errorf(dagdeck.EINVALID, "unexpected entry %q in export", hdr.Name)
		}
	}
	if md == nil {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "the export has no %s", metadataEntry)
	}
	if err := dagdeck.SyncArtifacts(ctx, artifacts); err != nil {
		return nil, fmt.Errorf("import blobs: %w", err)
	}
	if err := store.Update(ctx, func(tx dagdeck.Tx) error { return writeMetadata(ctx, tx, md) }); err != nil {
		return nil, fmt.Errorf("import metadata: %w", err)
	}
	stats.Deployments, stats.Deploys = len(md.Deployments), len(md.Deploys)
	return stats, nil
}

func decodeMetadata(r io.Reader, size int64) (*Metadata, error) {
	if size > maxMetadata {
		return nil, dagdeck.Errorf(dagdeck.ETOOLARGE, "metadata of %d bytes is too large", size)
	}
	var md Metadata
	if err := json.NewDecoder(io.LimitReader(r, size)).Decode(&md); err != nil {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "decode metadata: %v", err)
	}
	if md.FormatVersion != FormatVersion {
		return nil, dagdeck.Errorf(dagdeck.EINVALID, "export format %d: this dagdeck reads format %d", md.FormatVersion, FormatVersion)
	}
	return &md, nil
}

func ensureEmpty(ctx context.Context, store dagdeck.Store) error {
	return store.View(ctx, func(tx dagdeck.Tx) error {
		deps, err := tx.ListDeployments(ctx)
		if err != nil {
			return err
		}
		tokens, err := tx.ListTokens(ctx)
		if err != nil {
			return err
		}
		if len(deps) > 0 || len(tokens) > 0 {
			return dagdeck.Errorf(dagdeck.ECONFLICT, "the target already holds %d Deployment(s) and %d token(s); import needs empty stores", len(deps), len(tokens))
		}
		return nil
	})
}

func writeMetadata(ctx context.Context, tx dagdeck.Tx, md *Metadata) error {
	for _, dep := range md.Deployments {
		if err := tx.CreateDeployment(ctx, dep); err != nil {
			return fmt.Errorf("deployment %s: %w", dep.Name, err)
		}
		if dep.AutoRollback != (dagdeck.AutoRollbackPolicy{}) {
			if err := tx.PutAutoRollbackPolicy(ctx, dep.ID, &dep.AutoRollback); err != nil {
				return fmt.Errorf("deployment %s: %w", dep.Name, err)
			}
		}
	}
	for _, d := range md.Deploys {
		want := d.Sequence
		d.BundleCommitMessage = md.CommitMessages[d.ID]
		if d.BundleCommit != "" && d.BundleCommitMessage == "" {
			return fmt.Errorf("deploy %s has a bundle commit but the export has no message for it", d.ID)
		}
		if err := tx.CreateDeploy(ctx, d); err != nil {
			return fmt.Errorf("deploy %s: %w", d.ID, err)
		}
		if d.Sequence != want {
			return fmt.Errorf("deploy %s got sequence %d, want %d: the export is not in history order", d.ID, d.Sequence, want)
		}
	}
	for _, c := range md.EnvChanges {
		if err := tx.RecordEnvChange(ctx, c.DeploymentID, c.Key, c.At); err != nil {
			return err
		}
	}
	for _, t := range md.Tokens {
		t.Hash = md.TokenHashes[t.ID]
		if err := tx.CreateToken(ctx, t); err != nil {
			return fmt.Errorf("token %s: %w", t.Name, err)
		}
	}
	for _, u := range md.Users {
		user := u.User
		user.PasswordHash = u.PasswordHash
		if err := tx.CreateUser(ctx, &user); err != nil {
			return fmt.Errorf("user %s: %w", u.Name, err)
		}
	}
	if err := writeEvents(ctx, tx, md); err != nil {
		return err
	}
	return writeRuntimeHistory(ctx, tx, md)
}

// writeEvents appends the audit log in order, which rebuilds its hash
// chain, and refuses entries whose hash differs from the exported one (an
// export edited after the fact), then creates the webhooks.
func writeEvents(ctx context.Context, tx dagdeck.Tx, md *Metadata) error {
	for _, e := range md.Audit {
		want := *e
		if err := tx.AppendAudit(ctx, e); err != nil {
			return fmt.Errorf("audit entry %d: %w", want.Seq, err)
		}
		if e.Seq != want.Seq || e.Hash != want.Hash {
			return fmt.Errorf("audit entry %d does not verify (hash %s, exported %s): the export's audit log was changed", want.Seq, e.Hash, want.Hash)
		}
	}
	for _, w := range md.Webhooks {
		hook := w.Webhook
		hook.Secret, hook.PreviousSecret = w.Secret, w.PreviousSecret
		if err := tx.CreateWebhook(ctx, &hook); err != nil {
			return fmt.Errorf("webhook %s: %w", w.ID, err)
		}
	}
	return nil
}

func writeRuntimeHistory(ctx context.Context, tx dagdeck.Tx, md *Metadata) error {
	for _, r := range md.DagRuns {
		if err := tx.CreateDagRun(ctx, r); err != nil {
			return fmt.Errorf("dag run %s: %w", r.RunID, err)
		}
	}
	for _, ti := range md.TaskInstances {
		if err := tx.CreateTaskInstance(ctx, ti); err != nil {
			return fmt.Errorf("task instance %s: %w", ti.ID, err)
		}
		if log, ok := md.TaskLogs[ti.ID]; ok {
			if err := tx.PutTaskLog(ctx, ti.ID, log); err != nil {
				return err
			}
		}
	}
	return nil
}
