// Package bundle turns a user's project folder into content-addressed
// manifests and turns manifests back into files, safely.
//
// Pack walks a project (honouring .dagdeckignore, a gitignore-syntax file),
// hashes every file in parallel and splits the result into the image
// manifest and the DAG bundle manifest. Materialize writes manifests into a
// new directory atomically, verifying every blob's digest and refusing
// anything that could write outside the target. WriteTarGz streams a
// deterministic tar.gz of a manifest, and Diff compares two manifests.
//
// The package uses only the standard library and the root dagdeck package.
package bundle
