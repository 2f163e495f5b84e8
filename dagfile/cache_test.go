package dagfile

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
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

// countingFS counts the files opened.
type countingFS struct {
	fstest.MapFS
	opened map[string]int
	mu     *sync.Mutex // LoadDir reads files in parallel
}

func (c countingFS) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opened[name]++
}

func (c countingFS) Open(name string) (fs.File, error) {
	c.count(name)
	return c.MapFS.Open(name)
}

func (c countingFS) ReadFile(name string) ([]byte, error) {
	c.count(name)
	return c.MapFS.ReadFile(name)
}

// TestLoadDir_CacheByDigest: with the files' digests given, a file the
// cache knows by its digest is not read at all; one it does not is read
// and parsed.
func TestLoadDir_CacheByDigest(t *testing.T) {
	files := fstest.MapFS{
		"dags/a.yaml":   {Data: []byte("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: a\nschedule: null\ntasks:\n  - id: t\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo a'}\n")},
		"dags/bad.yaml": {Data: []byte("dag_id: [\n")},
	}
	digests := map[string]string{}
	for name, f := range files {
		sum := sha256.Sum256(f.Data)
		digests[name] = "sha256:" + hex.EncodeToString(sum[:])
	}
	cache := NewCache()
	opts := Options{RuntimeVersion: "2.0.0", Cache: cache, Digests: digests}
	fsys := countingFS{files, map[string]int{}, &sync.Mutex{}}
	wantDags, wantErrs := LoadDir(fsys, opts)
	if len(wantDags) != 1 || len(wantErrs) != 1 || fsys.opened["dags/a.yaml"] != 1 || fsys.opened["dags/bad.yaml"] != 1 {
		t.Fatalf("first load: %d DAGs, %d errors, opened %v", len(wantDags), len(wantErrs), fsys.opened)
	}
	clear(fsys.opened)
	gotDags, gotErrs := LoadDir(fsys, opts)
	if !reflect.DeepEqual(gotDags, wantDags) || !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Fatalf("load by digest differs: %v %v", gotDags, gotErrs)
	}
	if fsys.opened["dags/a.yaml"]+fsys.opened["dags/bad.yaml"] != 0 {
		t.Errorf("files known by digest were read: %v", fsys.opened)
	}
	// A digest the cache does not know: the file is read.
	opts.Digests = map[string]string{"dags/a.yaml": "sha256:" + strings.Repeat("0", 64)}
	clear(fsys.opened)
	LoadDir(fsys, opts)
	if fsys.opened["dags/a.yaml"] != 1 {
		t.Errorf("a file with an unknown digest was not read: %v", fsys.opened)
	}
}

// TestCache_Parse: a file parsed ahead is found by LoadDir under its own
// content's digest, without being read; content that is not what a
// manifest's digest says is never found under that digest.
func TestCache_Parse(t *testing.T) {
	good := []byte("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: a\nschedule: null\ntasks:\n  - id: t\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo a'}\n")
	evil := []byte(strings.Replace(string(good), "echo a", "echo evil", 1))
	digest := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	fsys := countingFS{fstest.MapFS{"dags/a.yaml": {Data: good}}, map[string]int{}, &sync.Mutex{}}

	cache := NewCache()
	cache.Parse("dags/a.yaml", evil, Options{RuntimeVersion: "2.0.0"}) // claimed to be good's content
	opts := Options{RuntimeVersion: "2.0.0", Cache: cache, Digests: map[string]string{"dags/a.yaml": digest(good)}}
	dags, _ := LoadDir(fsys, opts)
	if len(dags) != 1 || fsys.opened["dags/a.yaml"] != 1 || strings.Contains(dags[0].Tasks[0].BashCommand.Text, "evil") {
		t.Fatalf("content parsed ahead under another digest was used: opened %v, %+v", fsys.opened, dags)
	}

	cache = NewCache()
	cache.Parse("dags/a.yaml", good, Options{RuntimeVersion: "2.0.0"})
	opts.Cache = cache
	clear(fsys.opened)
	if dags, _ := LoadDir(fsys, opts); len(dags) != 1 || fsys.opened["dags/a.yaml"] != 0 || cache.Hits() != 1 {
		t.Fatalf("a file parsed ahead was read again (opened %v, hits %d, %d DAGs)", fsys.opened, cache.Hits(), len(dags))
	}
}

