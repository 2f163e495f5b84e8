package localruntime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
	"github.com/dagdeck/dagdeck/dagfile"
)

// version is one code state of a Deployment, materialized and parsed.
type version struct {
	deploy *dagdeck.Deploy
	// key names the version directory: a digest of the code (image and DAG
	// bundle), so deploys with the same code share one directory.
	key  string
	dir  string
	dags []*dagfile.Dag
	errs []*dagfile.ImportError
	// build, while not nil, is building or checking dir: the version is
	// current before its directory is ready (see versionSet.use and
	// versionSet.prepare), and no try starts until the build or check is
	// done (worker.codeReady).
	build *build
	// reported is set once the DAGs are reported to the control plane.
	reported bool
}

// dag returns the DAG with that id, or nil.
func (v *version) dag(id string) *dagfile.Dag {
	for _, d := range v.dags {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// task returns the task of the DAG with that id, or nil.
func (v *version) task(dagID, taskID string) *dagfile.Task {
	if d := v.dag(dagID); d != nil {
		return d.Task(taskID)
	}
	return nil
}

// versionSet manages a Deployment's version directories:
//
//	<root>/versions/<key>/           one per code state
//	<root>/versions/.trash-<key>-*/  being removed
//
// A directory appears whole (the pool, bundle.Pool, builds it aside, then
// renames it) and leaves whole (renamed to .trash-… before its removal
// starts, and the trash is swept at start), so while the process runs a
// directory that is present is complete. After a crash one may not be (its
// entries are not fsynced): its stamp, recorded only once its files are
// durable, is then missing or does not match, and it is rebuilt. Its
// files are read-only (with a task user, the whole tree is
// owned by the runtime and only readable by the Deployment's tasks: the
// pool's group is theirs), and a stamp of every entry's metadata, kept in the data
// directory, is checked before a directory is used again: one that changed
// since it was built (touched by hand, or by a task running as the
// runtime's user) is rebuilt from the archived artifacts. The pointer to
// the current version is the worker's; it may switch before the directory
// is ready (see use), and no try starts until it is (worker.codeReady).
//
// A directory is removed only when it is neither current nor used by a
// running try, and is not one of the keep most recently activated. Each
// activation sets its directory's modification time, so the most recent
// are known after a restart too.
type versionSet struct {
	root    string // <CodeDir>/<deployment-id>: versions/ holds the directories
	state   string // <DataDir>/runtime/<deployment-id>: stamps/ holds their stamps
	backend dagdeck.RuntimeBackend
	keep    int
	current string
	swept   bool
	// group, when set, returns the group of the Deployment's tasks, which
	// then run as another user: directories are locked down for it.
	group func() (uint32, error)
	// parsed caches parsed Dag files by content, so activating a version
	// parses only files no version had.
	parsed *dagfile.Cache
	// loaded caches what each version directory's DAGs loaded to, by key
	// and runtime version, while the directory stays: activating it again
	// (a rollback) reads no file.
	loaded map[loadKey]loadedDags
	// pool holds the plain files the version directories link (see
	// bundle.Pool); made on first use, when the task group is known.
	pool *bundle.Pool
	// pruned is false while the pool may hold files no directory links:
	// at start, and after a directory was removed.
	pruned bool
	// pendingStamps are the stamps of directories just built, by key,
	// until their files are durable and the stamps written (makeDurable).
	pendingStamps map[string]string
	// background runs the work that makes a built directory durable: on a
	// goroutine the runtime waits for when it closes (the worker sets it),
	// or at once.
	background func(func())
	// builds are the directories being built, by key, until reap takes
	// them in.
	builds map[string]*build
	// failedBuild is the key of the last build that failed, until one of
	// it succeeds: its activation waits for the build, so that a switch the
	// runtime cannot finish is not reported again and again.
	failedBuild string
	// spawn runs a build: on a goroutine the runtime waits for when it
	// closes (the worker sets it). wake is called when one is done.
	spawn func(func())
	wake  func()
	log   *slog.Logger
	// built is the directory built and stamped last, and for which deploy:
	// the next activation, if it is that deploy's or a rollback to it and
	// comes at once, uses the directory without checking its stamp again.
	built builtDir
}

// build is a version directory the pool builds in the background, or one
// that existed being checked against its stamp (startCheck).
type build struct {
	deploy *dagdeck.Deploy // nil for a check
	key    string
	// changed is the outcome of a check: the directory no longer matches
	// its stamp.
	changed bool
	// digests are the content digests of the code's files, by path.
	digests map[string]string
	// plainDags is true when no symlink is under dags/: the Dag files are
	// then loaded from the parse cache alone as LoadDir would load them from
	// the directory (a symlink it follows).
	plainDags bool
	done      chan struct{} // closed once the fields below are set
	stamp     string
	err       error
	took      time.Duration
}

// finished reports whether b is done.
func (b *build) finished() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

type loadKey struct{ key, runtimeVersion string }

type loadedDags struct {
	dags []*dagfile.Dag
	errs []*dagfile.ImportError
}

func newVersionSet(root, state string, backend dagdeck.RuntimeBackend, keep int) *versionSet {
	return &versionSet{root: root, state: state, backend: backend, keep: keep,
		parsed: dagfile.NewCache(), loaded: map[loadKey]loadedDags{}, pendingStamps: map[string]string{},
		builds: map[string]*build{}, background: func(f func()) { f() }, spawn: func(f func()) { go f() }, wake: func() {},
		log: slog.New(slog.DiscardHandler)}
}

// versionKey is the directory name of d's code state.
func versionKey(d *dagdeck.Deploy) string {
	sum := sha256.Sum256([]byte(d.ImageDigest + "\n" + d.DagBundleDigest))
	return hex.EncodeToString(sum[:16])
}

func (vs *versionSet) dir(key string) string { return filepath.Join(vs.root, "versions", key) }

// prepare returns the version of d's code: its directory, built once per
// code state (again if it changed since), and its DAGs. inUse counts the
// running tries per key: a changed directory they use is set aside, not
// removed. A directory still to build is built in the background; see use.
func (vs *versionSet) prepare(ctx context.Context, d *dagdeck.Deploy, inUse map[string]int) (*version, error) {
	vs.sweep()
	vs.reap()
	key := versionKey(d)
	justBuilt := vs.built.isFor(d, key, time.Now())
	vs.built = builtDir{} // good for the next activation only
	if b := vs.builds[key]; b != nil {
		return vs.use(ctx, d, b)
	}
	dir := vs.dir(key)
	if _, err := os.Stat(dir); err == nil {
		if justBuilt {
			// Built and stamped on this worker for this deploy (or the one
			// it rolls back to), which committed meanwhile: a check now
			// would catch only a change made in those moments, as one made
			// a moment later escapes it.
			return vs.load(d, key, nil), nil
		}
		pending := vs.pendingStamps[key]
		if l, ok := vs.loaded[loadKey{key, d.RuntimeVersion}]; ok {
			// Its DAGs are known (a rollback to a directory kept): the
			// switch waits for no file, and the directory is checked beside
			// it; codeReady rebuilds it if it changed.
			return &version{deploy: d, key: key, dir: dir, dags: l.dags, errs: l.errs, build: vs.startCheck(key, pending)}, nil
		}
		// Check the directory while its DAGs load: the activation waits for both.
		unchanged := make(chan bool, 1)
		go func() { unchanged <- vs.unchanged(key, pending) }()
		v := vs.load(d, key, nil)
		if <-unchanged {
			return v, nil
		}
		vs.retire(key, inUse[key] > 0)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b, err := vs.startBuild(ctx, d)
	if err != nil {
		return nil, err
	}
	return vs.use(ctx, d, b)
}

// use returns the version of d, whose directory b builds. When the parse
// cache knows every Dag file of it (code that ran before: a rollback), the
// version is returned at once with its DAGs, and its directory follows:
// the switch costs no file, and the tries that need the directory wait
// for it (worker.codeReady). Otherwise the pool parses the Dag files as it
// copies them in, and use waits for the build.
func (vs *versionSet) use(ctx context.Context, d *dagdeck.Deploy, b *build) (*version, error) {
	v, ok := vs.cached(d, b)
	if ok && !b.finished() {
		return v, nil
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	vs.reap() // records what the version loads to
	if b.err != nil {
		return nil, b.err
	}
	return vs.load(d, b.key, b.digests), nil
}

// cached returns the version of d, whose directory b builds (its build
// set), with its DAGs from the parse cache alone: ok is false when the
// cache lacks a Dag file, dags/ holds a symlink, or b's key failed to build
// last time (then the activation waits for the build).
func (vs *versionSet) cached(d *dagdeck.Deploy, b *build) (*version, bool) {
	if !b.plainDags || vs.failedBuild == b.key {
		return nil, false
	}
	dags, errs, ok := dagfile.LoadCached(b.digests, dagfile.Options{RuntimeVersion: d.RuntimeVersion, Cache: vs.parsed})
	if !ok {
		return nil, false
	}
	vs.loaded[loadKey{b.key, d.RuntimeVersion}] = loadedDags{dags, errs}
	return &version{deploy: d, key: b.key, dir: vs.dir(b.key), dags: dags, errs: errs, build: b}, true
}

// prepareAhead starts building d's directory unless it exists, and
// returns the build of it (nil when it exists): the activation that
// follows then finds it built, or being built.
func (vs *versionSet) prepareAhead(ctx context.Context, d *dagdeck.Deploy) (*build, error) {
	vs.reap()
	key := versionKey(d)
	if b := vs.builds[key]; b != nil {
		return b, nil
	}
	if _, err := os.Stat(vs.dir(key)); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	vs.sweep()
	return vs.startBuild(ctx, d)
}

// builtDir is a directory just built (versionSet.built).
type builtDir struct {
	deployID, key string
	at            time.Time
}

// builtFresh is how long after a directory was built its activation may
// skip the stamp check: a deploy or rollback activates it moments after.
const builtFresh = 10 * time.Second

// isFor reports whether the activation of d, whose directory is key, at
// now, is the one b was built for: d is b's deploy, or a rollback to it,
// and it comes at once.
func (b builtDir) isFor(d *dagdeck.Deploy, key string, now time.Time) bool {
	return b.key != "" && b.key == key && (b.deployID == d.ID || b.deployID == d.RollbackFromID) &&
		now.Sub(b.at) < builtFresh
}

// load reads the DAGs of the version directory key; digests, when known,
// gives its files' content digests (path → digest), so a Dag file parsed
// before is not even read.
func (vs *versionSet) load(d *dagdeck.Deploy, key string, digests map[string]string) *version {
	dir := vs.dir(key)
	lk := loadKey{key, d.RuntimeVersion}
	l, ok := vs.loaded[lk]
	if !ok {
		l.dags, l.errs = dagfile.LoadDir(os.DirFS(dir), dagfile.Options{RuntimeVersion: d.RuntimeVersion, Cache: vs.parsed, Digests: digests})
		vs.loaded[lk] = l
	}
	return &version{deploy: d, key: key, dir: dir, dags: l.dags, errs: l.errs}
}

// forget drops what the version directory key loaded to.
func (vs *versionSet) forget(key string) {
	for lk := range vs.loaded {
		if lk.key == key {
			delete(vs.loaded, lk)
		}
	}
}

// sweep removes, once, what removals a crash interrupted left in the trash.
func (vs *versionSet) sweep() {
	if vs.swept {
		return
	}
	vs.swept = true
	entries, _ := os.ReadDir(filepath.Join(vs.root, "versions"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), trashPrefix) {
			removeTree(filepath.Join(vs.root, "versions", e.Name()))
		}
	}
}

const trashPrefix = ".trash-"

// startBuild starts building d's directory in the background: the pool
// (see bundle.Pool) links its files into a temporary directory, copying
// and verifying only those it lacks, then renames it. Dag files the pool
// copies in are parsed on the way, while other files are written:
// activating the version then parses nothing.
func (vs *versionSet) startBuild(ctx context.Context, d *dagdeck.Deploy) (*build, error) {
	if err := vs.makeVersionsDir(); err != nil {
		return nil, err
	}
	pool, err := vs.codePool()
	if err != nil {
		return nil, err
	}
	ms, err := vs.manifests(ctx, d)
	if err != nil {
		return nil, err
	}
	b := &build{deploy: d, key: versionKey(d), digests: map[string]string{}, plainDags: true, done: make(chan struct{})}
	dagPaths := map[string][]string{}
	for _, m := range ms {
		for _, f := range m.Files {
			if f.Digest != "" {
				b.digests[f.Path] = f.Digest
			}
			if !dagdeck.IsDAGPath(f.Path) {
				continue
			}
			if f.Mode.Type() != 0 {
				b.plainDags = false
			} else if dagfile.IsDagFile(f.Path) {
				dagPaths[f.Digest] = append(dagPaths[f.Digest], f.Path)
			}
		}
	}
	opts := dagfile.Options{RuntimeVersion: d.RuntimeVersion}
	open := func(digest string) (io.ReadCloser, error) {
		rc, err := vs.backend.OpenBlob(ctx, digest)
		if err != nil || dagPaths[digest] == nil {
			return rc, err
		}
		return &parseAhead{rc: rc, parse: func(data []byte) {
			for _, p := range dagPaths[digest] {
				vs.parsed.Parse(p, data, opts)
			}
		}}, nil
	}
	vs.builds[b.key] = b
	vs.spawn(func() {
		start := time.Now()
		stamp, err := pool.Materialize(ctx, "versions/"+b.key, open, ms...)
		if err != nil {
			err = fmt.Errorf("materialize the code of %s: %w", d, err)
		}
		b.stamp, b.err, b.took = stamp, err, time.Since(start)
		close(b.done)
		vs.wake()
	})
	return b, nil
}

// startCheck checks the directory key against its stamp (pending, or the
// one recorded) in the background: the build it returns is done when the
// check is, changed if the directory no longer matches.
func (vs *versionSet) startCheck(key, pending string) *build {
	b := &build{key: key, done: make(chan struct{})}
	vs.spawn(func() {
		b.changed = !vs.unchanged(key, pending)
		close(b.done)
		vs.wake()
	})
	return b
}

// rebuild sets aside d's directory, which changed since it was built
// (inUse counts the running tries per key: one they use is not removed),
// and starts building it afresh.
func (vs *versionSet) rebuild(ctx context.Context, d *dagdeck.Deploy, inUse map[string]int) (*build, error) {
	key := versionKey(d)
	vs.retire(key, inUse[key] > 0)
	return vs.startBuild(ctx, d)
}

// reap takes in the builds that are done: a directory built is made
// durable (makeDurable) and counts as just built for the next activation.
func (vs *versionSet) reap() {
	for key, b := range vs.builds {
		if !b.finished() {
			continue
		}
		delete(vs.builds, key)
		if b.err != nil {
			vs.log.Warn("runtime: build code folder", "deploy", b.deploy.ID, "folder", key, "took", b.took, "err", b.err)
			vs.failedBuild = key
		} else {
			vs.log.Info("runtime: built code folder", "deploy", b.deploy.ID, "folder", key, "took", b.took)
			if vs.failedBuild == key {
				vs.failedBuild = ""
			}
			// What it loads to is known now (the build parsed its new Dag
			// files): its activation, maybe the worker's own on a tick,
			// reads no file.
			if _, ok := vs.cached(b.deploy, b); !ok {
				vs.load(b.deploy, key, b.digests)
			}
			vs.makeDurable(vs.pool, key, b.stamp)
			vs.built = builtDir{deployID: b.deploy.ID, key: key, at: time.Now()}
		}
	}
}

// makeDurable makes the pool files the new directory key links durable
// and then records its stamp, in the background: the directory is used at
// once, and only a crash before its stamp is written costs a rebuild (a
// directory without a stamp counts as changed). Meanwhile the stamp is
// checked from memory.
func (vs *versionSet) makeDurable(pool *bundle.Pool, key, stamp string) {
	vs.pendingStamps[key] = stamp
	vs.background(func() {
		if err := pool.SyncNew(); err != nil {
			return // no stamp: the directory is rebuilt when it is next checked
		}
		_ = vs.writeStamp(key, stamp)
	})
}

// codePool returns the pool of the Deployment's code files: <root>/pool,
// its index in the data directory. With a task group its files are that
// group's, read-only.
func (vs *versionSet) codePool() (*bundle.Pool, error) {
	if vs.pool != nil {
		return vs.pool, nil
	}
	group := -1
	if vs.group != nil {
		gid, err := vs.group()
		if err != nil {
			return nil, err
		}
		group = int(gid)
	}
	vs.pool = bundle.NewPool(vs.root, filepath.Join(vs.state, "pool.json"), group)
	return vs.pool, nil
}

// makeVersionsDir creates <root>/versions, readable by the Deployment's
// tasks when they run as another user.
func (vs *versionSet) makeVersionsDir() error {
	versions := filepath.Join(vs.root, "versions")
	if vs.group == nil {
		return os.MkdirAll(versions, 0o700)
	}
	gid, err := vs.group()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(versions, 0o750); err != nil {
		return err
	}
	return lockDownDir(versions, gid)
}

// retire sets a version directory that changed since it was built aside,
// into the trash, and removes it unless running tries still use it (the
// trash is swept at the next start then).
func (vs *versionSet) retire(key string, used bool) {
	vs.forget(key)
	vs.removeStamp(key)
	vs.pruned = false
	trash := filepath.Join(vs.root, "versions", trashPrefix+key+"-"+dagdeck.NewID())
	if err := os.Rename(vs.dir(key), trash); err != nil {
		removeTree(vs.dir(key))
		return
	}
	if !used {
		removeTree(trash)
	}
}

// removeTree removes a directory tree, making its directories writable
// first where a task left them read-only.
func removeTree(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	_ = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
}

// manifests loads d's image and DAG bundle manifests, as
// dagdeck.CodeManifests combines them: when both exist, the bundle owns
// dags/ and the image's dags/ files (from a time DAG deploys were disabled)
// are left out.
func (vs *versionSet) manifests(ctx context.Context, d *dagdeck.Deploy) ([]*dagdeck.Manifest, error) {
	var image, dags *dagdeck.Manifest
	var err error
	if d.ImageDigest != "" {
		if image, err = vs.manifest(ctx, d.ImageDigest); err != nil {
			return nil, err
		}
	}
	if d.DagBundleDigest != "" {
		if dags, err = vs.manifest(ctx, d.DagBundleDigest); err != nil {
			return nil, err
		}
	}
	return dagdeck.CodeManifests(image, dags)
}

func (vs *versionSet) manifest(ctx context.Context, digest string) (*dagdeck.Manifest, error) {
	rc, err := vs.backend.OpenBlob(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("open manifest %s: %w", digest, err)
	}
	defer rc.Close()
	return dagdeck.DecodeManifest(rc, digest)
}

// setCurrent records v as the current version and marks its directory as
// the most recently activated. The mark is a file time, so it is the wall
// clock's: collect compares it with the times of directories just
// materialized, which the file system dates itself.
func (vs *versionSet) setCurrent(v *version) {
	vs.current = v.key
	if v.build != nil {
		return // dated by its build; codeReady calls again
	}
	now := time.Now()
	_ = os.Chtimes(v.dir, now, now)
}

// collect removes the version directories that are not current, not used
// by a running try (inUse counts tries per key) and not among the keep
// most recently activated. Unknown entries (a materialization a crash
// interrupted) go too. Each is renamed into the trash first, so a removal
// a crash interrupts never leaves a partial directory under its key.
func (vs *versionSet) collect(inUse map[string]int) {
	if len(vs.builds) > 0 {
		return // not while a build's temporary directory may be taken for a crash's
	}
	vs.sweep()
	versions := filepath.Join(vs.root, "versions")
	entries, err := os.ReadDir(versions)
	if err != nil {
		return
	}
	type dir struct {
		name string
		mod  time.Time
	}
	var candidates []dir
	for _, e := range entries {
		if e.Name() == vs.current || inUse[e.Name()] > 0 || strings.HasPrefix(e.Name(), trashPrefix) {
			continue
		}
		var mod time.Time
		if fi, err := e.Info(); err == nil {
			mod = fi.ModTime()
		}
		candidates = append(candidates, dir{e.Name(), mod})
	}
	slices.SortFunc(candidates, func(a, b dir) int { return b.mod.Compare(a.mod) })
	for i, c := range candidates {
		if i < vs.keep && !strings.Contains(c.name, ".tmp-") {
			continue
		}
		trash := filepath.Join(versions, trashPrefix+c.name)
		_ = os.RemoveAll(trash)
		if err := os.Rename(filepath.Join(versions, c.name), trash); err != nil {
			continue
		}
		vs.removeStamp(c.name)
		vs.forget(c.name)
		removeTree(trash)
		vs.pruned = false
	}
	if pool, err := vs.codePool(); err == nil && !vs.pruned {
		vs.pruned = pool.Prune() == nil
	}
}

// parseAhead reads a Dag file's content for the pool and, once it has read
// all of it, hands it to parse. A file larger than maxParseAhead is left to
// LoadDir.
type parseAhead struct {
	rc    io.ReadCloser
	parse func([]byte)
	buf   []byte
	eof   bool
	over  bool
}

const maxParseAhead = 4 << 20

func (p *parseAhead) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	if !p.over {
		if len(p.buf)+n > maxParseAhead {
			p.over, p.buf = true, nil
		} else {
			p.buf = append(p.buf, b[:n]...)
		}
	}
	if err == io.EOF {
		p.eof = true
	}
	return n, err
}

// Close closes the content and parses it if it was read whole.
func (p *parseAhead) Close() error {
	if p.eof && !p.over {
		p.parse(p.buf)
	}
	return p.rc.Close()
}
