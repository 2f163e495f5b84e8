package dagfile

import (
	"strings"
	"testing"
)

// FuzzJinja checks that the subset never panics, stays within maxOutput
// and a time bound on any input, and renders text without tags as Jinja
// does.
func FuzzJinja(f *testing.F) {
	g, ctx := loadGolden(f)
	for _, c := range g.Cases {
		f.Add(c.Template)
	}
	f.Add("{{ params.day | replace('', 'xxxxxxxxxx') | replace('', 'xxxxxxxxxx') | replace('', 'xxxxxxxxxx') }}")
	vars := contextVars(ctx)
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := parseTemplate(src)
		if err == nil {
			err = tmpl.checkNames()
		}
		var out string
		if err == nil {
			out, err = tmpl.render(vars)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "template: ") {
			t.Errorf("error without context: %v", err)
		}
		if len(out) > maxOutput {
			t.Errorf("output of %d bytes", len(out))
		}
		if err == nil && !strings.ContainsAny(src, "{}") {
			want := strings.TrimSuffix(strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n"), "\n")
			if out != want {
				t.Errorf("text %q rendered as %q", src, out)
			}
		}
	})
}
