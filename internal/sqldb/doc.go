// Package sqldb is the plumbing that the SQL metadata stores (sqlite and
// postgres) share: one implementation of dagdeck.Tx, the migration runner,
// and the encoding of times, string lists and errors.
//
// A backend describes its database with a Dialect: how it writes
// placeholders, how it stores times, which errors are constraint
// violations, and its statements (Queries). Every statement is written once,
// in Statements, with "?" placeholders; a backend rebinds the table once to
// its own placeholders (RebindQueries) and changes only a statement whose
// SQL really differs. The filtered list queries are assembled here from
// conditions on the columns both schemas share (where), and rows are read
// with queryAll.
//
// The locks (LockDeployment, LockGC) are each backend's: its Tx embeds
// *Tx and adds them.
package sqldb