// TestLoadCached: with every Dag file in the cache, LoadCached returns
// what LoadDir returns on the bundle, in the walk's order (which decides
// the winner of a dag_id defined twice), without a bundle; with one file
// missing from the cache, it gives up.
func TestLoadCached(t *testing.T) {
	dag := func(id, echo string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("$schema: https://airflow.apache.org/schemas/dag/2026-10-30.json\ndag_id: " + id + "\nschedule: null\ntasks:\n  - id: t\n    uses: airflow.providers.standard.operators.bash.BashOperator\n    with: {bash_command: 'echo " + echo + "'}\n")}
	}
	// "dags/a/x.yaml" sorts after "dags/a.yaml" as a string but is walked
	// first: its "twice" wins.
	bundle := fstest.MapFS{
		"dags/a.yaml":      dag("twice", "from a.yaml"),
		"dags/a/x.yaml":    dag("twice", "from a/x.yaml"),
		"dags/b.yml":       dag("b", "b"),
		"dags/bad.yaml":    {Data: []byte("dag_id: [\n")},
		"dags/notes.txt":   {Data: []byte("not a Dag")},
		"include/c.yaml":   dag("c", "outside dags/"),
		"dags/z/y/z.yaml":  dag("z", "z"),
		"dags/z/y.yaml":    dag("y", "y"),
		"dags/z/y/a.yaml":  dag("za", "za"),
		"dags/z-last.yaml": dag("zl", "zl"),
	}
	digests := map[string]string{}
	for name, f := range bundle {
		sum := sha256.Sum256(f.Data)
		digests[name] = "sha256:" + hex.EncodeToString(sum[:])
	}
	opts := Options{RuntimeVersion: "2.0.0", Cache: NewCache(), Digests: digests}
	if _, _, ok := LoadCached(digests, opts); ok {
		t.Fatal("LoadCached answered from an empty cache")
	}
	wantDags, wantErrs := LoadDir(bundle, opts)
	gotDags, gotErrs, ok := LoadCached(digests, opts)
	if !ok {
		t.Fatal("LoadCached gave up with every Dag file cached")
	}
	if !reflect.DeepEqual(gotDags, wantDags) || !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Fatalf("LoadCached differs from LoadDir:\n got %v %v\nwant %v %v", gotDags, gotErrs, wantDags, wantErrs)
	}
	if len(wantDags) != 6 || wantDags[0].File != "dags/a/x.yaml" || len(wantErrs) != 2 {
		t.Fatalf("the bundle loaded to %d DAGs (first from %s) and %d errors; the test expects 6, dags/a/x.yaml and 2", len(wantDags), wantDags[0].File, len(wantErrs))
	}
	if _, _, ok := LoadCached(digests, Options{RuntimeVersion: "2.0.0"}); ok {
		t.Error("LoadCached answered without a cache")
	}
	digests["dags/new.yaml"] = "sha256:" + strings.Repeat("0", 64)
	if _, _, ok := LoadCached(digests, opts); ok {
		t.Error("LoadCached answered with a Dag file the cache lacks")
	}
}

func TestWalkOrder(t *testing.T) {
	paths := []string{"dags/z-last.yaml", "dags/a.yaml", "dags/z/y.yaml", "dags/a/x.yaml", "dags/z/y/a.yaml", "dags/b.yml"}
	var walked []string
	fsys := fstest.MapFS{}
	for _, p := range paths {
		fsys[p] = &fstest.MapFile{}
	}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			walked = append(walked, p)
		}
		return nil
	})
	slices.SortFunc(paths, walkOrder)
	if !reflect.DeepEqual(paths, walked) {
		t.Fatalf("walkOrder sorts %v; fs.WalkDir visits %v", paths, walked)
	}
}
