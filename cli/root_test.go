package cli

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// unreachable returns the URL of a server that fails the test if called.
func unreachable(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "unexpected", 500)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFlagValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		wantUsage bool
	}{
		{"deploy needs --deployment", []string{"deploy"}, "--deployment is required: pass --deployment NAME, set $DAGDECK_DEPLOYMENT, or save a default with `dagdeck deployment use NAME`", true},
		{"deploy --dags --image", []string{"deploy", "-d", "etl", "--dags", "--image"}, "[dags image] were all set", true},
		{"deploy --dags --image-name", []string{"deploy", "-d", "etl", "--dags", "--image-name", "x:1"}, "[dags image-name] were all set", true},
		{"deploy two dirs", []string{"deploy", "a", "b", "-d", "etl"}, "accepts at most 1 arg(s)", true},
		{"deploy long description", []string{"deploy", "-d", "etl", "--description", strings.Repeat("x", 501)}, "--description: description is 501 characters", true},
		{"rollback needs description", []string{"rollback", "d1", "-d", "etl"}, "--description is required", true},
		{"rollback takes one deploy", []string{"rollback", "d1", "d2", "-d", "etl", "--description", "x"}, "accepts at most 1 arg(s), received 2", true},
		{"bad output", []string{"deploys", "list", "-d", "etl", "-o", "yaml"}, `unknown output format "yaml"`, true},
		{"bad limit", []string{"deploys", "list", "-d", "etl", "--limit", "0"}, "--limit must be at least 1", true},
		{"bad part", []string{"deploys", "download", "d1", "-d", "etl", "--part", "both"}, `--part must be all, dags or image, not "both"`, true},
		{"bad role", []string{"token", "create", "--name", "ci", "--role", "boss"}, "--role must be viewer, deployer, admin or runtime", true},
		{"bad name", []string{"deployment", "create", "--name", "Bad_Name"}, `invalid Deployment name "Bad_Name"`, true},
		{"update nothing", []string{"deployment", "update", "etl"}, "nothing to update", true},
		{"update bad env", []string{"deployment", "update", "etl", "--env", "FOO"}, `invalid environment variable "FOO": want KEY=VALUE`, true},
		{"update bad key", []string{"deployment", "update", "etl", "--unset-env", "1X"}, `invalid environment variable name "1X"`, true},
		{"update twice", []string{"deployment", "update", "etl", "--env", "A=1", "--secret-env", "A=2"}, "A is given more than once", true},
		{"bad conf", []string{"dags", "trigger", "daily", "-d", "etl", "--conf", "[1]"}, "--conf must be a JSON object", true},
		{"unknown flag", []string{"gc", "--force"}, "unknown flag: --force", true},
		{"user password not a terminal", []string{"user", "create", "--name", "ana", "--role", "viewer"}, "pass the password with --password-stdin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tio := newTestFactory(t, unreachable(t), "")
			wantCode := ExitFailure
			if tt.wantUsage {
				wantCode = ExitUsage
			}
			if code := tio.run(tt.args...); code != wantCode {
				t.Fatalf("exit code %d, want %d", code, wantCode)
			}
			stderr := tio.errOut.String()
			first, _, _ := strings.Cut(stderr, "\n")
			if !strings.HasPrefix(first, "Error: ") || !strings.Contains(first, tt.wantErr) {
				t.Fatalf("first line of stderr = %q, want Error: …%s…", first, tt.wantErr)
			}
			if got := strings.Contains(stderr, "Usage:"); got != tt.wantUsage {
				t.Fatalf("usage printed = %v, want %v; stderr:\n%s", got, tt.wantUsage, stderr)
			}
			if tio.out.Len() != 0 {
				t.Fatalf("stdout = %q", tio.out)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "plain"},
		{dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment x not found"), "Deployment x not found"},
		{fmt.Errorf("upload a.txt: %w", dagdeck.Errorf(dagdeck.EINVALID, "bad digest")), "upload a.txt: bad digest"},
		{dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "bad token"), "bad token (pass --token or set DAGDECK_TOKEN)"},
		{fmt.Errorf("finalize: %w", &dagdeck.MissingBlobsError{Digests: []string{"a"}}), "finalize: 1 file(s) of this deploy have not been uploaded; upload them and finalize again"},
	}
	for _, tt := range tests {
		if got := errorMessage(tt.err); got != tt.want {
			t.Errorf("errorMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestServerAndToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, flag, env, stored, wantServer string
		tokenFlag, tokenEnv, wantToken      string
	}{
		{"defaults", "", "", "", DefaultServer, "", "", "stored-for-" + DefaultServer},
		{"stored default", "", "", "http://stored/", "http://stored", "", "", "stored-for-http://stored"},
		{"env beats stored", "", "http://env", "http://stored", "http://env", "", "envtok", "envtok"},
		{"flag beats env", "http://flag/", "http://env", "", "http://flag", "flagtok", "envtok", "flagtok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFactory(t, "", "").f
			f.serverFlag, f.tokenFlag = tt.flag, tt.tokenFlag
			env := map[string]string{"DAGDECK_SERVER": tt.env, "DAGDECK_TOKEN": tt.tokenEnv}
			f.getenv = func(k string) string { return env[k] }
			f.defaultServer = func() string { return tt.stored }
			f.loadToken = func(s string) (string, error) { return "stored-for-" + s, nil }
			s := f.server()
			if s != tt.wantServer || f.token(s) != tt.wantToken {
				t.Fatalf("server %q token %q; want %q %q", s, f.token(s), tt.wantServer, tt.wantToken)
			}
		})
	}
}

func TestClientFor(t *testing.T) {
	t.Parallel()
	root := newRootCmd(newTestFactory(t, "", "").f)
	sub := &cobra.Command{Use: "runtime", RunE: func(*cobra.Command, []string) error { return nil }}
	root.AddCommand(sub)
	root.SetArgs([]string{"runtime", "--server", "http://elsewhere:9/", "--token", "ddk_x"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := ClientFor(sub).BaseURL(); got != "http://elsewhere:9" {
		t.Fatalf("BaseURL = %q", got)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("connection refused"), ExitFailure},
		{usagef("--limit must be at least 1"), ExitUsage},
		{errors.New(`unknown command "x" for "dagdeck"`), ExitUsage},
		{fmt.Errorf("deploy: %w", dagdeck.Errorf(dagdeck.EINVALID, "bad")), ExitUsage},
		{dagdeck.Errorf(dagdeck.EUNPROCESSABLE, "confirm the downgrade"), ExitRefused},
		{dagdeck.Errorf(dagdeck.ECONFLICT, "a deploy is in progress"), ExitRefused},
		{dagdeck.Errorf(dagdeck.EUNAUTHORIZED, "bad token"), ExitAuth},
		{dagdeck.Errorf(dagdeck.EFORBIDDEN, "viewer"), ExitAuth},
		{dagdeck.Errorf(dagdeck.ENOTFOUND, "no such deploy"), ExitFailure},
		{dagdeck.Errorf(dagdeck.EUNAVAILABLE, "metadata store (PostgreSQL) unreachable; try again shortly"), ExitFailure},
		{dagdeck.Errorf(dagdeck.EINTERNAL, "oops"), ExitFailure},
		{fmt.Errorf("finalize: %w", &dagdeck.MissingBlobsError{Digests: []string{"a"}}), ExitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
