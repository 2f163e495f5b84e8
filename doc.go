// Package dagdeck holds the vocabulary of dagdeck: Deployments, their deploys,
// rollback plans, runtime versions, artifacts, tokens, the error type, the
// interfaces that adapters implement (metadata store, artifact store, runtime)
// and the services the transport calls, one interface per concern
// (services.go).
//
// It imports no adapter. The sqlite, postgres, file and s3 packages implement
// its storage interfaces; the service package implements the business rules
// on top of them, and its services; the server and ui packages call those
// services through Services, and server and client carry them over HTTP; only
// cmd/dagdeck wires everything together.
package dagdeck
