package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// bodies records request bodies by route pattern.
type bodies struct {
	mu sync.Mutex
	m  map[string]string
}

func (b *bodies) set(pattern, body string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]string{}
	}
	b.m[pattern] = body
}

func (b *bodies) get(pattern string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[pattern]
}

// cannedAPI serves fixed answers and records request bodies in rec if not nil.
func cannedAPI(t *testing.T, routes map[string]any, rec *bodies) string {
	mux := http.NewServeMux()
	for pattern, answer := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v1"+path, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if rec != nil {
				rec.set(pattern, string(b))
			}
			if s, ok := answer.(string); ok {
				_, _ = io.WriteString(w, s)
				return
			}
			status := 200
			if method == "POST" {
				status = 201
			}
			writeJSON(w, status, answer)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDeploymentInspect_MasksSecrets(t *testing.T) {
	t.Parallel()
	dep := dagdeck.Deployment{ID: "dep1", Name: "etl", Executor: "local", IsDagDeployEnabled: true, RuntimeVersion: "1.1.0",
		Env: []dagdeck.EnvVar{{Key: "LOG_LEVEL", Value: "debug"}, {Key: "DB_PASSWORD", Value: "hunter2", IsSecret: true}}}
	url := cannedAPI(t, map[string]any{"GET /deployments/{id}": dep}, nil)
	for _, output := range []string{"table", "json"} {
		tio := newTestFactory(t, url, "")
		if code := tio.run("deployment", "inspect", "etl", "-o", output); code != 0 {
			t.Fatalf("exit %d: %s", code, tio.errOut)
		}
		out := tio.out.String()
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "****") || !strings.Contains(out, "debug") {
			t.Fatalf("-o %s:\n%s", output, out)
		}
	}
}

