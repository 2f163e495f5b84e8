// Package dagdeck holds the vocabulary of dagdeck: Deployments, their deploys,
// rollback plans, runtime versions, artifacts, tokens, the error type and the
// interfaces that adapters implement (metadata store, artifact store, runtime).
//
// It imports no adapter. The sqlite, postgres, file and s3 packages implement
// its storage interfaces; the service package implements the business rules
// on top of them; the server and client packages carry them over HTTP; only
// cmd/dagdeck wires everything together.
package dagdeck
