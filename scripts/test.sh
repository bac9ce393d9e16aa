#!/usr/bin/env bash
# Run every test: ruff, mypy, then pytest (installs dependencies on first run). Extra arguments go to pytest.
BRIEFINGS_LOCKS="requirements.lock requirements-dev.lock"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
cd "$ROOT"
# Browser tests need Debian's Chromium and axe-core from npm (never a tool's own browser download).
if [[ "${BRIEFINGS_SKIP_BROWSER:-0}" != "1" ]]; then
  need=()
  # BRIEFINGS_CHROMIUM names another system Chromium or Chrome (e.g. on a CI runner image).
  [[ -x "${BRIEFINGS_CHROMIUM:-/usr/bin/chromium}" ]] || need+=(chromium)
  command -v npm >/dev/null || need+=(npm)
  if ((${#need[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "installing ${need[*]} with apt-get" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "missing ${need[*]}: install them (sudo apt-get install ${need[*]}) or set BRIEFINGS_SKIP_BROWSER=1" >&2
      exit 1
    fi
  fi
  if [[ ! -f tests/browser/node_modules/axe-core/axe.min.js ]]; then
    npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
  fi
fi
"$PY" -m ruff check briefings tests build.py scripts bench
"$PY" -m mypy briefings
set +e
# Every layer: the fast unit tests and the slow ones that build sites and drive a browser.
"$PY" -m pytest -m "slow or not slow" "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
if [[ $status -eq 5 ]]; then echo "no tests were collected" >&2; exit 1; fi
exit $status