func TestDeploymentUpdate_Env(t *testing.T) {
	t.Parallel()
	rec := &bodies{}
	url := cannedAPI(t, map[string]any{"PATCH /deployments/{id}": dagdeck.Deployment{Name: "etl"}}, rec)
	tio := newTestFactory(t, url, "")
	code := tio.run("deployment", "update", "etl", "--env", "A=1=2", "--secret-env", "PW=x", "--unset-env", "OLD", "--dag-deploy=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var upd dagdeck.DeploymentUpdate
	if err := json.Unmarshal([]byte(rec.get("PATCH /deployments/{id}")), &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Name != nil || upd.Description != nil || upd.IsDagDeployEnabled == nil || *upd.IsDagDeployEnabled {
		t.Fatalf("update %+v", upd)
	}
	got := []string{}
	for _, e := range upd.Env {
		v := "<unset>"
		if e.Value != nil {
			v = *e.Value
		}
		got = append(got, e.Key+"="+v+map[bool]string{true: " secret"}[e.IsSecret])
	}
	if strings.Join(got, ",") != "A=1=2,PW=x secret,OLD=<unset>" {
		t.Fatalf("env updates %v", got)
	}
}

func TestDeploymentCreate(t *testing.T) {
	t.Parallel()
	rec := &bodies{}
	url := cannedAPI(t, map[string]any{"POST /deployments": dagdeck.Deployment{ID: "dep1", Name: "etl"}}, rec)
	tio := newTestFactory(t, url, "")
	if code := tio.run("deployment", "create", "--name", "etl", "--dag-deploy=false"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	want := `{"name":"etl","description":"","executor":"local","isDagDeployEnabled":false}`
	if got := rec.get("POST /deployments"); got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
	if tio.out.String() != "Created Deployment etl (dep1).\n" {
		t.Fatalf("stdout %q", tio.out)
	}
}

func TestTokenCreate(t *testing.T) {
	t.Parallel()
	url := cannedAPI(t, map[string]any{"POST /tokens": map[string]any{"token": dagdeck.Token{ID: "t1", Name: "ci", Role: "deployer"}, "secret": "ddk_s3cret"}}, nil)
	tio := newTestFactory(t, url, "")
	if code := tio.run("token", "create", "--name", "ci", "--role", "deployer"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if !strings.Contains(tio.out.String(), "Created token ci (t1) with role deployer.") || !strings.HasSuffix(tio.out.String(), "\nddk_s3cret\n") {
		t.Fatalf("stdout %q", tio.out)
	}
}

func TestUserCreate_PasswordStdin(t *testing.T) {
	t.Parallel()
	rec := &bodies{}
	url := cannedAPI(t, map[string]any{"POST /users": dagdeck.User{ID: "u1", Name: "ana", Role: "viewer"}}, rec)
	tio := newTestFactory(t, url, "pa ss\n")
	if code := tio.run("user", "create", "--name", "ana", "--role", "viewer", "--password-stdin"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if got := rec.get("POST /users"); got != `{"name":"ana","password":"pa ss","role":"viewer"}` {
		t.Fatalf("body %s", got)
	}
}

func TestWhoamiAndGC(t *testing.T) {
	t.Parallel()
	url := cannedAPI(t, map[string]any{
		"GET /me":  map[string]string{"id": "t1", "kind": "token", "name": "admin", "role": "admin"},
		"POST /gc": map[string]int{"blobsDeleted": 3, "bytesDeleted": 3 << 20, "deploysPruned": 1, "blobsKept": 10},
	}, nil)
	tio := newTestFactory(t, url, "")
	if code := tio.run("whoami"); code != 0 || tio.out.String() != "admin (token t1), role admin, on "+url+"\n" {
		t.Fatalf("exit %d, stdout %q", code, tio.out)
	}
	tio = newTestFactory(t, url, "")
	if code := tio.run("gc"); code != 0 || tio.out.String() != "Deleted 3 blobs (3.0 MiB); kept 10 blobs. Artifacts of 1 deploy are now gone.\n" {
		t.Fatalf("exit %d, stdout %q", code, tio.out)
	}
}

func TestDagsList(t *testing.T) {
	t.Parallel()
	next := testTime.Add(5 * time.Hour)
	url := cannedAPI(t, map[string]any{"GET /deployments/{id}/dags": map[string]any{
		"dags":         []dagdeck.Dag{{DagID: "weather", Schedule: "@daily", File: "dags/weather.yaml", NextRunAt: &next, DeployID: "d1", Tags: []string{"a", "b"}}},
		"importErrors": []dagdeck.ImportError{{File: "dags/bad.yaml", Message: "xcom needs runtime 2.0.0"}},
	}}, nil)
	tio := newTestFactory(t, url, "")
	if code := tio.run("dags", "list", "-d", "etl"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	out := tio.out.String()
	for _, want := range []string{"weather", "@daily", "(in 2h)", "a,b", "Import errors (1):", "dags/bad.yaml: xcom needs runtime 2.0.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}

func TestTasks(t *testing.T) {
	t.Parallel()
	url := cannedAPI(t, map[string]any{
		"GET /deployments/{id}/tasks": map[string]any{"taskInstances": []dagdeck.TaskInstance{
			{ID: "ti1", DagID: "weather", RunID: "manual__1", TaskID: "extract", TryNumber: 2, MaxTries: 3, State: "running", DeployID: "d4", RuntimeVersion: "1.1.0"},
		}},
		"GET /deployments/{id}/tasks/{ti}/log": "hello from bash\n",
	}, nil)
	tio := newTestFactory(t, url, "")
	if code := tio.run("tasks", "list", "-d", "etl", "--run", "manual__1"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	for _, want := range []string{"TRY", "2/3", "running", "d4", "1.1.0"} {
		if !strings.Contains(tio.out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, tio.out)
		}
	}
	tio = newTestFactory(t, url, "")
	if code := tio.run("tasks", "logs", "ti1", "-d", "etl"); code != 0 || tio.out.String() != "hello from bash\n" {
		t.Fatalf("exit %d, stdout %q", code, tio.out)
	}
}

func TestAPIErrorIsOneLine(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, 401, dagdeck.EUNAUTHORIZED, "invalid token")
	}))
	t.Cleanup(srv.Close)
	tio := newTestFactory(t, srv.URL, "")
	if code := tio.run("deployment", "list"); code != ExitAuth {
		t.Fatalf("exit %d, want %d", code, ExitAuth)
	}
	if got := tio.errOut.String(); got != "Error: invalid token (pass --token or set DAGDECK_TOKEN)\n" {
		t.Fatalf("stderr %q", got)
	}
}
