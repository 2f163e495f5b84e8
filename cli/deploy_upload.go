package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/sync/errgroup"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

const (
	// uploadParallelism is how many uploads run at once.
	uploadParallelism = 4
	// Files up to batchFileSize go to the server in batches of up to
	// batchFiles files or batchBytes bytes, one request each; larger files
	// go one per request.
	batchFileSize = 256 << 10
	batchFiles    = 512
	batchBytes    = 4 << 20
	// maxFinalizeRetries is how often a finalize that lacks files is retried
	// after uploading them again.
	maxFinalizeRetries = 2
)

// uploader uploads a deploy's missing files, finalizes it and counts what
// it sent.
type uploader struct {
	f     *factory
	p     project
	total []string // every file digest the deploy references

	sent map[string]bool // digests uploaded
}

func newUploader(f *factory, p project, total []string) *uploader {
	return &uploader{f: f, p: p, total: total, sent: map[string]bool{}}
}

// uploaded returns how many distinct files and bytes were uploaded.
func (u *uploader) uploaded() (int, int64) {
	digests := make([]string, 0, len(u.sent))
	for d := range u.sent {
		digests = append(digests, d)
	}
	return len(digests), u.p.Size(digests)
}

// run uploads the files the server lacks and finalizes the deploy, holding
// the deploy's upload lease meanwhile.
func (u *uploader) run(ctx context.Context, dep *dagdeck.Deployment, created *dagdeck.DeployCreated) (*dagdeck.Deploy, error) {
	d := created.Deploy
	ctx, release := u.holdLease(ctx, dep, d)
	defer release()
	err := u.upload(ctx, created.Missing)
	if lost := leaseLost(ctx); lost != nil {
		return nil, fmt.Errorf("%w; %s still runs its previous code", lost, dep.Name)
	} else if err != nil {
		return nil, u.abandon(dep, d, err)
	}
	done, err := u.finalize(ctx, dep, d)
	if lost := leaseLost(ctx); err != nil && lost != nil {
		return nil, fmt.Errorf("%w; %s still runs its previous code", lost, dep.Name)
	}
	return done, err
}

// holdLease renews the deploy's upload lease every leaseRenewal until
// release is called. If the server answers that the deploy is no longer
// INITIALIZED (its lease lapsed and another deploy failed it), the
// returned context is cancelled with that error as its cause. A renewal
// the server cannot answer is tried again at the next tick.
func (u *uploader) holdLease(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(u.f.leaseRenewal)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_, err := u.f.client().RenewUploadLease(ctx, dep.ID, d.ID)
			if dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
				cancel(fmt.Errorf("deploy #%d lost its upload lease: %s", d.Sequence, dagdeck.ErrorMessage(err)))
				return
			}
		}
	}()
	return ctx, func() { close(stop); cancel(nil) }
}

