// Package testenv starts the real services that dagdeck's tests need, once
// per test binary and on 127.0.0.1 only: a throwaway PostgreSQL cluster
// (PostgresURL), an S3-compatible server (S3, versitygw), OCI registries
// (Registry and RegistryWithAuth, Distribution's docker-registry) and
// headless Chromium (Chromium); it also runs Prometheus's promtool on
// metrics scrapes (CheckMetrics). When a program is missing, tests that
// need it are skipped — unless the environment variable CI is "true",
// where they fail, so CI never passes without having run them.
// scripts/test installs them all.
package testenv
