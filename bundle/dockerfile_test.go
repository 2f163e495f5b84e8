package bundle

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagdeck/dagdeck"
)

func TestReadRuntimeVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    string
		wantErr string // substring of the error message; "" means success
	}{
		{"OK", "FROM quay.io/dagdeck/runtime:1.1.0\n", "1.1.0", ""},
		{"Lowercase", "from quay.io/dagdeck/runtime:2.0.0\n", "2.0.0", ""},
		{"RegistryPort", "FROM localhost:5000/runtime:1.0.0\n", "1.0.0", ""},
		{"Platform", "FROM --platform=linux/amd64 quay.io/dagdeck/runtime:1.1.0 AS final\n", "1.1.0", ""},
		{"Digest", "FROM quay.io/dagdeck/runtime:1.1.0@sha256:abcd\n", "1.1.0", ""},
		{"MultiStageLast", "FROM golang:1.26 AS build\nRUN make\nFROM quay.io/dagdeck/runtime:1.0.0\nCOPY --from=build /x /x\n", "1.0.0", ""},
		{"FromEarlierStage", "FROM quay.io/dagdeck/runtime:1.1.0 AS base\nRUN pip install x\nFROM base\n", "1.1.0", ""},
		{"CommentsAndContinuation", "# syntax=docker/dockerfile:1\n# a comment\nFROM \\\n  quay.io/dagdeck/runtime:2.0.0\n", "2.0.0", ""},
		{"EscapeDirective", "# escape=`\nFROM `\n  quay.io/dagdeck/runtime:1.0.0\n", "1.0.0", ""},
		{"CRLF", "FROM quay.io/dagdeck/runtime:1.1.0\r\nRUN true\r\n", "1.1.0", ""},
		{"NoTag", "FROM quay.io/dagdeck/runtime\n", "", "needs a version tag"},
		{"NoTagPort", "FROM localhost:5000/runtime\n", "", "needs a version tag"},
		{"Latest", "FROM quay.io/dagdeck/runtime:latest\n", "", "needs a version tag"},
		{"LastStageUntagged", "FROM quay.io/dagdeck/runtime:1.1.0\nFROM scratch\n", "", "needs a version tag"},
		{"Arg", "ARG V=1.1.0\nFROM quay.io/dagdeck/runtime:${V}\n", "", "build argument"},
		{"NoFrom", "RUN echo hi\n", "", "no FROM line"},
		{"Empty", "", "", "no FROM line"},
		{"FromNoImage", "FROM --platform=linux/amd64\n", "", "names no image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "Dockerfile")
			writeFile(t, p, tt.content)
			got, err := ReadRuntimeVersion(p)
			if tt.wantErr != "" {
				if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("err = %v, want EINVALID containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ReadRuntimeVersion = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadRuntimeVersion_Missing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := ReadRuntimeVersion(filepath.Join(dir, "Dockerfile"))
	if dagdeck.ErrorCode(err) != dagdeck.EINVALID || !strings.Contains(dagdeck.ErrorMessage(err), "no Dockerfile in "+dir) {
		t.Fatalf("err = %v, want EINVALID naming the directory", err)
	}
}
