// Package sqldb is the plumbing that the SQL metadata stores (sqlite and
// postgres) share: one implementation of dagdeck.Tx, the migration runner,
// and the encoding of times, string lists and errors.
//
// A backend describes its database with a Dialect: how it writes
// placeholders, how it stores times, which errors are constraint
// violations, and its statements (Queries), which stay in the backend's
// package because their SQL is its own. This package only assembles the
// filtered list queries, from conditions on the columns both schemas share,
// and the statements of its own table, schema_migrations.
//
// The locks (LockDeployment, LockGC) are each backend's: its Tx embeds
// *Tx and adds them.
package sqldb
