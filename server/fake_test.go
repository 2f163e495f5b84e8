package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/server"
)

// fakeHistory is a HistoryService answering ListDeploys only: a handler
// needs just the service of its concern, so it can be tested without a
// store. The embedded interface is nil; any other method would panic.
type fakeHistory struct {
	dagdeck.HistoryService
	// got records ListDeploys' arguments.
	got struct {
		deployment, cursor string
		limit              int
	}
	page *dagdeck.DeployPage
	err  error
}

func (f *fakeHistory) ListDeploys(_ context.Context, deploymentIDOrName, cursor string, limit int) (*dagdeck.DeployPage, error) {
	f.got.deployment, f.got.cursor, f.got.limit = deploymentIDOrName, cursor, limit
	return f.page, f.err
}

// TestServer_DeployListAgainstFake runs GET /api/v1/deployments/{id}/deploys
// against a fake HistoryService and nothing else.
func TestServer_DeployListAgainstFake(t *testing.T) {
	t.Parallel()
	fake := &fakeHistory{page: &dagdeck.DeployPage{
		Deploys:    []*dagdeck.Deploy{{ID: "d2", DeploymentID: "prod", Sequence: 2}},
		NextCursor: "next",
	}}
	srv := server.New(dagdeck.Services{History: fake}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	res, err := http.Get(ts.URL + "/api/v1/deployments/prod/deploys?cursor=c1&limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page dagdeck.DeployPage
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || len(page.Deploys) != 1 || page.Deploys[0].ID != "d2" || page.NextCursor != "next" {
		t.Fatalf("status %d, page %+v", res.StatusCode, page)
	}
	if fake.got.deployment != "prod" || fake.got.cursor != "c1" || fake.got.limit != 1 {
		t.Fatalf("ListDeploys got %+v", fake.got)
	}

	// The service's error code becomes the HTTP status.
	fake.err = dagdeck.Errorf(dagdeck.ENOTFOUND, "Deployment %q not found", "nope")
	res, err = http.Get(ts.URL + "/api/v1/deployments/nope/deploys")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e server.ErrorResponse
	if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusNotFound || e.Code != dagdeck.ENOTFOUND {
		t.Fatalf("status %d, error %+v", res.StatusCode, e)
	}
}
