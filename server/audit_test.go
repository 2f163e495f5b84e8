package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// notAudited are the mutating API operations that record no audit entry,
// and why. Every other mutating operation must record exactly one.
var notAudited = map[string]string{
	"missingArtifacts":          "a question about stored files; changes nothing",
	"putArtifact":               "stores a content-addressed file; the deploy that references it is audited at create and finalize",
	"uploadArtifacts":           "stores content-addressed files; the deploy that references them is audited at create and finalize",
	"putRuntimeDags":            "the runtime's report of what it parsed, not a change by a person",
	"createRuntimeRun":          "the runtime's record of a scheduled run",
	"updateRuntimeRun":          "the runtime's record of a run's state",
	"createRuntimeTaskInstance": "the runtime's record of a try",
	"updateRuntimeTaskInstance": "the runtime's record of a try's state",
	"putRuntimeTaskLog":         "a try's log",
	"putRuntimeXCom":            "a task's output value",
	"renewDeployLease":          "a sign of life of an upload in progress; the deploy's outcome is audited",
}

// TestServer_AuditEveryChange performs every mutating operation of the
// OpenAPI document and checks that each records exactly one audit entry,
// with the right action, actor and request id, and that the chain verifies.
func TestServer_AuditEveryChange(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.adminToken)
	var (
		dep                     *dagdeck.Deployment
		first, inflight         *dagdeck.Deploy
		tokenID, userID, hookID string
		ti                      *dagdeck.TaskInstance
	)
	p1, p2 := v1(), v2()
	steps := []struct {
		op, action string
		do         func() error
	}{
		{"createDeployment", dagdeck.AuditDeploymentCreated, func() (err error) {
			dep, err = c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true})
			return err
		}},
		{"updateDeployment", dagdeck.AuditDeploymentUpdated, func() error {
			v := "s3cret-value"
			_, err := c.UpdateDeployment(ctx, "prod", dagdeck.DeploymentUpdate{Env: []dagdeck.EnvUpdate{{Key: "API_KEY", Value: &v, IsSecret: true}}})
			return err
		}},
		{"createDeploy", dagdeck.AuditDeployCreated, func() error {
			created, err := c.CreateDeploy(ctx, "prod", p1.Request("1.1.0", "first"))
			if err != nil {
				return err
			}
			first = created.Deploy
			return upload(ctx, c, p1, created.Missing)
		}},
		{"finalizeDeploy", dagdeck.AuditDeployDeployed, func() (err error) {
			first, err = c.FinalizeDeploy(ctx, "prod", first.ID)
			return err
		}},
		{"updateDeploy", dagdeck.AuditDeployDescription, func() error {
			desc := "first, better words"
			_, err := c.UpdateDeploy(ctx, "prod", first.ID, dagdeck.DeployUpdate{Description: &desc})
			return err
		}},
		{"createDeploy", dagdeck.AuditDeployCreated, func() error {
			created, err := c.CreateDeploy(ctx, "prod", p2.Request("2.0.0", "to cancel"))
			inflight = created.Deploy
			return err
		}},
		{"updateDeploy", dagdeck.AuditDeployCancelled, func() error {
			failed := dagdeck.DeployFailed
			_, err := c.UpdateDeploy(ctx, "prod", inflight.ID, dagdeck.DeployUpdate{Status: &failed})
			return err
		}},
		{"", "", func() error { // not counted: a second deploy to roll back from
			_, err := apitest.Deploy(ctx, c, "prod", p2, p2.Request("2.0.0", "second"))
			return err
		}},
		{"rollbackDeploy", dagdeck.AuditRollbackDeployed, func() error {
			_, err := c.Rollback(ctx, "prod", first.ID, dagdeck.RollbackRequest{Description: "back to 1.1", ConfirmDowngrade: true})
			return err
		}},
		{"pinDeploy", dagdeck.AuditDeployPinned, func() error {
			_, err := c.PinDeploy(ctx, "prod", first.ID, "last good before the migration", nil)
			return err
		}},
		{"unpinDeploy", dagdeck.AuditDeployUnpinned, func() error { _, err := c.UnpinDeploy(ctx, "prod", first.ID); return err }},
		{"quarantineDeploy", dagdeck.AuditDeployQuarantined, func() error {
			_, err := c.QuarantineDeploy(ctx, "prod", "#-1", "breaks the report")
			return err
		}},
		{"releaseDeploy", dagdeck.AuditDeployReleased, func() error { _, err := c.ReleaseDeploy(ctx, "prod", "#-1"); return err }},
		{"runGC", dagdeck.AuditGCCompleted, func() error { _, err := c.GC(ctx); return err }},
		{"createToken", dagdeck.AuditTokenCreated, func() error {
			tc, err := c.CreateToken(ctx, "ci", dagdeck.RoleDeployer)
			if err == nil {
				tokenID = tc.Token.ID
			}
			return err
		}},
		{"deleteToken", dagdeck.AuditTokenDeleted, func() error { return c.DeleteToken(ctx, tokenID) }},
		{"createUser", dagdeck.AuditUserCreated, func() error {
			u, err := c.CreateUser(ctx, "oncall", "correct horse battery", dagdeck.RoleDeployer)
			if err == nil {
				userID = u.ID
			}
			return err
		}},
		{"deleteUser", dagdeck.AuditUserDeleted, func() error { return c.DeleteUser(ctx, userID) }},
		{"", "", func() error { // not counted: the runtime reports a DAG and a try
			ti = seedTry(t, ts, dep, first)
			return nil
		}},
		{"triggerDag", dagdeck.AuditDagTriggered, func() error { _, err := c.TriggerDag(ctx, "prod", "report", nil); return err }},
		{"setTaskNote", dagdeck.AuditTaskNoteSet, func() error { _, err := c.SetTaskNote(ctx, "prod", ti.ID, "checked"); return err }},
		{"createWebhook", dagdeck.AuditWebhookCreated, func() error {
			wh, err := c.CreateWebhook(ctx, client.WebhookCreate{URL: "https://hooks.example.com/x", Events: []string{dagdeck.EventDeployDeployed}})
			if err == nil {
				hookID = wh.Webhook.ID
			}
			return err
		}},
		{"rotateWebhookSecret", dagdeck.AuditWebhookSecretRotated, func() error { _, err := c.RotateWebhookSecret(ctx, hookID); return err }},
		{"testWebhook", dagdeck.AuditWebhookTested, func() error { _, err := c.TestWebhook(ctx, hookID); return err }},
		{"deleteWebhook", dagdeck.AuditWebhookDeleted, func() error { return c.DeleteWebhook(ctx, hookID) }},
	}
	audited := map[string]bool{}
	for _, s := range steps {
		before := auditHead(t, c)
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.op, err)
		}
		if s.op == "" {
			continue
		}
		after := auditHead(t, c)
		page, err := c.ListAudit(ctx, client.AuditListOptions{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		e := page.Entries[0]
		if after != before+1 || e.Action != s.action || e.Actor.Name != "admin" || e.RequestID == "" || e.ClientAddr != "127.0.0.1" {
			t.Errorf("%s: %d new entries, newest %s by %q (request %q from %q); want exactly one %s by admin",
				s.op, after-before, e.Action, e.Actor.Name, e.RequestID, e.ClientAddr, s.action)
		}
		if strings.Contains(auditText(e), "s3cret-value") {
			t.Errorf("%s: the audit entry holds a secret value: %v", s.op, e.Summary)
		}
		audited[s.op] = true
	}
	for _, op := range mutatingOperations(t, ts) {
		if _, ok := notAudited[op]; !ok && !audited[op] {
			t.Errorf("mutating operation %s is neither exercised here nor listed in notAudited", op)
		}
	}
	if v, err := c.VerifyAudit(ctx); err != nil || !v.OK || v.Entries < int64(len(steps)) {
		t.Fatalf("verify: %+v, %v", v, err)
	}
}

