package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// Dockerfile is the name of the file, at a project's root, whose FROM line
// names the runtime version.
const Dockerfile = "Dockerfile"

// ReadRuntimeVersion reads the Dockerfile at path and returns the runtime
// version: the tag of the image its final stage is built FROM, following
// stage names ("FROM base AS build … FROM build"). It returns EINVALID if the
// file is missing, has no FROM, or the image has no version tag or the tag
// "latest". It does not check the version against the runtime catalog.
func ReadRuntimeVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", dagdeck.Errorf(dagdeck.EINVALID,
			"no Dockerfile in %s: a project needs one whose FROM line names the runtime version, e.g. FROM quay.io/dagdeck/runtime:1.1.0",
			filepath.Dir(path))
	} else if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		return "", dagdeck.Errorf(dagdeck.EINVALID, "%s is a directory; the project needs a Dockerfile there", path)
	} else if err != nil {
		return "", fmt.Errorf("read dockerfile: %w", err)
	}
	return parseRuntimeVersion(string(b))
}

// parseRuntimeVersion returns the runtime version named by a Dockerfile's content.
func parseRuntimeVersion(content string) (string, error) {
	stages := make(map[string]string) // lower-case stage name → its image
	image := ""
	for _, inst := range dockerInstructions(content) {
		fields := strings.Fields(inst)
		if len(fields) == 0 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		args := fields[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			args = args[1:] // --platform=… and other flags
		}
		if len(args) == 0 {
			return "", dagdeck.Errorf(dagdeck.EINVALID, "Dockerfile: %q names no image", inst)
		}
		image = args[0]
		if base, ok := stages[strings.ToLower(image)]; ok {
			image = base // FROM an earlier stage: same base image
		}
		if len(args) == 3 && strings.EqualFold(args[1], "AS") {
			stages[strings.ToLower(args[2])] = image
		}
	}
	if image == "" {
		return "", dagdeck.Errorf(dagdeck.EINVALID, "Dockerfile has no FROM line; it needs one like FROM quay.io/dagdeck/runtime:1.1.0")
	}
	return imageTag(image)
}

// imageTag returns the version tag of an image reference.
func imageTag(image string) (string, error) {
	if strings.Contains(image, "$") {
		return "", dagdeck.Errorf(dagdeck.EINVALID,
			"Dockerfile: FROM %s uses a build argument; write the runtime version literally, e.g. FROM quay.io/dagdeck/runtime:1.1.0", image)
	}
	ref, _, _ := strings.Cut(image, "@") // drop a digest
	tag := ""
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		tag = ref[i+1:]
	}
	if tag == "" || tag == "latest" {
		return "", dagdeck.Errorf(dagdeck.EINVALID,
			"Dockerfile: FROM %s needs a version tag naming the runtime version, e.g. FROM quay.io/dagdeck/runtime:1.1.0", image)
	}
	return tag, nil
}

// dockerInstructions splits a Dockerfile into instructions: comments and
// blank lines dropped, continuation lines joined. It honours the "escape"
// parser directive.
func dockerInstructions(content string) []string {
	lines := strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
	escape := byte('\\')
	for _, line := range lines {
		d, ok := strings.CutPrefix(strings.TrimSpace(line), "#")
		if !ok {
			break // directives come first
		}
		key, val, ok := strings.Cut(d, "=")
		if !ok {
			break
		}
		if strings.EqualFold(strings.TrimSpace(key), "escape") && len(strings.TrimSpace(val)) == 1 {
			escape = strings.TrimSpace(val)[0]
		}
	}
	var out []string
	var cur strings.Builder
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, also inside a continued instruction
		}
		if n := len(trimmed); n > 0 && trimmed[n-1] == escape {
			cur.WriteString(trimmed[:n-1])
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(trimmed)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