// leaseLost returns why holdLease gave up the lease, or nil.
func leaseLost(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// finalize makes the deploy current, uploading files the server reports
// missing and retrying, at most maxFinalizeRetries times.
func (u *uploader) finalize(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (*dagdeck.Deploy, error) {
	for attempt := 0; ; attempt++ {
		done, err := u.f.client().FinalizeDeploy(ctx, dep.ID, d.ID)
		var missing *dagdeck.MissingBlobsError
		if err == nil {
			return done, nil
		} else if !errors.As(err, &missing) || attempt == maxFinalizeRetries {
			return nil, u.abandon(dep, d, fmt.Errorf("finalize: %w", err))
		}
		fmt.Fprintf(u.f.errOut, "The server still lacks %s; uploading again.\n", plural(len(missing.Digests), "file"))
		if err := u.upload(ctx, missing.Digests); err != nil {
			return nil, u.abandon(dep, d, err)
		}
	}
}

// abandon cancels a deploy that could not be finished, so the Deployment
// accepts deploys and rollbacks again at once, and explains that nothing
// changed. It cancels even when ctx was (Ctrl-C).
func (u *uploader) abandon(dep *dagdeck.Deployment, d *dagdeck.Deploy, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	failed := dagdeck.DeployFailed
	if _, cerr := u.f.client().UpdateDeploy(ctx, dep.ID, d.ID, dagdeck.DeployUpdate{Status: &failed}); cerr != nil {
		return fmt.Errorf("%w; deploy #%d (%s) could not be cancelled: its upload lease lapses within a minute, and the next deploy or rollback then fails it (or cancel it now with `dagdeck deploys cancel %s`); %s still runs its previous code", err, d.Sequence, d.ID, d.ID, dep.Name)
	}
	return fmt.Errorf("%w; deploy #%d (%s) was cancelled and %s still runs its previous code", err, d.Sequence, d.ID, dep.Name)
}

// upload sends the files with those digests, small ones in batches,
// uploadParallelism requests at a time.
func (u *uploader) upload(ctx context.Context, digests []string) error {
	if len(digests) == 0 {
		return nil
	}
	size := u.p.Size(digests)
	bar := u.progress(size, len(digests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadParallelism)
	var batch []client.Blob
	var batchSize int64
	flush := func() {
		if len(batch) > 0 {
			b := batch
			g.Go(func() error { return u.uploadBatch(gctx, b) })
			batch, batchSize = nil, 0
		}
	}
	for _, digest := range digests {
		n := u.p.Size([]string{digest})
		if n > batchFileSize {
			g.Go(func() error { return u.uploadFile(gctx, digest, bar) })
			continue
		}
		if len(batch) == batchFiles || batchSize+n > batchBytes {
			flush()
		}
		batch = append(batch, u.blob(digest, n, bar))
		batchSize += n
	}
	flush()
	err := g.Wait()
	if bar != nil {
		_ = bar.Exit()
	}
	if err != nil {
		return err
	}
	for _, d := range digests {
		u.sent[d] = true
	}
	return nil
}

// uploadFile sends one file, reporting its bytes to bar if not nil.
func (u *uploader) uploadFile(ctx context.Context, digest string, bar *progressbar.ProgressBar) error {
	file, err := u.p.Open(digest)
	if err != nil {
		return fmt.Errorf("open the file with digest %s: %w", digest, err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return fmt.Errorf("upload %s: %w", file.Name(), err)
	}
	var r io.ReadSeeker = file
	if bar != nil {
		r = &progressReader{ReadSeeker: file, bar: bar}
	}
	if err := u.f.client().UploadBlob(ctx, digest, r, info.Size()); err != nil {
		return fmt.Errorf("upload %s: %w", file.Name(), err)
	}
	return nil
}

// blob is the file with that digest and size as client.UploadBlobs reads
// it, reporting its bytes to bar if not nil.
func (u *uploader) blob(digest string, size int64, bar *progressbar.ProgressBar) client.Blob {
	return client.Blob{Digest: digest, Size: size, Open: func() (io.ReadCloser, error) {
		file, err := u.p.Open(digest)
		if err != nil {
			return nil, fmt.Errorf("open the file with digest %s: %w", digest, err)
		}
		if bar == nil {
			return file, nil
		}
		return struct {
			io.Reader
			io.Closer
		}{&progressReader{ReadSeeker: file, bar: bar}, file}, nil
	}}
}

// uploadBatch sends small files in one request.
func (u *uploader) uploadBatch(ctx context.Context, blobs []client.Blob) error {
	if err := u.f.client().UploadBlobs(ctx, blobs); err != nil {
		return fmt.Errorf("upload %s: %w", plural(len(blobs), "file"), err)
	}
	return nil
}

// progressReader reports what it reads to a progress bar; it can seek, so
// an upload retried after an outage reads the file again.
type progressReader struct {
	io.ReadSeeker
	bar *progressbar.ProgressBar
}

// Read implements io.Reader.
func (r *progressReader) Read(p []byte) (int, error) {
	n, err := r.ReadSeeker.Read(p)
	_ = r.bar.Add(n)
	return n, err
}

// progress returns a byte progress bar on stderr, or nil when stderr is not
// a terminal.
func (u *uploader) progress(size int64, files int) *progressbar.ProgressBar {
	if !u.f.stderrTTY() {
		return nil
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(u.f.errOut),
		progressbar.OptionSetDescription("Uploading "+plural(files, "file")),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// printDeploySummary tells what was deployed and how much was uploaded.
func printDeploySummary(out io.Writer, dep *dagdeck.Deployment, d *dagdeck.Deploy, u *uploader) {
	fmt.Fprintf(out, "Deployed #%d (%s) to %s.\n", d.Sequence, d.ID, dep.Name)
	w := newTable(out)
	field(w, "  Type", string(d.Type))
	field(w, "  Image tag", imageRef(d))
	if pinned := d.PinnedImage(); pinned != "" {
		field(w, "  Image pinned", pinned)
	}
	field(w, "  DAG bundle", d.DagBundleVersion)
	field(w, "  Runtime", d.RuntimeVersion)
	field(w, "  Description", d.Description)
	files, bytes := u.uploaded()
	field(w, "  Uploaded", fmt.Sprintf("%d of %s (%s of %s)", files, plural(len(u.total), "file"), formatBytes(bytes), formatBytes(u.p.Size(u.total))))
	w.Flush()
}

// imageRef renders a deploy's image: its tag, with the repository of an
// external image (repository@sha256:… when it was given by digest).
func imageRef(d *dagdeck.Deploy) string {
	switch {
	case d.ImageRepository == "" || d.ImageDigest != "":
		return d.ImageTag
	case strings.HasPrefix(d.ImageTag, "sha256:"):
		return d.ImageRepository + "@" + d.ImageTag
	}
	return d.ImageRepository + ":" + d.ImageTag
}

// imageWithPin renders imageRef followed by the pinned registry digest in
// short form, for tables: "reg/etl:prod @sha256:0123456789ab".
func imageWithPin(d *dagdeck.Deploy) string {
	ref := imageRef(d)
	if d.ImageRegistryDigest == "" || strings.Contains(ref, "@") {
		return ref
	}
	return ref + " @" + shortDigest(d.ImageRegistryDigest)
}

// shortDigest is sha256: and the first 12 hex digits of a digest.
func shortDigest(digest string) string {
	const n = len("sha256:") + 12
	if len(digest) <= n {
		return digest
	}
	return digest[:n]
}
