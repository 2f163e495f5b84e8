package dagfile

import (
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func date(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func mustLoad(t *testing.T, name string, opts Options) *Dag {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dags, errs := LoadFile(name, data, opts)
	if len(errs) != 0 || len(dags) != 1 {
		t.Fatalf("LoadFile(%s) = %d dags, errors %v; want one Dag", name, len(dags), errs)
	}
	return dags[0]
}

func TestLoadFile_SpecExample(t *testing.T) {
	t.Parallel()
	d := mustLoad(t, "testdata/bundle/dags/nightly_sales.yaml", Options{RuntimeVersion: "2.0.0"})
	start := date(2026, 1, 1, 0, 0)
	want := &Dag{
		ID: "nightly_sales", File: "testdata/bundle/dags/nightly_sales.yaml", Doc: 1,
		Schedule: "30 2 * * *", StartDate: &start, MaxActiveRuns: 16, UsesXCom: true,
		Tasks: []*Task{
			{ID: "extract", Retries: 3, RetryDelay: 30 * time.Second, SkipOnExitCode: []int{99},
				BashCommand: Value{Kind: Template, Text: "python3 include/extract.py --day {{ ds }}"}},
			{ID: "load", Needs: []string{"extract"}, Retries: 3, RetryDelay: 30 * time.Second, SkipOnExitCode: []int{99},
				BashCommand: Value{Kind: Literal, Text: "python3 include/load.py"},
				Env:         map[string]Value{"ROWS": {Kind: XCom, XComTask: "extract", XComKey: "return_value"}}},
		},
	}
	for _, task := range d.Tasks {
		task.BashCommand.tmpl = nil // compare what YAML says, not the parse cache
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
		for i := range d.Tasks {
			t.Errorf("task %d: got %+v", i, *d.Tasks[i])
		}
	}
}

func TestLoadDir(t *testing.T) {
	t.Parallel()
	dags, errs := LoadDir(os.DirFS("testdata/bundle"), Options{RuntimeVersion: "2.0.0"})
	var ids []string
	for _, d := range dags {
		ids = append(ids, d.File+"#"+d.ID)
	}
	wantIDs := []string{"dags/nightly_sales.yaml#nightly_sales", "dags/team/multi.yml#team_hourly",
		"dags/team/multi.yml#team_manual", "dags/z_duplicate.yaml#z_other"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("loaded %v, want %v", ids, wantIDs)
	}
	if got := dags[2].Doc; got != 5 {
		t.Errorf("team_manual is document %d, want 5 (empty documents count)", got)
	}
	want := []ImportError{
		{File: "dags/broken.yaml", Doc: 1, Message: "invalid YAML"},
		{File: "dags/team/multi.yml", Doc: 4, DagID: "team_broken", Line: 15, Message: `unknown Dag key "pool"`},
		{File: "dags/z_duplicate.yaml", Doc: 1, DagID: "nightly_sales", Message: `dag_id "nightly_sales" is already defined in dags/nightly_sales.yaml (document 1)`},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, w := range want {
		g := *errs[i]
		msg := g.Message
		g.Message = w.Message
		if g != w || !strings.HasPrefix(msg, w.Message) {
			t.Errorf("error %d = %+v (message %q), want %+v", i, g, msg, w)
		}
	}
}

func TestLoadDir_NoDagsDir(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"include/x.yaml": {Data: []byte("a: 1")}}
	dags, errs := LoadDir(fsys, Options{})
	if len(dags) != 0 || len(errs) != 0 {
		t.Errorf("got %v, %v; want nothing", dags, errs)
	}
}

func TestLoadFile_Documents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		dags       []string // "doc:id"
		errs       []string // ImportError.Error() substrings, in order
	}{
		{name: "Empty", yaml: "", dags: nil},
		{name: "OnlySeparators", yaml: "---\n---\n...\n", dags: nil},
		{name: "NullDocumentSkipped", yaml: "---\nnull\n---\n" + header, dags: []string{"2:d"}},
		{name: "ScalarDocument", yaml: header + "---\njust text\n", dags: []string{"1:d"},
			errs: []string{"dags/t.yaml: document 2: line 4: a document must be a mapping describing one Dag, not the string"}},
		{name: "SameDagIDTwice", yaml: header + "---\n" + header + "---\n" + header,
			dags: []string{"1:d"},
			errs: []string{`document 2: dag_id "d" is already defined in document 1 of this file`, "document 3: dag_id"}},
		{name: "SameDagIDAfterBadDocument", yaml: header + "pool: p\n---\n" + header,
			errs: []string{`document 1: line 3: unknown Dag key "pool"`, `document 2: dag_id "d" is already defined in document 1`}},
		{name: "BadDocumentDoesNotStopOthers", yaml: "$schema: 2026-10-30\ndag_id: one\nbogus: 1\n---\n$schema: 2026-10-30\ndag_id: two\n",
			dags: []string{"2:two"}, errs: []string{`dags/t.yaml: document 1: line 3: unknown Dag key "bogus"`}},
		{name: "SyntaxErrorFailsFile", yaml: header + "---\n" + "$schema: 2026-10-30\ndag_id: [\n",
			errs: []string{"dags/t.yaml: document 2: invalid YAML"}},
		{name: "NoTasks", yaml: header, dags: []string{"1:d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dags, errs := LoadFile("dags/t.yaml", []byte(tt.yaml), Options{})
			var got []string
			for _, d := range dags {
				got = append(got, strings.Join([]string{strconv.Itoa(d.Doc), d.ID}, ":"))
			}
			if !reflect.DeepEqual(got, tt.dags) {
				t.Errorf("dags %v, want %v", got, tt.dags)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want %q", errs, tt.errs)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tt.errs[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e, tt.errs[i])
				}
			}
		})
	}
}

func TestImportError_Error(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  ImportError
		want string
	}{
		{ImportError{File: "dags/x.yaml", Doc: 2, Task: "load", Line: 12, Message: "boom"}, `dags/x.yaml: document 2: task "load": line 12: boom`},
		{ImportError{File: "dags/x.yaml", Doc: 1, Message: "boom"}, `dags/x.yaml: document 1: boom`},
		{ImportError{File: "dags/x.yaml", Message: "read: denied"}, `dags/x.yaml: read: denied`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// unreadableFS fails to read one file.
type unreadableFS struct {
	fstest.MapFS
	bad string
}

func (f unreadableFS) ReadFile(name string) ([]byte, error) {
	if name == f.bad {
		return nil, fs.ErrPermission
	}
	return f.MapFS.ReadFile(name)
}

func TestLoadDir_UnreadableFileDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	fsys := unreadableFS{bad: "dags/a.yaml", MapFS: fstest.MapFS{
		"dags/a.yaml": {Data: []byte(header)},
		"dags/b.yml":  {Data: []byte("$schema: 2026-10-30\ndag_id: b\n")},
	}}
	dags, errs := LoadDir(fsys, Options{})
	if len(dags) != 1 || dags[0].ID != "b" || dags[0].File != "dags/b.yml" {
		t.Errorf("dags %v, want b from dags/b.yml", dags)
	}
	if len(errs) != 1 || errs[0].File != "dags/a.yaml" || errs[0].Doc != 0 || !strings.Contains(errs[0].Message, "permission denied") {
		t.Errorf("errors %v, want one read error for dags/a.yaml", errs)
	}
}
