#!/usr/bin/env bash
# Installs what the tests need on a fresh machine, then runs every test.
# Used by the README's test command and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq "${need_apt[@]}"
    fi
fi

# SQLite's sqllogictest corpus, in release mode, over every file: every record that applies to
# SQLite must pass (`slt` exits non-zero when one fails; failures go to slt-failures.txt).
corpus="${SLT_CORPUS:-../shared/sqllogictest}"
if [ -d "$corpus" ]; then
    cargo build --release -p sqlite-tests --bin slt
    target_dir="${CARGO_TARGET_DIR:-target}"
    if ! "$target_dir/release/slt" --engine brisk --timeout-secs-per-file 300 --failures-out slt-failures.txt "$corpus" > slt-report.txt 2>&1; then
        tail -n 40 slt-report.txt
        echo "sqllogictest: records failed (details in slt-failures.txt)"
        exit 1
    fi
    echo "sqllogictest: $(tail -n 1 slt-report.txt)"
else
    echo "sqllogictest corpus not found at $corpus: skipped"
fi

# The tests compare against bundled SQLite (rusqlite) and Debian's sqlite3 shell.
cargo test --workspace --all-targets
# The Python module: a virtual environment with maturin and pytest, the extension built and
# installed, and its tests run against both the standard sqlite3 module and brisk.
bash bindings/python/test.sh
# The WebAssembly build: the wasm32 target, wasm-bindgen-cli at Cargo.lock's version, Debian's
# chromium and the Node test packages when missing; then its Node, TypeScript and browser tests.
bash bindings/wasm/test.sh
# Each fuzz target for a short while (fuzz/run.sh: cargo-fuzz, installed when missing; nightly
# with AddressSanitizer where installed, else stable without a sanitizer). Longer runs: TESTING.md.
bash fuzz/run.sh 20 sql db_file record btree
# The differential target only over its seed corpus here: fresh generator seeds can land in a
# difference COMPAT.md already lists, which would fail CI at random; the generator's fixed seeds
# run in tests/differential.rs, and long differential fuzzing is on demand (TESTING.md).
FUZZ_RUNS=8 bash fuzz/run.sh 20 differential
# The latency benchmark's smoke test: every workload on both engines, small sizes (under a minute).
cargo run --release -p brisk-perf -- --quick --out "${CARGO_TARGET_DIR:-target}/perf-quick" > /dev/null
