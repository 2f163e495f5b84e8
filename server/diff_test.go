package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck/client"
)

func TestServer_DiffQuery(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := client.New(ts.URL, ts.adminToken)
	if _, err := c.CreateDeployment(ctx, client.DeploymentCreate{Name: "prod", IsDagDeployEnabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy(ctx, c, "prod", v1(), v1().Request("1.1.0", "first")); err != nil {
		t.Fatal(err)
	}
	if _, err := deploy(ctx, c, "prod", v2(), v2().Request("2.0.0", "second")); err != nil {
		t.Fatal(err)
	}
	base := ts.URL + "/api/v1/deployments/prod/diff?from=" + url.QueryEscape("#-1")
	for query, want := range map[string]int{
		"":                http.StatusOK,
		"&contents=true":  http.StatusOK,
		"&contents=maybe": http.StatusBadRequest,
		"&limit=0":        http.StatusBadRequest,
		"&limit=5000":     http.StatusBadRequest,
		"&part=plugins":   http.StatusBadRequest,
		"&to=" + "%2399":  http.StatusNotFound,
	} {
		status, body := rawRequest(t, "GET", base+query, ts.adminToken, "")
		if status != want {
			t.Errorf("GET diff%s: %d %s, want %d", query, status, body, want)
		}
	}
	status, body := rawRequest(t, "GET", base+"&contents=true", ts.adminToken, "")
	if status != http.StatusOK || !strings.Contains(string(body), `"+echo report v2"`) {
		t.Errorf("diff with contents: %d %s", status, body)
	}
	if status, _ := rawRequest(t, "GET", base, "", ""); status != http.StatusUnauthorized {
		t.Errorf("diff without a token: %d, want 401", status)
	}
}
