package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newWebhookCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Manage webhooks: events sent when deploys and rollbacks happen",
		Long: `Manage webhooks (admin).

A webhook receives an HTTP POST for each event it subscribes to:
` + strings.Join(dagdeck.EventTypes, ", ") + `.
Deliveries follow Standard Webhooks 1.0: a JSON body {type, timestamp, data}
with the headers webhook-id (the same on every retry of an event),
webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256>), signed
with the secret shown once at creation. Any Standard Webhooks library
verifies them. Events are queued in the same transaction as the change and
retried with backoff for 24 hours, across restarts. --format slack sends a
message a Slack incoming webhook accepts instead.`,
	}
	cmd.AddCommand(newWebhookCreateCmd(f), newWebhookListCmd(f), newWebhookDeleteCmd(f),
		newWebhookTestCmd(f), newWebhookDeliveriesCmd(f), newWebhookRotateCmd(f))
	return cmd
}

func newWebhookCreateCmd(f *factory) *cobra.Command {
	var in client.WebhookCreate
	var events string
	cmd := &cobra.Command{
		Use:   "create --url URL --events EVENT,… [--deployment NAME] [--format standard|slack]",
		Short: "Create a webhook; its signing secret is shown once",
		Example: `  dagdeck webhook create --url https://cd.example.com/hooks/dagdeck --events deploy.deployed,rollback.deployed
  dagdeck webhook create --url https://hooks.slack.com/services/… --events rollback.deployed,deploy.failed --format slack -d etl-prod`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, e := range strings.Split(events, ",") {
				if e = strings.TrimSpace(e); e != "" {
					in.Events = append(in.Events, e)
				}
			}
			created, err := f.client().CreateWebhook(cmd.Context(), in)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(created)
			}
			fmt.Fprintf(f.out, "Created webhook %s → %s (%s).\n", created.Webhook.ID, cell(created.Webhook.URL), strings.Join(created.Webhook.Events, ", "))
			fmt.Fprintln(f.out, "Signing secret (shown only now; give it to the receiver):")
			fmt.Fprintln(f.out, created.Secret)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.URL, "url", "", "where to POST events (required)")
	fl.StringVar(&events, "events", "", "comma-separated events: "+strings.Join(dagdeck.EventTypes, ", ")+" (required)")
	fl.StringVarP(&in.Deployment, "deployment", "d", "", "only this Deployment's events (default: every Deployment)")
	fl.StringVar(&in.Format, "format", dagdeck.WebhookFormatStandard, "standard (Standard Webhooks JSON) or slack")
	f.completeDeploymentFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("events", completeEvents)
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(dagdeck.WebhookFormatStandard, dagdeck.WebhookFormatSlack))
	_ = cmd.MarkFlagRequired("url")
	_ = cmd.MarkFlagRequired("events")
	return cmd
}

func newWebhookListCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List webhooks",
		Aliases: []string{"ls"},
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := f.client().ListWebhooks(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"webhooks": ws})
			}
			w := newTable(f.out)
			row(w, "ID", "URL", "EVENTS", "DEPLOYMENT", "FORMAT", "CREATED")
			for _, h := range ws {
				row(w, h.ID, h.URL, strings.Join(h.Events, ","), orDash(h.DeploymentID), h.Format, formatTime(h.CreatedAt, f.now()))
			}
			return w.Flush()
		},
	}
}

func newWebhookDeleteCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete WEBHOOK_ID",
		Short: "Delete a webhook and its pending deliveries",
		Args:  exactArgs(1, "one webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.client().DeleteWebhook(cmd.Context(), args[0]); err != nil {
				return err
			}
			return f.reportDeleted("webhook", args[0])
		},
	}
}

func newWebhookTestCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "test WEBHOOK_ID",
		Short: "Send a webhook.ping event; see the attempt with `webhook deliveries`",
		Args:  exactArgs(1, "one webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := f.client().TestWebhook(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]string{"eventId": id})
			}
			fmt.Fprintf(f.out, "Queued ping %s. Check it with: dagdeck webhook deliveries %s\n", id, args[0])
			return nil
		},
	}
}

func newWebhookRotateCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-secret WEBHOOK_ID",
		Short: "Give a webhook a new signing secret; the old one also signs for 24 hours",
		Args:  exactArgs(1, "one webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rotated, err := f.client().RotateWebhookSecret(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(rotated)
			}
			fmt.Fprintln(f.out, "New signing secret (shown only now; deliveries carry both signatures for 24 hours):")
			fmt.Fprintln(f.out, rotated.Secret)
			return nil
		},
	}
}

func newWebhookDeliveriesCmd(f *factory) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "deliveries WEBHOOK_ID",
		Short: "Show a webhook's recent delivery attempts",
		Args:  exactArgs(1, "one webhook id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := f.client().WebhookDeliveries(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(map[string]any{"deliveries": ds})
			}
			w := newTable(f.out)
			row(w, "TIME", "EVENT", "TYPE", "ATTEMPT", "STATUS", "DURATION", "ERROR")
			for _, d := range ds {
				status := "-"
				if d.StatusCode != 0 {
					status = fmt.Sprint(d.StatusCode)
				}
				row(w, formatTime(d.At, f.now()), d.EventID, d.EventType, fmt.Sprint(d.Attempt), status, fmt.Sprintf("%d ms", d.DurationMS), orDash(truncate(d.Error, 60)))
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many attempts")
	return cmd
}
