package dagfile

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseWith reads the BashOperator arguments into t.
func (p *docParser) parseWith(t *Task, with *yaml.Node) *docError {
	if m, _, _ := marker(with); m != "" {
		return errorf(with, "with must be a mapping of BashOperator arguments, not a %s marker", m)
	}
	es, err := entries(with, "with")
	if err != nil {
		return err
	}
	hasCommand := false
	for _, e := range es {
		what := "with." + e.Key
		switch e.Key {
		case "bash_command":
			hasCommand = true
			t.BashCommand, err = p.parseValue(e.V, what, true)
		case "env":
			t.Env, err = p.parseEnv(e.V)
		case "append_env":
			var n *yaml.Node
			if n, err = literal(e.V, what); err == nil && !isNull(n) {
				t.AppendEnv, err = asBool(n, what)
			}
		case "cwd":
			err = p.parseCwd(t, e.V)
		case "skip_on_exit_code":
			t.SkipOnExitCode, err = parseSkip(e.V)
		default:
			if strings.HasPrefix(e.Key, "$") {
				return errorf(e.K, "with must be a mapping of BashOperator arguments; markers such as %s wrap its values", e.Key)
			}
			err = errorf(e.K, "unknown with key %q (dagdeck supports %s)", e.Key, strings.Join(bashArgs, ", "))
		}
		if err != nil {
			return err
		}
	}
	if !hasCommand || t.BashCommand.Kind == Literal && strings.TrimSpace(t.BashCommand.Text) == "" {
		return errorf(with, "with.bash_command is required")
	}
	return nil
}

// literal unwraps {$const: x} and rejects the other markers.
func literal(n *yaml.Node, what string) (*yaml.Node, *docError) {
	m, arg, err := marker(n)
	switch {
	case err != nil:
		return nil, err
	case m == "$const":
		return arg, nil
	case m != "":
		return nil, errorf(n, "%s cannot use %s: it must be a literal", what, m)
	}
	return n, nil
}

// parseEnv reads with.env: names to string values, each possibly a marker.
// Under $const the values are taken as literal strings.
func (p *docParser) parseEnv(n *yaml.Node) (map[string]Value, *docError) {
	m, arg, err := marker(n)
	if err != nil {
		return nil, err
	}
	constant := m == "$const"
	switch {
	case constant:
		n = arg
	case m != "":
		return nil, errorf(n, "with.env must be a mapping; put markers on its values")
	}
	if isNull(n) {
		return nil, nil
	}
	es, err := entries(n, "with.env")
	if err != nil {
		return nil, err
	}
	env := make(map[string]Value, len(es))
	for _, e := range es {
		if e.Key == "" || strings.ContainsAny(e.Key, "=\x00") || e.K.Tag != "!!str" {
			return nil, errorf(e.K, "with.env: %q is not a valid environment variable name", e.Key)
		}
		what := "with.env." + e.Key
		var v Value
		if constant {
			var s string
			s, err = asString(e.V, what)
			v = Value{Kind: Literal, Text: s}
		} else {
			v, err = p.parseValue(e.V, what, true)
		}
		if err != nil {
			return nil, err
		}
		env[e.Key] = v
	}
	return env, nil
}

// parseCwd reads with.cwd: a literal path relative to the code version's
// directory that stays inside it.
func (p *docParser) parseCwd(t *Task, n *yaml.Node) *docError {
	v, err := p.parseValue(n, "with.cwd", false)
	if err != nil {
		return err
	}
	dir := v.Text
	if strings.HasPrefix(dir, "/") || strings.HasPrefix(dir, `\`) || strings.HasPrefix(dir, "~") ||
		(len(dir) > 1 && dir[1] == ':') {
		return errorf(n, "with.cwd %q must be relative to the project directory", dir)
	}
	clean := path.Clean(strings.ReplaceAll(dir, `\`, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") || strings.ContainsRune(dir, 0) {
		return errorf(n, "with.cwd %q leaves the project directory", dir)
	}
	if clean == "." {
		clean = ""
	}
	t.Cwd = clean
	return nil
}

// parseSkip reads skip_on_exit_code: an exit code, a list of them, or null
// (never skip).
func parseSkip(n *yaml.Node) ([]int, *docError) {
	n, err := literal(n, "with.skip_on_exit_code")
	if err != nil {
		return nil, err
	}
	items := []*yaml.Node{n}
	switch {
	case isNull(n):
		return []int{}, nil
	case n.Kind == yaml.SequenceNode:
		items = n.Content
	}
	codes := make([]int, 0, len(items))
	for _, c := range items {
		code, err := asInt(c, "with.skip_on_exit_code")
		if err != nil {
			return nil, err
		}
		if code < 0 || code > 255 {
			return nil, errorf(c, "with.skip_on_exit_code %d is not an exit code (0 to 255)", code)
		}
		codes = append(codes, code)
	}
	return codes, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quote(s string) string { return strconv.Quote(s) }
