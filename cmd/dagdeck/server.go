package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/credentials"
	"github.com/dagdeck/dagdeck/file"
	"github.com/dagdeck/dagdeck/localruntime"
	"github.com/dagdeck/dagdeck/metrics"
	"github.com/dagdeck/dagdeck/server"
	"github.com/dagdeck/dagdeck/service"
	"github.com/dagdeck/dagdeck/ui"
)

// Main is a running dagdeck server: its stores, service and HTTP listener.
// Tests start it in-process on 127.0.0.1:0 with a temporary data directory.
type Main struct {
	Addr string
	// backendFlags chooses the stores; empty URLs default to SQLite
	// (<DataDir>/dagdeck.db) and a folder (<DataDir>/artifacts).
	backendFlags
	Retention     time.Duration
	UploadTimeout time.Duration
	// UploadLease is how long an upload lease lasts without renewal.
	UploadLease time.Duration
	GCInterval  time.Duration
	GCGrace     time.Duration
	// CompressIdle is how long uploads must pause before the artifact
	// folder compresses the blobs they stored (default 2 s).
	CompressIdle time.Duration
	// Runtime is where the Deployments' DAGs run: "local" (the default, in
	// this process) or "none" (in separate `dagdeck runtime` processes).
	Runtime string
	// PublicURL, if set, is the server's base URL as clients reach it (behind
	// a proxy); links such as a Deployment's gitUrl start with it.
	PublicURL string
	// MetricsAddr, when set, serves /metrics without authentication on a
	// listener of its own.
	MetricsAddr string
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (comma-separated addresses and CIDR networks).
	TrustedProxies string
	// WebhookAllowPrivate lets webhooks deliver to loopback and private
	// addresses (off: a webhook cannot probe the server's own network).
	WebhookAllowPrivate bool
	// taskFlags choose who the local runtime's tasks run as.
	taskFlags
	// SaveCredentials stores the first admin token where the CLI finds it.
	SaveCredentials bool
	Logger          *slog.Logger
	Stdout          io.Writer

	store     dagdeck.Store
	artifacts dagdeck.ArtifactStore
	svc       *service.Service
	metrics   *metrics.Metrics
	runtime   *localruntime.Runtime
	http      *http.Server
	ln        net.Listener
	cancel    context.CancelFunc
	done      chan struct{}

	metricsHTTP *http.Server
}

// Run opens the stores, creates the first admin token if there is none,
// and starts serving. It returns once the server listens.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.defaults(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.store, err = openStore(ctx, m.DatabaseURL); err != nil {
		return fmt.Errorf("open metadata store: %w", err)
	}
	if m.artifacts, err = openArtifacts(ctx, m.ArtifactsURL); err != nil {
		return fmt.Errorf("open artifact store: %w", err)
	}
	m.metrics = metrics.New(m.Logger)
	m.svc = service.New(m.store, m.artifacts,
		service.WithObserver(m.metrics),
		service.WithRetention(m.Retention),
		service.WithUploadTimeout(m.UploadTimeout),
		service.WithUploadLease(m.UploadLease),
		service.WithGCGrace(m.GCGrace),
		service.WithLogger(m.Logger))
	srv := server.New(m.svc.Services(), m.Logger)
	srv.SetPublicURL(m.PublicURL)
	proxies, err := server.ParseProxies(m.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	srv.SetTrustedProxies(proxies)
	m.mountMetrics(srv)
	web := ui.New(m.svc.Services(), ui.WithLogger(m.Logger), ui.WithPublicURL(m.PublicURL))
	srv.AddAuthenticator(web.Authenticate)
	srv.Mount("/", web)
	if m.ln, err = net.Listen("tcp", m.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Addr, err)
	}
	if err := m.listenMetrics(); err != nil {
		return err
	}
	if err := m.bootstrapToken(ctx); err != nil {
		return err
	}
	// Uploads a crash interrupted (of this server or of their client) must
	// not block their Deployments.
	if _, err := m.svc.FailLapsedUploads(ctx); err != nil {
		return fmt.Errorf("fail lapsed uploads: %w", err)
	}
	if err := m.startRuntime(ctx); err != nil {
		return err
	}
	m.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	m.http.RegisterOnShutdown(web.Close) // the UI's event streams never go idle by themselves
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel, m.done = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { m.housekeeping(bg) })
	wg.Go(func() {
		m.svc.RunDeliveries(bg, service.DeliveryOptions{AllowPrivate: m.WebhookAllowPrivate, OnAttempt: m.metrics.WebhookDelivered})
	})
	go func() { wg.Wait(); close(m.done) }()
	go func() {
		if err := m.http.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("dagdeck server listening", "url", m.URL(), "database", redact(m.DatabaseURL), "artifacts", redact(m.ArtifactsURL))
	return nil
}

