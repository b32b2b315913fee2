#!/usr/bin/env bash
# Builds the brisk Python module and runs its tests against both sqlite3 and brisk.
#
# Creates bindings/python/.venv when missing (python3 -m venv), installs maturin and pytest
# from PyPI, builds and installs the extension with `maturin develop --release`, then runs
# pytest. Needs only python3 (3.9 or later, with venv), a Rust toolchain, PyPI and crates.io.
# Extra arguments go to pytest (e.g. `bindings/python/test.sh -k row -x`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "maturin>=1.5,<2" pytest
maturin develop --release
python -m pytest -q tests "$@"
