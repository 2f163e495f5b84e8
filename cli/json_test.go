package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDelete_JSON answers deletes with {"id", "deleted"} on stdout with
// -o json, and with a line on stderr otherwise.
func TestDelete_JSON(t *testing.T) {
	t.Parallel()
	url := cannedAPI(t, map[string]any{"DELETE /tokens/{id}": "", "DELETE /users/{id}": "", "DELETE /webhooks/{id}": ""}, nil)
	for _, kind := range []string{"token", "user", "webhook"} {
		tio := newTestFactory(t, url, "")
		if code := tio.run(kind, "delete", "x1", "-o", "json"); code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, tio.errOut)
		}
		var got deletedJSON
		if err := json.Unmarshal(tio.out.Bytes(), &got); err != nil || got != (deletedJSON{ID: "x1", Deleted: true}) || tio.errOut.Len() != 0 {
			t.Fatalf("%s: stdout %q, stderr %q", kind, tio.out, tio.errOut)
		}
		tio = newTestFactory(t, url, "")
		if code := tio.run(kind, "delete", "x1"); code != 0 || tio.out.Len() != 0 || tio.errOut.String() != "Deleted "+kind+" x1.\n" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", kind, code, tio.out, tio.errOut)
		}
	}
}

func TestDeploysDownload_JSON(t *testing.T) {
	t.Parallel()
	api := historyAPI(t)
	tio := newTestFactory(t, api.start(), "")
	path := filepath.Join(t.TempDir(), "code.tar.gz")
	if code := tio.run("deploys", "download", "#2", "-d", "etl", "-O", path, "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var got downloadJSON
	if err := json.Unmarshal(tio.out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || got != (downloadJSON{DeployID: "d2", Part: "all", Path: path, Bytes: int64(len(b))}) {
		t.Fatalf("json %+v; file %q, %v", got, b, err)
	}
}
