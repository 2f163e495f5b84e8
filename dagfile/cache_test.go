package dagfile

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestLoadDir_Cache(t *testing.T) {
	dag := func(id string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: " + id + "\nschedule: null\ntasks:\n  - id: a\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo " + id + "'}\n")}
	}
	v1 := fstest.MapFS{"dags/a.yaml": dag("a"), "dags/b.yaml": dag("b"), "dags/bad.yaml": {Data: []byte("dag_id: [\n")}}
	v2 := fstest.MapFS{"dags/a.yaml": dag("a"), "dags/b.yaml": dag("b2"), "dags/bad.yaml": v1["dags/bad.yaml"]}
	cache := NewCache()
	for _, fsys := range []fstest.MapFS{v1, v2, v1} {
		opts := Options{RuntimeVersion: "2.0.0"}
		wantDags, wantErrs := LoadDir(fsys, opts)
		opts.Cache = cache
		gotDags, gotErrs := LoadDir(fsys, opts)
		if !reflect.DeepEqual(gotDags, wantDags) || !reflect.DeepEqual(gotErrs, wantErrs) || len(gotErrs) != 1 {
			t.Fatalf("cached load differs: %v %v", gotDags, gotErrs)
		}
	}
	// v1: 3 parses; v2: a and bad from the cache, b2 parsed; v1 again: all 3 cached.
	if got := cache.Hits(); got != 5 {
		t.Fatalf("cache hits = %d, want 5", got)
	}
	if _, errs := LoadDir(v1, Options{RuntimeVersion: "1.0.0", Cache: cache}); cache.Hits() != 5 || len(errs) != 1 {
		t.Fatal("a load for another runtime version was answered from the cache")
	}
}
