// Package testsupport holds what dagdeck's tests share and the binary never
// ships: testenv starts the real services tests need (PostgreSQL, an S3
// server, a registry, Chromium), apitest builds projects and drives a
// server through the API. Production code lives in the other packages and
// in internal/ (sqldb, humanize).
package testsupport
