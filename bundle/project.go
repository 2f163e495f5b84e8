package bundle

import (
	"os"

	"github.com/dagdeck/dagdeck"
)

// Project is a packed project folder.
type Project struct {
	Dir            string                 // the project's directory, absolute
	RuntimeVersion string                 // from the Dockerfile's FROM …:<version>
	Files          []dagdeck.ManifestFile // every included file, sorted by path

	paths map[string]string // digest → absolute path of one file with that content
	sizes map[string]int64  // digest → size of that content
}

// newProject builds a Project from hashed, sorted entries.
func newProject(dir, version string, entries []packEntry) *Project {
	p := &Project{
		Dir:            dir,
		RuntimeVersion: version,
		Files:          make([]dagdeck.ManifestFile, 0, len(entries)),
		paths:          make(map[string]string),
		sizes:          make(map[string]int64),
	}
	for _, e := range entries {
		p.Files = append(p.Files, e.file)
		if d := e.file.Digest; d != "" {
			if _, ok := p.paths[d]; !ok {
				p.paths[d] = e.abs
				p.sizes[d] = e.file.Size
			}
		}
	}
	return p
}

// Image returns the image manifest: every file except those under dags/
// when dagDeploy is true (the DAGs then ship as their own bundle); all files
// when false.
func (p *Project) Image(dagDeploy bool) *dagdeck.Manifest {
	return p.manifest(dagdeck.ManifestImage, func(path string) bool { return !dagDeploy || !dagdeck.IsDAGPath(path) })
}

// DAGs returns the DAG bundle manifest: the files under dags/.
func (p *Project) DAGs() *dagdeck.Manifest {
	return p.manifest(dagdeck.ManifestDAGs, dagdeck.IsDAGPath)
}

// manifest returns a manifest of the given kind with the files keep accepts.
func (p *Project) manifest(kind string, keep func(path string) bool) *dagdeck.Manifest {
	m := &dagdeck.Manifest{Kind: kind, Files: []dagdeck.ManifestFile{}}
	for _, f := range p.Files {
		if keep(f.Path) {
			m.Files = append(m.Files, f)
		}
	}
	return m
}

// Open opens the local file holding the content with this digest, for
// uploading it. It returns ENOTFOUND if no file of the project has that
// content. The file may have changed since Pack; the artifact store checks
// the digest of what it receives.
func (p *Project) Open(digest string) (*os.File, error) {
	path, ok := p.paths[digest]
	if !ok {
		return nil, dagdeck.Errorf(dagdeck.ENOTFOUND, "no file in project %s has digest %s", p.Dir, digest)
	}
	return os.Open(path)
}

// Size returns the total size of the contents with these digests, counting
// each digest listed once per listing (for a progress bar). Unknown digests
// count 0.
func (p *Project) Size(digests []string) int64 {
	var n int64
	for _, d := range digests {
		n += p.sizes[d]
	}
	return n
}
