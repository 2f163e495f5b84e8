package service_test

import (
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/testsupport/apitest"
)

// TestService_ControlCharacters checks that every name and description the
// API stores refuses control characters (terminal escapes, carriage
// returns), while descriptions keep newlines and tabs.
func TestService_ControlCharacters(t *testing.T) {
	e := newEnv(t)
	e.deployment(t, "prod", true)
	first := e.deploy(t, "prod", v1(), v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	e.deploy(t, "prod", v1Fixed(), v1Fixed().request(dagdeck.DeployImageAndDAG, "1.1.0", true))
	const clear, title, cr = "\x1b[2J", "\x1b]0;pwned\x07", "ok\rFAKE"

	deployWith := func(desc string) error {
		req := v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
		req.Description = desc
		_, err := e.svc.CreateDeploy(deployer, "prod", req)
		return err
	}
	gitWith := func(branch string) error {
		req := v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
		req.Git = &dagdeck.Git{CommitSHA: "abc", Branch: branch}
		_, err := e.svc.CreateDeploy(deployer, "prod", req)
		return err
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"DeployDescription", func() error { return deployWith("fix " + clear) }, "the description contains the control character U+001B"},
		{"DeployDescriptionOSC", func() error { return deployWith(title) }, "U+001B"},
		{"DeployDescriptionCarriageReturn", func() error { return deployWith(cr) }, "U+000D"},
		{"DeployDescriptionC1", func() error { return deployWith("a\u009b2J") }, "U+009B"},
		{"GitBranch", func() error { return gitWith("main" + clear) }, "git metadata contains control characters"},
		{"RollbackDescription", func() error {
			_, err := e.svc.Rollback(deployer, "prod", first.ID, dagdeck.RollbackRequest{Description: "back" + clear})
			return err
		}, "U+001B"},
		{"DeployDescriptionEdit", func() error {
			d := "edited" + clear
			_, err := e.svc.UpdateDeploy(deployer, "prod", first.ID, dagdeck.DeployUpdate{Description: &d})
			return err
		}, "U+001B"},
		{"DeploymentDescription", func() error {
			_, err := e.svc.CreateDeployment(admin, dagdeck.DeploymentCreate{Name: "other", Description: title})
			return err
		}, "U+001B"},
		{"DeploymentDescriptionUpdate", func() error {
			d := title
			_, err := e.svc.UpdateDeployment(admin, "prod", dagdeck.DeploymentUpdate{Description: &d})
			return err
		}, "U+001B"},
		{"TokenName", func() error {
			_, _, err := e.svc.CreateToken(admin, "ci\x1b[31m", dagdeck.RoleDeployer)
			return err
		}, "the token name contains the control character U+001B"},
		{"TokenNameNewline", func() error {
			_, _, err := e.svc.CreateToken(admin, "ci\nadmin", dagdeck.RoleDeployer)
			return err
		}, "U+000A"},
		{"ImageName", func() error {
			req := v1().request(dagdeck.DeployImageAndDAG, "1.1.0", true)
			req.ImageManifest, req.ImageName = nil, "registry.example.com/x:1\x1b[2J"
			_, err := e.svc.CreateDeploy(deployer, "prod", req)
			return err
		}, "invalid image name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			apitest.WantCode(t, err, dagdeck.EINVALID)
			if !strings.Contains(dagdeck.ErrorMessage(err), tt.want) {
				t.Fatalf("message %q does not say %q", dagdeck.ErrorMessage(err), tt.want)
			}
		})
	}
	if h := history(t, e, "prod"); len(h) != 2 {
		t.Fatalf("history has %d deploys, want 2", len(h))
	}

	t.Run("NewlinesAndTabsInDescriptions", func(t *testing.T) {
		desc := "fix the report\n\n\tsee the incident notes"
		d := e.deploy(t, "prod", v2(), v2().request(dagdeck.DeployImageAndDAG, "2.0.0", true))
		upd, err := e.svc.UpdateDeploy(deployer, "prod", d.ID, dagdeck.DeployUpdate{Description: &desc})
		if err != nil || upd.Description != desc {
			t.Fatalf("update: %v, %q", err, upd.Description)
		}
	})
}
