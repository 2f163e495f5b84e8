#!/usr/bin/env bash
# Called by the "report" task of the hello DAG. Edit the version below,
# deploy, and the next run prints the new one; roll back and it prints v1.
set -euo pipefail
echo "report v1"
