#!/usr/bin/env bash
# Called by the "greet" task of the hello DAG.
set -euo pipefail
echo "hello from dagdeck (greet v1)"
