#!/usr/bin/env bash
# Called by the nightly_cleanup DAG: "list" or "remove" files older than
# KEEP_DAYS days (default 7) in a scratch directory outside the code.
set -euo pipefail
mode="${1:-list}"
days="${KEEP_DAYS:-7}"
scratch="${TMPDIR:-/tmp}/dagdeck-hello"
echo "cleanup v1: ${mode} files older than ${days} days in ${scratch}"
mkdir -p "${scratch}"
if [ "${mode}" = remove ]; then
  find "${scratch}" -type f -mtime "+${days}" -print -delete
else
  find "${scratch}" -type f -mtime "+${days}" -print
fi
