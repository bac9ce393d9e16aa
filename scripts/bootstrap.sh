# Sourced by build.sh and test.sh: create .venv and install the pinned dependencies.
# Re-installs only when requirements.lock changed (stamp holds its hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BRIEFINGS_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
if [[ ! -x "$PY" ]]; then
  python3 -m venv "$VENV"
fi
want="$(sha256sum "$ROOT/requirements.lock" | cut -d' ' -f1)"
have="$(cat "$VENV/.lock-hash" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
  "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.lock"
  echo "$want" > "$VENV/.lock-hash"
fi
export NO_MKDOCS_2_WARNING=1
