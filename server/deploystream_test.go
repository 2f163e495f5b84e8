package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/server"
)

// TestServer_DeployStream: GET …/deploys?all=true answers the whole history
// as one page without nextCursor, each deploy exactly as a page shows it
// (marks, eligibility, edits, git and all).
func TestServer_DeployStream(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.client(ts.adminToken)
	if _, err := admin.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	req := v1().Request("1.1.0", "first <b>&</b>")
	req.Git = &dagdeck.Git{CommitSHA: "0123456789abcdef0123456789abcdef01234567", Branch: "main", RemoteURL: "git@example.com:etl.git"}
	first, err := deploy(ctx, admin, "prod", v1(), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := deploy(ctx, admin, "prod", v2(), v2().Request("2.0.0", "second"))
	if err != nil {
		t.Fatal(err)
	}
	cancelled, err := admin.CreateDeploy(ctx, "prod", v2().Request("2.0.0", "cancelled"))
	if err != nil {
		t.Fatal(err)
	}
	failed := dagdeck.DeployFailed
	if _, err := admin.UpdateDeploy(ctx, "prod", cancelled.Deploy.ID, dagdeck.DeployUpdate{Status: &failed}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PinDeploy(ctx, "prod", first.ID, "known good", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.QuarantineDeploy(ctx, "prod", second.ID, "bad"); err != nil {
		t.Fatal(err)
	}
	desc := "first, explained"
	if _, err := admin.UpdateDeploy(ctx, "prod", first.ID, dagdeck.DeployUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}

	base := ts.URL + "/api/v1/deployments/prod/deploys"
	status, paged := rawRequest(t, "GET", base+"?limit=500", ts.adminToken, "")
	if status != http.StatusOK {
		t.Fatalf("page: %d %s", status, paged)
	}
	status, streamed := rawRequest(t, "GET", base+"?all=true", ts.adminToken, "")
	if status != http.StatusOK {
		t.Fatalf("stream: %d %s", status, streamed)
	}
	var want, got map[string]any
	if err := json.Unmarshal(paged, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(streamed, &got); err != nil {
		t.Fatalf("stream: %v\n%s", err, streamed)
	}
	if n := len(want["deploys"].([]any)); n != 3 {
		t.Fatalf("%d deploys in the page", n)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("streamed:\n%s\npaged:\n%s", streamed, paged)
	}

	status, body := rawRequest(t, "GET", base+"?all=yes", ts.adminToken, "")
	if status != http.StatusBadRequest {
		t.Fatalf("all=yes: %d %s", status, body)
	}
	status, body = rawRequest(t, "GET", ts.URL+"/api/v1/deployments/nope/deploys?all=true", ts.adminToken, "")
	if status != http.StatusNotFound {
		t.Fatalf("unknown Deployment: %d %s", status, body)
	}
}

// streamingHistory is a HistoryService whose StreamDeploys hands over
// pages, then err.
type streamingHistory struct {
	dagdeck.HistoryService
	pages [][]*dagdeck.Deploy
	err   error
}

func (f *streamingHistory) StreamDeploys(_ context.Context, _, _ string, fn func([]*dagdeck.Deploy) error) error {
	for _, p := range f.pages {
		if err := fn(p); err != nil {
			return err
		}
	}
	return f.err
}

// TestServer_DeployStreamAgainstFake: the pages become one document in
// order; an error before the first page is an error answer, one after it
// breaks the answer off.
func TestServer_DeployStreamAgainstFake(t *testing.T) {
	t.Parallel()
	fake := &streamingHistory{pages: [][]*dagdeck.Deploy{
		{{ID: "d3", Sequence: 3}, {ID: "d2", Sequence: 2}},
		{{ID: "d1", Sequence: 1}},
	}}
	srv := server.New(dagdeck.Services{History: fake}, slog.New(slog.DiscardHandler))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	get := func() (*http.Response, []byte, error) {
		res, err := http.Get(ts.URL + "/api/v1/deployments/prod/deploys?all=true")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}

	res, body, err := get()
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v %v %v", res.Status, res.Header, err)
	}
	var page dagdeck.DeployPage
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	var ids []string
	for _, d := range page.Deploys {
		ids = append(ids, d.ID)
	}
	if !reflect.DeepEqual(ids, []string{"d3", "d2", "d1"}) || page.NextCursor != "" {
		t.Fatalf("ids %v, next %q", ids, page.NextCursor)
	}

	fake.pages, fake.err = nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %q not found", "prod")
	res, body, _ = get()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("error before the first page: %d %s", res.StatusCode, body)
	}
	fake.pages = [][]*dagdeck.Deploy{{{ID: "d3", Sequence: 3}}}
	fake.err = dagdeck.Errorf(dagdeck.EUNAVAILABLE, "database down")
	res, body, err = get()
	if res.StatusCode != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error after the first page: %d, read error %v, body %s", res.StatusCode, err, body)
	}
}
