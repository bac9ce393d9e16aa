# Sourced by build.sh and test.sh: create .venv and install the locked dependencies.
# build.sh installs requirements.lock (what a build needs); test.sh sets BRIEFINGS_LOCKS to
# add requirements-dev.lock (pytest, ruff, mypy, zizmor ...). Every package is pinned with the
# hashes of its files and installed with --require-hashes. Re-installs only when a lock
# changed (a stamp in .venv holds the hash of each lock last installed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BRIEFINGS_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
read -r -a locks <<< "${BRIEFINGS_LOCKS:-requirements.lock}"
if [[ ! -x "$PY" ]]; then
  python3 -m venv "$VENV"
fi
stale=0
for lock in "${locks[@]}"; do
  want="$(sha256sum "$ROOT/$lock" | cut -d' ' -f1)"
  have="$(cat "$VENV/.stamp-$lock" 2>/dev/null || true)"
  [[ "$want" == "$have" ]] || stale=1
done
if ((stale)); then
  args=()
  for lock in "${locks[@]}"; do args+=(-r "$ROOT/$lock"); done
  "$PY" -m pip install --quiet --disable-pip-version-check --require-hashes "${args[@]}"
  for lock in "${locks[@]}"; do sha256sum "$ROOT/$lock" | cut -d' ' -f1 > "$VENV/.stamp-$lock"; done
fi
unset locks stale args want have
export NO_MKDOCS_2_WARNING=1
