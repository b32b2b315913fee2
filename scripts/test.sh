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

# SQLite's sqllogictest corpus, in release mode, over every file. The floor is the number of
# records Brisk passes today; it only goes up (the records still failing need triggers, TEMP
# views and REINDEX). `slt` exits non-zero while any record fails, so its summary is checked here.
corpus="${SLT_CORPUS:-../shared/sqllogictest}"
slt_floor=340541
if [ -d "$corpus" ]; then
    cargo build --release -p sqlite-tests --bin slt
    target_dir="${CARGO_TARGET_DIR:-target}"
    set +e
    "$target_dir/release/slt" --engine brisk --timeout-secs-per-file 300 --failures-out slt-failures.txt "$corpus" > slt-report.txt 2>&1
    set -e
    summary=$(tail -n 1 slt-report.txt)
    echo "sqllogictest: $summary (floor $slt_floor passed; failures in slt-failures.txt)"
    passed=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    if [ -z "$passed" ] || [ "$passed" -lt "$slt_floor" ]; then
        tail -n 40 slt-report.txt
        echo "sqllogictest fell below the floor of $slt_floor passing records"
        exit 1
    fi
else
    echo "sqllogictest corpus not found at $corpus: skipped"
fi

# The tests compare against bundled SQLite (rusqlite) and Debian's sqlite3 shell.
cargo test --workspace --all-targets
