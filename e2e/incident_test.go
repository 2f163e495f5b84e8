package e2e

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// TestE2E_Incident drives the 3 a.m. commands with the real binary:
// previous and #-N, pin, quarantine, the automatic rollback policy.
func TestE2E_Incident(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.MustRun(t, dir, "deployment", "create", "--name", "prod")
	for _, v := range []string{"v1", "v2", "v3"} {
		WriteProject(t, dir, project("1.1.0", v))
		s.MustRun(t, dir, "deploy", dir, "--deployment", "prod", "--description", v)
	}
	s.MustRun(t, dir, "deploys", "pin", "#1", "-d", "prod", "--reason", "known good", "--until", "2099-01-01")
	out := s.MustRun(t, dir, "deploys", "quarantine", "#2", "-d", "prod", "--reason", "breaks the report")
	if !strings.Contains(out, "Quarantined deploy #2") || !strings.Contains(out, "Rollback target: no (QUARANTINED)") {
		t.Fatalf("quarantine output:\n%s", out)
	}
	var pinned dagdeck.Deploy
	s.JSON(t, dir, &pinned, "deploys", "inspect", "#1", "-d", "prod")
	if pinned.Pin == nil || pinned.Pin.Reason != "known good" || pinned.Pin.Until == nil {
		t.Fatalf("pinned deploy: %+v", pinned.Pin)
	}
	list := s.MustRun(t, dir, "deploys", "list", "-d", "prod")
	if !strings.Contains(list, "QUARANTINED") || !strings.Contains(list, "yes (pinned)") {
		t.Fatalf("history does not show the marks:\n%s", list)
	}

	// previous skips the quarantined #2; #-1 names it and is refused.
	plan := s.MustRun(t, dir, "rollback", "-d", "prod", "--dry-run")
	if !strings.Contains(plan, "→ deploy #1") {
		t.Fatalf("rollback without a deploy planned:\n%s", plan)
	}
	res := s.Run(t, dir, "rollback", "#-1", "-d", "prod", "--description", "x", "--yes")
	if res.Code == 0 || !strings.Contains(res.Stderr, "QUARANTINED") || !strings.Contains(res.Stderr, "breaks the report") {
		t.Fatalf("rollback to a quarantined deploy: exit %d, %s", res.Code, res.Stderr)
	}
	var rb dagdeck.RollbackResult
	s.JSON(t, dir, &rb, "rollback", "previous", "-d", "prod", "--description", "back to the pinned one", "--yes")
	if rb.Deploy.RollbackFromID != pinned.ID || rb.Deploy.Sequence != 4 {
		t.Fatalf("rollback previous: %+v", rb.Deploy)
	}

	s.MustRun(t, dir, "deployment", "update", "prod", "--auto-rollback=true", "--watch", "20m", "--min-tries", "3")
	inspect := s.MustRun(t, dir, "deployment", "inspect", "prod")
	if !strings.Contains(inspect, "on: for 20m0s after a deploy, when 50% of at least 3 tries fail or new import errors appear") {
		t.Fatalf("deployment inspect:\n%s", inspect)
	}
	res = s.Run(t, dir, "deployment", "update", "prod", "--max-failed-share", "2")
	if res.Code == 0 || !strings.Contains(res.Stderr, "max failed share 2") {
		t.Fatalf("a bad share: exit %d, %s", res.Code, res.Stderr)
	}
}

// TestE2E_AdminTokenOffline: with every admin token lost, an operator with
// access to the data folder mints a new one, which works and is audited.
func TestE2E_AdminTokenOffline(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	s.Stop(t)
	var created struct {
		Token  dagdeck.Token `json:"token"`
		Secret string        `json:"secret"`
	}
	s.JSON(t, dir, &created, "admin", "token", "--data-dir", s.DataDir, "--name", "recovery")
	if created.Token.Role != dagdeck.RoleAdmin || !strings.HasPrefix(created.Secret, "ddk_") {
		t.Fatalf("admin token: %+v", created)
	}
	s.Start(t)
	res := s.Run(t, dir, "--token", created.Secret, "deployment", "create", "--name", "after-recovery")
	if res.Code != 0 {
		t.Fatalf("the recovered token does not work: %s", res.Stderr)
	}
	var page dagdeck.AuditPage
	s.JSON(t, dir, &page, "--token", created.Secret, "audit", "list", "--actor", "dagdeck admin token")
	if len(page.Entries) != 1 || page.Entries[0].Action != dagdeck.AuditTokenCreated {
		t.Fatalf("the audit log does not record the offline token: %+v", page.Entries)
	}
}
