#!/usr/bin/env bash
# Run every test (installs dependencies on first run). Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROOT"
"$PY" -m ruff check briefings tests build.py
set +e
"$PY" -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
if [[ $status -eq 5 ]]; then echo "no tests were collected" >&2; exit 1; fi
exit $status
