package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck/credentials"
)

func TestDefaultDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, flag, env, saved string
		wantNotice             string // "" for none
	}{
		{"flag", "etl", "", "", ""},
		{"env", "", "etl", "", "Using Deployment etl (from $DAGDECK_DEPLOYMENT).\n"},
		{"saved", "", "", "etl", "Using Deployment etl (from dagdeck deployment use).\n"},
		{"flag beats env", "etl", "nope", "nope", ""},
		{"env beats saved", "", "etl", "nope", "Using Deployment etl (from $DAGDECK_DEPLOYMENT).\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := historyAPI(t)
			tio := newTestFactory(t, api.start(), "")
			env := map[string]string{"DAGDECK_SERVER": tio.f.getenv("DAGDECK_SERVER"), "DAGDECK_DEPLOYMENT": tt.env}
			tio.f.getenv = func(k string) string { return env[k] }
			var asked string
			tio.f.loadDeployment = func(server string) (string, error) {
				asked = server
				if tt.saved == "" {
					return "", credentials.ErrNotFound
				}
				return tt.saved, nil
			}
			args := []string{"deploys", "list"}
			if tt.flag != "" {
				args = append(args, "-d", tt.flag)
			}
			if code := tio.run(args...); code != 0 {
				t.Fatalf("exit %d: %s", code, tio.errOut)
			}
			if got := tio.errOut.String(); got != tt.wantNotice {
				t.Fatalf("stderr %q, want %q", got, tt.wantNotice)
			}
			if api.count("GET /api/v1/deployments/etl/deploys") == 0 || api.count("GET /api/v1/deployments/nope") != 0 {
				t.Fatalf("requests %v", api.requests)
			}
			if tt.saved != "" && tt.env == "" && tt.flag == "" && asked != env["DAGDECK_SERVER"] {
				t.Fatalf("default looked up for server %q", asked)
			}
		})
	}
}

func TestDefaultDeployment_None(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"deploys", "list"}, {"tasks", "list"}, {"dags", "list"}, {"deploy"}} {
		tio := newTestFactory(t, unreachable(t), "")
		if code := tio.run(args...); code != ExitUsage || !strings.Contains(tio.errOut.String(), "Error: --deployment is required") {
			t.Fatalf("%q: exit %d, stderr %q", args, code, tio.errOut)
		}
	}
}

// TestDefaultDeployment_Refs uses the default Deployment for #N and
// previous, and finds a deploy id's own Deployment.
func TestDefaultDeployment_Refs(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	url := api.start()
	for _, ref := range []string{"#3", "d3"} {
		tio := newTestFactory(t, url, "")
		tio.f.loadDeployment = func(string) (string, error) { return "etl", nil }
		if code := tio.run("deploys", "inspect", ref); code != 0 || !strings.Contains(tio.out.String(), "#3 (d3)") {
			t.Fatalf("%s: exit %d: %s%s", ref, code, tio.out, tio.errOut)
		}
		if notice := strings.Contains(tio.errOut.String(), "Using Deployment etl"); notice != (ref == "#3") {
			t.Fatalf("%s: stderr %q", ref, tio.errOut)
		}
	}
}

func TestDeploymentUse(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	url := api.start()
	type saved struct{ server, name string }
	var got []saved
	newTIO := func() *testIO {
		tio := newTestFactory(t, url, "")
		tio.f.saveDeployment = func(server, name string) error {
			got = append(got, saved{server, name})
			return nil
		}
		return tio
	}
	tio := newTIO()
	if code := tio.run("deployment", "use", "dep1"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if len(got) != 1 || got[0] != (saved{url, "etl"}) || !strings.Contains(tio.out.String(), "now use Deployment etl") {
		t.Fatalf("saved %v, stdout %q", got, tio.out)
	}
	tio = newTIO()
	if code := tio.run("deployment", "use", "nope"); code != ExitFailure || len(got) != 1 {
		t.Fatalf("unknown Deployment: exit %d, saved %v", code, got)
	}
	tio = newTIO()
	if code := tio.run("deployment", "use", "--clear", "-o", "json"); code != 0 || got[1] != (saved{url, ""}) {
		t.Fatalf("--clear: exit %d, saved %v", code, got)
	}
	if !strings.Contains(tio.out.String(), `"deployment": ""`) {
		t.Fatalf("json %q", tio.out)
	}
	tio = newTIO()
	tio.f.saveDeployment = func(string, string) error { return errors.New("disk full") }
	if code := tio.run("deployment", "use", "etl"); code != ExitFailure || !strings.Contains(tio.errOut.String(), "save the default Deployment: disk full") {
		t.Fatalf("exit %d, stderr %q", code, tio.errOut)
	}
}

func TestDeploymentUse_Show(t *testing.T) {
	t.Parallel()
	tio := newTestFactory(t, unreachable(t), "")
	tio.f.loadDeployment = func(string) (string, error) { return "etl", nil }
	if code := tio.run("deployment", "use"); code != 0 || tio.out.String() != "etl (from dagdeck deployment use)\n" {
		t.Fatalf("exit %d, stdout %q", code, tio.out)
	}
}