func (m *Main) defaults() error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	if m.Stdout == nil {
		m.Stdout = os.Stdout
	}
	if m.Addr == "" {
		m.Addr = "127.0.0.1:8080"
	}
	if m.Retention == 0 {
		m.Retention = dagdeck.DefaultRetention
	}
	if m.UploadTimeout == 0 {
		m.UploadTimeout = service.DefaultUploadTimeout
	}
	if m.UploadLease == 0 {
		m.UploadLease = service.DefaultUploadLease
	}
	if m.GCInterval == 0 {
		m.GCInterval = time.Hour
	}
	if m.CompressIdle == 0 {
		m.CompressIdle = defaultCompressIdle
	}
	return m.resolve()
}

// bootstrapToken creates the first admin token, prints it once and saves it
// for the CLI on this machine.
func (m *Main) bootstrapToken(ctx context.Context) error {
	secret, err := m.svc.EnsureAdminToken(ctx)
	if err != nil || secret == "" {
		return err
	}
	fmt.Fprintf(m.Stdout, "Created the first admin API token (shown once):\n\n    %s\n\n", secret)
	if m.SaveCredentials {
		return m.saveCredentials(secret)
	}
	return nil
}

// saveCredentials saves the first admin token for the CLI on this machine.
// A token already saved for the same URL belongs to another installation
// (another data folder or database): it is kept under another name, never
// silently replaced, and the operator is told.
func (m *Main) saveCredentials(secret string) error {
	p, _ := credentials.Path()
	if old, err := credentials.Load(m.URL()); err == nil && old != secret {
		kept := m.URL() + "#replaced-" + time.Now().UTC().Format("20060102T150405Z")
		if err := credentials.Save(kept, old); err != nil {
			return fmt.Errorf("keep the previously saved token: %w", err)
		}
		fmt.Fprintf(m.Stdout, "The CLI's saved token for %s belongs to another dagdeck installation (another data folder or database);\n"+
			"it is kept in %s as %q. Use it again with: dagdeck --token <that token> …\n\n", m.URL(), p, kept)
	}
	if err := credentials.Save(m.URL(), secret); err != nil {
		return fmt.Errorf("save the admin token for the CLI: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Saved it in %s: the dagdeck CLI on this machine uses it for %s.\n\n", p, m.URL())
	return nil
}

// defaultCompressIdle is how long the artifact folder goes without uploads
// before its new blobs are compressed: longer than a deploy takes to lay
// out and activate its code once its blobs are synced.
const defaultCompressIdle = 2 * time.Second

// autoRollbackInterval is how often deploys under an automatic rollback
// policy are judged.
const autoRollbackInterval = 10 * time.Second

// housekeeping backfills git commits and measures the artifact store once
// for the metrics, beside the rest (a walk of a large S3 store takes
// long), compresses an artifact folder's new blobs when uploads pause, and
// fails abandoned uploads every minute, judges watched deploys
// every autoRollbackInterval and collects garbage every GCInterval.
func (m *Main) housekeeping(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		// Deploys recorded before dagdeck made git commits get theirs, once.
		if err := m.svc.BackfillAllCommits(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error("backfill git commits", "err", err)
		}
	})
	wg.Go(func() { m.measureArtifacts(ctx) })
	if fs, ok := m.artifacts.(*file.Store); ok {
		// Blobs are stored plain when uploaded, compressed once deploys
		// leave the store alone for a moment.
		wg.Go(func() {
			if err := fs.Compress(ctx, m.Logger, m.CompressIdle); err != nil {
				m.Logger.Error("compress artifacts", "err", err)
			}
		})
	}
	abandon := time.NewTicker(time.Minute)
	gc := time.NewTicker(m.GCInterval)
	health := time.NewTicker(autoRollbackInterval)
	defer abandon.Stop()
	defer gc.Stop()
	defer health.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-abandon.C:
			if _, err := m.svc.FailAbandoned(ctx); err != nil {
				m.Logger.Error("fail abandoned deploys", "err", err)
			}
		case <-health.C:
			if err := m.svc.CheckAutoRollbacks(ctx); err != nil {
				m.Logger.Error("automatic rollback", "err", err)
			}
		case <-gc.C:
			if _, err := m.svc.CollectGarbage(ctx); err != nil {
				m.Logger.Error("garbage collection", "err", err)
			}
			if _, err := cleanTemp(ctx, m.artifacts); err != nil {
				m.Logger.Error("clean temporary uploads", "err", err)
			}
		}
	}
}

// URL is the server's base URL.
func (m *Main) URL() string {
	if m.ln == nil {
		return "http://" + m.Addr
	}
	return "http://" + m.ln.Addr().String()
}

// Close stops serving and closes the stores.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	} else if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	errs = append(errs, m.closeMetrics(), m.stopRuntime())
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}
