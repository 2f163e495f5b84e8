// Package gitrepo serves a Deployment's deploy history as a read-only git
// repository over git's smart HTTP protocol (upload-pack, protocol v0 and
// v2), so that git clients, Airflow's GitDagBundle and git-sync can follow
// it.
//
// Nothing is stored in git's formats: every object is built, deterministically,
// from recorded data. A tree comes from a deploy's manifests (path, mode,
// content digest), a commit from the deploy record, and a blob's content is
// read from the artifact store by its SHA-256 digest. Packs are streamed
// undeltified, one object at a time, so serving never holds a whole pack or
// all blobs in memory.
//
// The history is linear: one commit per DEPLOYED deploy, each the parent of
// the next. When older commits can no longer be built (their artifacts were
// pruned), the repository is shallow at the oldest commit it can still serve
// whole, as a shallow git repository is.
package gitrepo
