#!/usr/bin/env bash
# Runs the fuzz targets, each for SECONDS (default 30): `bash fuzz/run.sh [SECONDS] [TARGET...]`.
# Targets (bodies in sqlite-tests/src/fuzzing.rs): sql, db_file, record, btree, differential.
#
# Uses the nightly toolchain with AddressSanitizer when one is installed, and otherwise stable
# with `-s none` (no sanitizer, still coverage-guided). Installs cargo-fuzz when missing. Each
# target starts from its seed corpus in fuzz/corpus/TARGET (read, never written) and keeps what
# it finds in a work directory (FUZZ_WORK, default a fresh temporary one). A crash leaves its
# input in fuzz/artifacts/TARGET/ and makes the script fail: copy the input to
# fuzz/regressions/TARGET/ when fixing the bug, so `cargo test -p sqlite-tests --test
# fuzz_regressions` replays it from then on.
#
# For hours on end: `bash fuzz/run.sh 3600 sql` (one target), or FUZZ_JOBS=2 for two processes.
# FUZZ_STABLE=1 uses stable even where nightly is installed; FUZZ_SEED sets libFuzzer's seed;
# FUZZ_RUNS caps the number of inputs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
export PATH="$HOME/.cargo/bin:$PATH"

secs="${1:-30}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sql db_file record btree differential)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --quiet cargo-fuzz
if [ "${FUZZ_STABLE:-0}" != 1 ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
    sanitizer=()
else
    toolchain=()
    sanitizer=(-s none)
fi

work="${FUZZ_WORK:-$(mktemp -d /tmp/brisk-fuzz-XXXX)}"
# Several processes only when asked: with -jobs, libFuzzer writes each job's output to
# fuzz-N.log in the current directory instead.
parallel=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi
# FUZZ_RUNS caps the inputs tried (the seed corpus is run first): a bounded, repeatable run.
if [ -n "${FUZZ_RUNS:-}" ]; then
    parallel+=(-runs="$FUZZ_RUNS")
fi
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    echo "== fuzz $t for ${secs}s (${toolchain[*]:-stable} ${sanitizer[*]:-with ASan}; new inputs in $work/$t)"
    log="$work/$t.log"
    set +e
    cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -seed="${FUZZ_SEED:-1}" \
        "${parallel[@]}" -print_final_stats=1 > "$log" 2>&1
    status=$?
    set -e
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY)|panicked|Test unit written' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log"
        echo "fuzz $t: failed (the input is in fuzz/artifacts/$t/; the whole log in $log)"
        exit 1
    fi
done
