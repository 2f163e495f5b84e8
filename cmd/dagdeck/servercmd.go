package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// newServerCmd returns `dagdeck server`.
func newServerCmd() *cobra.Command {
	m := &Main{SaveCredentials: true}
	var logs logFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the dagdeck server: REST API, web UI, metadata and artifact stores, retention",
		Long: `Run the dagdeck server.

With no flags it keeps everything in the user's data folder
($XDG_DATA_HOME/dagdeck, by default ~/.local/share/dagdeck; or $DAGDECK_DATA):
a SQLite database and an artifact folder, and listens on 127.0.0.1:8080. On first start
it creates an admin API token, prints it once and saves it where the dagdeck
CLI on this machine finds it.`,
		Example: `  dagdeck server
  dagdeck server --addr 127.0.0.1:9090 --data-dir /var/lib/dagdeck
  dagdeck server --log-format json --metrics-addr 10.0.0.5:9464
  dagdeck server --database-url postgres://dagdeck@db/dagdeck --artifacts s3://bucket/dagdeck`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			m.Logger = logger
			m.Stdout = cmd.OutOrStdout()
			m.taskUserSet = cmd.Flags().Changed("task-user")
			if err := m.Run(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "dagdeck is running at %s — press Ctrl-C to stop.\n", m.URL())
			<-cmd.Context().Done()
			m.Logger.Info("shutting down")
			return m.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&m.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&m.PublicURL, "public-url", "", "the server's URL as clients reach it, when behind a proxy (git clone URLs start with it); default: from each request")
	m.backendFlags.register(f)
	f.DurationVar(&m.Retention, "retention", 90*24*time.Hour, "how long deploy artifacts are kept for rollbacks")
	f.DurationVar(&m.UploadTimeout, "upload-timeout", 30*time.Minute, "how long a deploy may stay unfinished, even with its upload lease renewed, before it is failed as abandoned")
	f.DurationVar(&m.UploadLease, "upload-lease", time.Minute, "an unfinished deploy whose client has not renewed its upload lease for this long is failed when another deploy or a rollback wants the Deployment, and at start-up")
	f.DurationVar(&m.GCInterval, "gc-interval", time.Hour, "how often the garbage collector runs")
	f.DurationVar(&m.GCGrace, "gc-grace", time.Hour, "unreferenced artifacts younger than this are kept (protects uploads in flight)")
	f.DurationVar(&m.CompressIdle, "compress-idle", defaultCompressIdle, "an artifact folder stores uploads as they come and compresses them once uploads pause this long (at the latest a minute after they arrive)")
	f.StringVar(&m.Runtime, "runtime", runtimeLocal, "where the Deployments' DAGs run: local (in this server) or none (in separate dagdeck runtime processes)")
	f.StringVar(&m.TrustedProxies, "trusted-proxies", "", "load balancers (addresses or CIDR networks, comma-separated) whose X-Forwarded-For names the client, for the audit log, logs and login throttling")
	f.BoolVar(&m.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks deliver to loopback, private and link-local addresses")
	f.StringVar(&m.MetricsAddr, "metrics-addr", "", "also serve /metrics without authentication on this address (e.g. 127.0.0.1:9090); on --addr it needs a token")
	logs.register(f)
	m.taskFlags.register(f)
	return cmd
}
