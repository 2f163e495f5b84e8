package dagfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dagdeck/dagdeck"
	"go.yaml.in/yaml/v3"
)

// xcomSince is the runtime version that brought XCom.
var xcomSince = dagdeck.FeatureXCom.Since

// LoadDir loads every *.yaml and *.yml file under dags/ of fsys (the bundle
// root), recursively, in lexical order. A file that fails never stops the
// others; a document that fails never stops the other documents of its
// file. A dag_id already loaded from an earlier file is an import error on
// the later document. Missing dags/ yields nothing.
func LoadDir(fsys fs.FS, opts Options) ([]*Dag, []*ImportError) {
	// The walk lists the files (and what could not be read) in order; the
	// files are read and parsed in parallel; their results are then taken
	// in that order, so the first of two files defining a dag_id wins.
	var results []fileResult
	walk := func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name != dagdeck.DAGDir || !errors.Is(err, fs.ErrNotExist) {
				results = append(results, fileResult{name: name, errs: []*ImportError{{File: name, Message: fmt.Sprintf("read: %v", err)}}})
			}
			return nil
		}
		if !d.IsDir() && IsDagFile(name) {
			results = append(results, fileResult{name: name, file: true})
		}
		return nil
	}
	_ = fs.WalkDir(fsys, dagdeck.DAGDir, walk) // walk never returns an error
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(results)) {
		wg.Go(func() {
			for i := range next {
				r := &results[i]
				r.dags, r.errs = loadDagFile(fsys, r.name, opts)
			}
		})
	}
	for i, r := range results {
		if r.file {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return combine(results)
}

// fileResult is what one file of a bundle loaded to, or an error of the
// walk that lists them (file false: in errs).
type fileResult struct {
	name string
	file bool
	dags []*Dag
	errs []*ImportError
}

// combine joins what the files loaded to, in their order: a dag_id already
// loaded from an earlier file is an import error on the later document.
func combine(results []fileResult) ([]*Dag, []*ImportError) {
	var dags []*Dag
	var errs []*ImportError
	seen := map[string]*Dag{}
	for _, r := range results {
		errs = append(errs, r.errs...)
		for _, dag := range r.dags {
			if first := seen[dag.ID]; first != nil {
				errs = append(errs, &ImportError{File: r.name, Doc: dag.Doc, DagID: dag.ID,
					Message: fmt.Sprintf("dag_id %q is already defined in %s (document %d)", dag.ID, first.File, first.Doc)})
				continue
			}
			seen[dag.ID] = dag
			dags = append(dags, dag)
		}
	}
	return dags, errs
}

// LoadCached returns what LoadDir returns for a bundle whose files are
// those of digests (bundle path → content digest; paths outside dags/ and
// other than Dag files are left out), from opts.Cache alone, without a
// bundle to read: ok is false when the cache lacks any of the Dag files.
// The files must be regular: LoadDir reads a symlink's target.
func LoadCached(digests map[string]string, opts Options) (dags []*Dag, errs []*ImportError, ok bool) {
	if opts.Cache == nil {
		return nil, nil, false
	}
	var names []string
	for name := range digests {
		if strings.HasPrefix(name, dagdeck.DAGDir+"/") && IsDagFile(name) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, walkOrder)
	results := make([]fileResult, len(names))
	for i, name := range names {
		r := &results[i]
		r.name, r.file = name, true
		if r.dags, r.errs, ok = opts.Cache.known(name, digests[name], opts); !ok {
			return nil, nil, false
		}
	}
	dags, errs = combine(results)
	return dags, errs, true
}

// walkOrder orders slash paths as fs.WalkDir visits them: by name within
// each folder, a folder's files right after its name ("dags/a/x.yaml"
// before "dags/a.yaml", which a plain string order puts first).
func walkOrder(a, b string) int {
	for {
		ha, ta, moreA := strings.Cut(a, "/")
		hb, tb, moreB := strings.Cut(b, "/")
		if c := strings.Compare(ha, hb); c != 0 || !moreA || !moreB {
			if c != 0 {
				return c
			}
			return cmpBool(moreA, moreB)
		}
		a, b = ta, tb
	}
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// loadDagFile loads the DAG file name of fsys, through opts.Cache if set.
func loadDagFile(fsys fs.FS, name string, opts Options) ([]*Dag, []*ImportError) {
	if opts.Cache != nil {
		if dags, errs, ok := opts.Cache.known(name, opts.Digests[name], opts); ok {
			return dags, errs
		}
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, []*ImportError{{File: name, Message: fmt.Sprintf("read: %v", err)}}
	}
	if opts.Cache != nil {
		return opts.Cache.load(name, data, opts)
	}
	return LoadFile(name, data, opts)
}

// IsDagFile reports whether LoadDir loads the bundle file name (a path
// under dags/): a YAML file.
func IsDagFile(name string) bool {
	ext := path.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

// LoadFile loads the documents of one file; name is its path relative to the
// bundle root, used in Dag.File and errors. Empty documents are skipped. A
// YAML syntax error fails the whole file (Doc is the document it is in).
func LoadFile(name string, data []byte, opts Options) ([]*Dag, []*ImportError) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			return nil, []*ImportError{{File: name, Doc: len(docs) + 1, Message: "invalid YAML: " + msg}}
		}
		docs = append(docs, &n)
	}
	var dags []*Dag
	var errs []*ImportError
	seen := map[string]int{}
	for i, doc := range docs {
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		p := &docParser{opts: opts, xcomOK: dagdeck.HasFeature(opts.RuntimeVersion, dagdeck.FeatureXCom)}
		dag, derr := p.parse(doc.Content[0])
		if first, dup := seen[p.dagID]; dup {
			derr = &docError{Msg: fmt.Sprintf("dag_id %q is already defined in document %d of this file", p.dagID, first)}
		} else if p.dagID != "" {
			seen[p.dagID] = i + 1
		}
		if derr != nil {
			errs = append(errs, &ImportError{File: name, Doc: i + 1, DagID: p.dagID, Task: derr.Task, Line: derr.Line, Message: derr.Msg})
			continue
		}
		dag.File, dag.Doc = name, i+1
		dags = append(dags, dag)
	}
	return dags, errs
}
