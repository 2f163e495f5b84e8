package client_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// streamedHistory answers all=true as the server does: the n deploys of
// the history in one document, newest first, after the optional prefix of
// members; with breakAt > 0 it breaks the answer off after that many.
func streamedHistory(t *testing.T, n, breakAt int, requests *[]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*requests = append(*requests, r.URL.RawQuery)
		if r.URL.Query().Get("all") != "true" {
			t.Errorf("query %q: want all=true", r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"future": {"a": [1, {"b": null}]}, "deploys": [`)
		for s := n; s >= 1; s-- {
			if breakAt > 0 && n-s == breakAt {
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
			if s < n {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, "\n"+`{"id": "d%d", "sequence": %d, "status": "DEPLOYED", "createdAt": "2026-11-30T10:00:00Z", "newField": [1, 2]}`, s, s)
		}
		fmt.Fprint(w, "\n]}\n")
	}
}

// collect streams the history of etl and returns the sequences it got.
func collect(t *testing.T, stream func(context.Context, string, func(*dagdeck.Deploy) bool) error, stopAt int64) ([]int64, error) {
	t.Helper()
	var seqs []int64
	err := stream(context.Background(), "etl", func(d *dagdeck.Deploy) bool {
		seqs = append(seqs, d.Sequence)
		if d.ID != fmt.Sprint("d", d.Sequence) {
			t.Errorf("deploy %+v", d)
		}
		return d.Sequence != stopAt
	})
	return seqs, err
}

// wantDescending fails unless seqs runs from n down to last, each once.
func wantDescending(t *testing.T, seqs []int64, n, last int64) {
	t.Helper()
	if int64(len(seqs)) != n-last+1 {
		t.Fatalf("%d deploys, want %d", len(seqs), n-last+1)
	}
	for i, s := range seqs {
		if s != n-int64(i) {
			t.Fatalf("deploy %d is #%d, want #%d", i, s, n-int64(i))
		}
	}
}

func TestClient_StreamDeploys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name             string
		stopAt, wantLast int64
	}{
		{"EveryDeployOnceInOrderInOneRequest", 0, 1},
		{"StopsWhenAsked", 2000, 2000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests []string
			c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": streamedHistory(t, 2500, 0, &requests)})
			seqs, err := collect(t, c.StreamDeploys, tt.stopAt)
			if err != nil {
				t.Fatal(err)
			}
			wantDescending(t, seqs, 2500, tt.wantLast)
			if len(requests) != 1 {
				t.Fatalf("requests %q", requests)
			}
		})
	}
	t.Run("BrokenOffIsAnError", func(t *testing.T) {
		var requests []string
		c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": streamedHistory(t, 2500, 700, &requests)})
		seqs, err := collect(t, c.StreamDeploys, 0)
		if err == nil || !strings.Contains(err.Error(), "deploy history of etl") {
			t.Fatalf("error %v after %d deploys", err, len(seqs))
		}
		wantDescending(t, seqs, 2500, 2500-700+1)
	})
	t.Run("FollowsPagesOfAnOlderServer", func(t *testing.T) {
		var limits []string
		c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": pagedHistory(t, 1234, &limits)})
		seqs, err := collect(t, c.StreamDeploys, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantDescending(t, seqs, 1234, 1)
		if got := strings.Join(limits, ","); got != "500,500,500" {
			t.Fatalf("limits sent: %q", got)
		}
	})
	t.Run("ErrorAnswer", func(t *testing.T) {
		c := newServer(t, map[string]http.HandlerFunc{"GET /deployments/{id}/deploys": func(w http.ResponseWriter, r *http.Request) {
			writeError(w, dagdeck.ENOTFOUND, `Deployment "etl" not found`)
		}})
		_, err := collect(t, c.StreamDeploys, 0)
		if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
			t.Fatalf("error %v", err)
		}
	})
}
