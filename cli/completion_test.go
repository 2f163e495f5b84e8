package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// complete runs cobra's hidden __complete command, as the shell scripts
// do, and returns the offered values (without descriptions) and the
// directive line.
func (tio *testIO) complete(t *testing.T, args ...string) (values []string, directive string) {
	t.Helper()
	if code := tio.run(append([]string{"__complete"}, args...)...); code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, tio.errOut)
	}
	lines := strings.Split(strings.TrimRight(tio.out.String(), "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		value, _, _ := strings.Cut(l, "\t")
		values = append(values, value)
	}
	return values, lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	api.tasks = []*dagdeck.TaskInstance{{ID: "ti2", DagID: "weather", TaskID: "report", TryNumber: 2, State: "running"}, {ID: "ti1", DagID: "weather", TaskID: "report", TryNumber: 1, State: "failed"}}
	url := api.start()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"deployment flag", []string{"deploys", "list", "--deployment", ""}, []string{"etl"}},
		{"deployment flag prefix", []string{"deploy", "-d", "x"}, nil},
		{"deployment argument", []string{"deployment", "inspect", ""}, []string{"etl"}},
		{"second deployment argument", []string{"deployment", "update", "etl", ""}, nil},
		{"deploy numbers", []string{"deploys", "inspect", "-d", "etl", "#"}, []string{"#5", "#4", "#3", "#2", "#1"}},
		{"deploy ids", []string{"rollback", "-d", "etl", ""}, []string{"previous", "d5", "d4", "d3", "d2", "d1"}},
		{"deploy id prefix", []string{"deploys", "download", "--deployment", "etl", "d4"}, []string{"d4"}},
		{"deploy without a Deployment", []string{"deploys", "inspect", ""}, nil},
		{"task ids", []string{"tasks", "logs", "-d", "etl", ""}, []string{"ti2", "ti1"}},
		{"task ids for a note", []string{"tasks", "note", "-d", "etl", "ti1"}, []string{"ti1"}},
		{"output", []string{"deploys", "list", "-o", ""}, []string{"table", "json"}},
		{"token role", []string{"token", "create", "--role", ""}, []string{"viewer", "deployer", "admin", "runtime"}},
		{"user role", []string{"user", "create", "--role", ""}, []string{"viewer", "deployer", "admin"}},
		{"part", []string{"deploys", "download", "d1", "--part", ""}, []string{"all", "dags", "image"}},
		{"webhook format", []string{"webhook", "create", "--format", ""}, []string{"standard", "slack"}},
		{"webhook events", []string{"webhook", "create", "--events", "deploy.failed,"}, []string{"deploy.failed,deploy.deployed", "deploy.failed,rollback.deployed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tio := newTestFactory(t, url, "")
			got, directive := tio.complete(t, tt.args...)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("offered %q, want %q", got, tt.want)
			}
			if !strings.HasPrefix(directive, ":") || strings.Contains(tio.errOut.String(), "Error") {
				t.Fatalf("directive %q, stderr %q", directive, tio.errOut)
			}
		})
	}
}

func TestCompletion_Descriptions(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("__complete", "deploys", "inspect", "-d", "etl", "#5"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(tio.out.String(), "#5\tDEPLOYED 2026-11-26 18:05 undo D\n") {
		t.Fatalf("stdout %q", tio.out)
	}
}

// TestCompletion_DefaultDeployment completes deploys of the default
// Deployment, without the notice commands print.
func TestCompletion_DefaultDeployment(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	tio.f.loadDeployment = func(string) (string, error) { return "etl", nil }
	got, _ := tio.complete(t, "deploys", "inspect", "#2")
	if !slices.Equal(got, []string{"#2"}) || strings.Contains(tio.errOut.String(), "Using Deployment") {
		t.Fatalf("offered %q, stderr %q", got, tio.errOut)
	}
}

// TestCompletion_ServerDown offers nothing, prints no error and returns
// quickly when the server refuses connections or never answers.
func TestCompletion_ServerDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	for name, url := range map[string]string{"refused": refused, "hanging": hanging.URL} {
		for _, args := range [][]string{{"deploys", "list", "-d", ""}, {"rollback", "-d", "etl", ""}, {"tasks", "logs", "-d", "etl", ""}} {
			tio := newTestFactory(t, url, "")
			got, directive := tio.complete(t, args...) // returns: the client's timeout ends the hanging call
			if len(got) != 0 || directive != ":4" || strings.Contains(tio.errOut.String(), "Error") {
				t.Errorf("%s %q: offered %q, directive %q, stderr %q", name, args, got, directive, tio.errOut)
			}
		}
	}
}
