package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogFlags(t *testing.T) {
	for _, tt := range []struct {
		format  string
		debug   bool
		wantErr bool
		check   func(t *testing.T, out string)
	}{
		{format: "json", check: func(t *testing.T, out string) {
			var line map[string]any
			if err := json.Unmarshal([]byte(out), &line); err != nil || line["msg"] != "hello" || line["k"] != "v" {
				t.Fatalf("not a JSON line with msg and k: %v: %q", err, out)
			}
		}},
		{format: "text", check: func(t *testing.T, out string) {
			if !strings.Contains(out, "msg=hello k=v") {
				t.Fatalf("not a text line: %q", out)
			}
		}},
		{format: "json", debug: true, check: func(t *testing.T, out string) {
			if !strings.Contains(out, `"level":"DEBUG"`) {
				t.Fatalf("--debug logs no debug line: %q", out)
			}
		}},
		{format: "xml", wantErr: true},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			logger, err := (&logFlags{format: tt.format, debug: tt.debug}).logger(&buf)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want one: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			logger.Debug("hello", "k", "v")
			logger.Info("hello", "k", "v")
			tt.check(t, buf.String())
		})
	}
}