// upload sends the project's files with the given digests.
func upload(ctx context.Context, c *client.Client, p apitest.Files, digests []string) error {
	for _, d := range digests {
		for _, content := range p {
			if dagdeck.DigestOf([]byte(content)) == d {
				if err := c.UploadBlob(ctx, d, strings.NewReader(content), int64(len(content))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// seedTry makes the runtime report a DAG "report" and one try of it.
func seedTry(t *testing.T, ts *testServer, dep *dagdeck.Deployment, d *dagdeck.Deploy) *dagdeck.TaskInstance {
	t.Helper()
	ctx := context.Background()
	b := ts.svc.LocalRuntimeBackend()
	if err := b.ReplaceDags(ctx, dep.ID, []*dagdeck.Dag{{DagID: "report", File: "dags/report.yaml", Schedule: "@daily", DeployID: d.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	run := &dagdeck.DagRun{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagID: "report", RunID: "manual__seed", LogicalDate: now, RunType: "manual", State: dagdeck.RunSuccess, CreatedAt: now, Conf: "{}"}
	if err := b.CreateRun(ctx, dep.ID, run); err != nil {
		t.Fatal(err)
	}
	ti := &dagdeck.TaskInstance{ID: dagdeck.NewID(), DeploymentID: dep.ID, DagRunID: run.ID, DagID: "report", RunID: run.RunID, TaskID: "t",
		TryNumber: 1, MaxTries: 1, State: dagdeck.TaskSuccess, DeployID: d.ID, RuntimeVersion: d.RuntimeVersion}
	if err := b.CreateTaskInstance(ctx, dep.ID, ti); err != nil {
		t.Fatal(err)
	}
	return ti
}

// auditHead returns the newest audit entry's sequence number (0 if none).
func auditHead(t *testing.T, c *client.Client) int64 {
	t.Helper()
	v, err := c.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v.HeadSeq
}

func auditText(e *dagdeck.AuditEntry) string {
	var b strings.Builder
	for k, v := range e.Summary {
		b.WriteString(k)
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(stringify(v), "\n", " "), "\t", " ")))
	}
	return b.String()
}

func stringify(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		var parts []string
		for k, x := range v {
			parts = append(parts, k+"="+stringify(x))
		}
		return strings.Join(parts, " ")
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, stringify(x))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// mutatingOperations lists the operation ids of the published OpenAPI
// document that may change state (POST, PUT, PATCH, DELETE).
func mutatingOperations(t *testing.T, ts *testServer) []string {
	t.Helper()
	status, raw := rawRequest(t, "GET", ts.URL+"/api/v1/openapi.json", "", "")
	if status != http.StatusOK {
		t.Fatalf("openapi.json: %d", status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if slices.Contains([]string{"POST", "PUT", "PATCH", "DELETE"}, method) {
				ops = append(ops, op.OperationID)
			}
		}
	}
	if len(ops) < 20 {
		t.Fatalf("only %d mutating operations in the document", len(ops))
	}
	return ops
}
