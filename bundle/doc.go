// Package bundle turns a user's project folder into content-addressed
// manifests and turns manifests back into files, safely.
//
// Pack walks a project (honouring .dagdeckignore, a gitignore-syntax file),
// hashes every file in parallel and splits the result into the image
// manifest and the DAG bundle manifest. A Pool writes manifests into new
// directories atomically, as hard links to verified, read-only files it
// keeps by content, refusing anything that could write outside the target.
// WriteTarGz streams a deterministic tar.gz of a manifest, and Diff
// compares two manifests.
//
// The package uses the standard library, the root dagdeck package,
// internal/fsync and x/sys (linkat) only.
package bundle
