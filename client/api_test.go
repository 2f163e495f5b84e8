package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
)

func TestClient_Rollback(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /deployments/{id}/deploys/{deployId}/rollback": func(w http.ResponseWriter, r *http.Request) {
			var req dagdeck.RollbackRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			res := dagdeck.RollbackResult{Plan: &dagdeck.RollbackPlan{DeploymentName: "etl"}}
			if req.DryRun {
				writeJSON(w, 200, res)
				return
			}
			res.Deploy = &dagdeck.Deploy{ID: "new", RollbackFromID: r.PathValue("deployId"), Description: req.Description}
			writeJSON(w, 201, res)
		},
	})
	ctx := context.Background()
	plan, err := c.Rollback(ctx, "etl", "old", dagdeck.RollbackRequest{DryRun: true})
	if err != nil || plan.Deploy != nil || plan.Plan.DeploymentName != "etl" {
		t.Fatalf("dry run: %+v %v", plan, err)
	}
	res, err := c.Rollback(ctx, "etl", "old", dagdeck.RollbackRequest{Description: "oops"})
	if err != nil || res.Deploy.RollbackFromID != "old" || res.Deploy.Description != "oops" {
		t.Fatalf("rollback: %+v %v", res, err)
	}
}

func TestClient_DownloadArchive(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments/{id}/deploys/{deployId}/archive": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/gzip")
			_, _ = io.WriteString(w, "tar of "+r.URL.Query().Get("part"))
		},
	})
	body, err := c.DownloadArchive(context.Background(), "etl", "d1", client.PartDAGs)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if b, _ := io.ReadAll(body); string(b) != "tar of dags" {
		t.Fatalf("body %q", b)
	}
}

func TestClient_DeployManifest(t *testing.T) {
	t.Parallel()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments/{id}/deploys/{deployId}/manifest": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, dagdeck.Manifest{Kind: r.URL.Query().Get("part"), Files: []dagdeck.ManifestFile{{Path: "dags/a.yaml"}}})
		},
	})
	m, err := c.DeployManifest(context.Background(), "etl", "d1", client.PartDAGs)
	if err != nil || m.Kind != dagdeck.ManifestDAGs || len(m.Files) != 1 {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestClient_Tokens(t *testing.T) {
	t.Parallel()
	deleted := ""
	c := newServer(t, map[string]http.HandlerFunc{
		"POST /tokens": func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Name, Role string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			writeJSON(w, 201, map[string]any{"token": dagdeck.Token{ID: "t1", Name: in.Name, Role: dagdeck.Role(in.Role)}, "secret": "ddk_x"})
		},
		"DELETE /tokens/{id}": func(w http.ResponseWriter, r *http.Request) {
			deleted = r.PathValue("id")
			w.WriteHeader(http.StatusNoContent)
		},
	})
	ctx := context.Background()
	tc, err := c.CreateToken(ctx, "ci", dagdeck.RoleDeployer)
	if err != nil || tc.Secret != "ddk_x" || tc.Token.Role != dagdeck.RoleDeployer || tc.Token.Name != "ci" {
		t.Fatalf("%+v %v", tc, err)
	}
	if err := c.DeleteToken(ctx, "t1"); err != nil || deleted != "t1" {
		t.Fatalf("delete: %v %q", err, deleted)
	}
}

func TestClient_RuntimeQueries(t *testing.T) {
	t.Parallel()
	var queries []string
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /deployments/{id}/runs": func(w http.ResponseWriter, r *http.Request) {
			queries = append(queries, r.URL.RawQuery)
			writeJSON(w, 200, map[string]any{"runs": []dagdeck.DagRun{{RunID: "manual__1"}}})
		},
		"GET /deployments/{id}/tasks": func(w http.ResponseWriter, r *http.Request) {
			queries = append(queries, r.URL.RawQuery)
			writeJSON(w, 200, map[string]any{"taskInstances": []dagdeck.TaskInstance{{TaskID: "extract"}}})
		},
		"GET /deployments/{id}/tasks/{ti}/log": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "line 1\n")
		},
	})
	ctx := context.Background()
	runs, err := c.ListRuns(ctx, "etl", client.RunListOptions{DagID: "daily", Limit: 5})
	if err != nil || len(runs) != 1 || runs[0].RunID != "manual__1" {
		t.Fatalf("runs %v %v", runs, err)
	}
	tis, err := c.ListTaskInstances(ctx, "etl", client.TaskListOptions{RunID: "r1"})
	if err != nil || len(tis) != 1 || tis[0].TaskID != "extract" {
		t.Fatalf("tasks %v %v", tis, err)
	}
	if queries[0] != "dagId=daily&limit=5" || queries[1] != "runId=r1" {
		t.Fatalf("queries %q", queries)
	}
	log, err := c.TaskLog(ctx, "etl", "ti1")
	if err != nil || string(log) != "line 1\n" {
		t.Fatalf("log %q %v", log, err)
	}
}
