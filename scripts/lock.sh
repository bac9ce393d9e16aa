#!/usr/bin/env bash
# Regenerate requirements.lock (runtime) and requirements-dev.lock (test and lint tools) from the
# pins in pyproject.toml: every package, transitive ones too, with the sha256 of each of its files.
# Versions already locked are kept (pip-compile reads the existing lock); pass --upgrade-package NAME
# to move one. Needs PyPI; pip-tools runs from a throwaway venv, never the project's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$(mktemp -d)"
trap 'rm -rf "$TOOLS"' EXIT
python3 -m venv "$TOOLS"
"$TOOLS/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.6.2
compile=("$TOOLS/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe
  --no-emit-index-url --no-emit-find-links "$@")
"${compile[@]}" --output-file requirements.lock pyproject.toml
# The dev lock is constrained by the runtime lock: a package in both has one version and one set of hashes.
"${compile[@]}" --extra dev --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml
