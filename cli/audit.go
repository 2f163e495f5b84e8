package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func newAuditCmd(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read and verify the audit log",
		Long: `Read and verify the audit log.

Every change — deploys, rollbacks, Deployment settings, tokens, users,
logins, webhooks, garbage collection — is recorded as an append-only entry
in the same transaction as the change. Entries are hash-chained: each holds
the SHA-256 of the entry before it and of its own content, so an edited,
removed or reordered entry is detected by "dagdeck audit verify".`,
	}
	cmd.AddCommand(newAuditListCmd(f), newAuditVerifyCmd(f))
	return cmd
}

func newAuditListCmd(f *factory) *cobra.Command {
	var o client.AuditListOptions
	var since string
	cmd := &cobra.Command{
		Use:   "list [--deployment NAME] [--actor NAME] [--since TIME]",
		Short: "List audit entries, newest first",
		Long: `List audit entries, newest first.

Admins see every entry. Everybody who can read a Deployment sees its
activity with --deployment.`,
		Example: `  dagdeck audit list --deployment etl-prod
  dagdeck audit list --actor ana --since 24h
  dagdeck audit list --since 2026-11-30T00:00:00Z -o json`,
		Aliases: []string{"ls"},
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" {
				t, err := parseSince(since, f.now())
				if err != nil {
					return err
				}
				o.Since = t
			}
			page, err := f.client().ListAudit(cmd.Context(), o)
			if err != nil {
				return err
			}
			if f.json() {
				return f.printJSON(page)
			}
			printAudit(f, page.Entries)
			if page.NextCursor != "" {
				fmt.Fprintf(f.errOut, "More entries: raise --limit (at most 500) or narrow with --since.\n")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Deployment, "deployment", "d", "", "only this Deployment's activity")
	f.completeDeploymentFlag(cmd)
	fl.StringVar(&o.Actor, "actor", "", "only what this user or token (name or id) did")
	fl.StringVar(&since, "since", "", "only entries since a time (RFC 3339) or a duration ago (24h, 30m)")
	fl.IntVar(&o.Limit, "limit", 50, "how many entries (at most 500)")
	return cmd
}

// parseSince reads --since: an RFC 3339 time or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want an RFC 3339 time (2026-11-30T08:00:00Z) or a duration (24h)", s)
}

func printAudit(f *factory, es []*dagdeck.AuditEntry) {
	w := newTable(f.out)
	row(w, "SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "SUMMARY")
	for _, e := range es {
		row(w, fmt.Sprint(e.Seq), formatTime(e.Time, f.now()), e.Actor.Name, e.Action,
			e.TargetKind+" "+shortID(e.TargetID), truncate(auditSummary(e.Summary), 60))
	}
	w.Flush()
}

// auditSummary renders a summary as key=value pairs, sorted by key.
func auditSummary(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func newAuditVerifyCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain; exits non-zero naming the first broken entry",
		Long: `Check the whole audit log's hash chain (admin).

It exits 0 when every entry links to the one before and matches its hash,
and 1 naming the first entry that was edited, removed or moved. Keep the
head it prints (sequence and hash) somewhere else: a later verify that
shows an older head means the newest entries were removed.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.client().VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			if f.json() {
				if err := f.printJSON(v); err != nil {
					return err
				}
			} else if v.OK {
				fmt.Fprintf(f.out, "The audit log verifies: %d entries, head #%d %s.\n", v.Entries, v.HeadSeq, v.HeadHash)
			}
			if !v.OK {
				return fmt.Errorf("the audit log is broken at entry %d: %s", v.BrokenSeq, v.Problem)
			}
			return nil
		},
	}
}
