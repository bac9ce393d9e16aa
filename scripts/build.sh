#!/usr/bin/env bash
# Build the site from the bundled data into site/ (installs dependencies on first run).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROOT"
exec "$PY" build.py "$@"
