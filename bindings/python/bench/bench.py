"""Per-call overhead of the brisk module against the standard sqlite3 module, in one run.

Three workloads, each on both modules (in memory, same data):
- 100,000 `execute("SELECT ?", (i,))` calls, each followed by `fetchone()`: the latency of one
  call is timed, so the report has percentiles as well as the mean;
- `executemany` of 100,000 rows into a table, in one transaction;
- fetching 100,000 rows of three columns with `fetchall()`, and by iterating the cursor.

Run: `python bindings/python/bench/bench.py [--n N] [--repeat R]` with brisk installed (for
example after `bash bindings/python/test.sh`, from its virtual environment). Prints a Markdown
table: brisk's figure, sqlite3's, and their ratio (below 1 is brisk faster)."""

import argparse
import gc
import sqlite3
import statistics
import time

import brisk


def per_call_select(mod, n):
    con = mod.connect(":memory:")
    cur = con.cursor()
    samples = []
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        cur.execute("SELECT ?", (i,))
        cur.fetchone()
        samples.append(clock() - t0)
    con.close()
    samples.sort()
    return samples


def executemany(mod, n):
    con = mod.connect(":memory:")
    con.execute("CREATE TABLE t(a INTEGER, b TEXT, c REAL)")
    rows = [(i, f"row {i}", i * 0.5) for i in range(n)]
    t0 = time.perf_counter_ns()
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    con.commit()
    elapsed = time.perf_counter_ns() - t0
    con.close()
    return elapsed


def fetch(mod, n, how):
    con = mod.connect(":memory:")
    con.execute("CREATE TABLE t(a INTEGER, b TEXT, c REAL)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", ((i, f"row {i}", i * 0.5) for i in range(n)))
    con.commit()
    t0 = time.perf_counter_ns()
    cur = con.execute("SELECT a, b, c FROM t")
    if how == "fetchall":
        rows = cur.fetchall()
    else:
        rows = [r for r in cur]
    elapsed = time.perf_counter_ns() - t0
    assert len(rows) == n
    con.close()
    return elapsed


def pct(samples, q):
    return samples[min(len(samples) - 1, int(q * len(samples)))]


def fmt(ns):
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e9:.2f} s"


def best(fn, repeat):
    """The fastest of `repeat` runs (the one least disturbed by the rest of the machine)."""
    results = []
    for _ in range(repeat):
        gc.collect()
        results.append(fn())
    return min(results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.n, args.repeat
    mods = {"brisk": brisk, "sqlite3": sqlite3}

    rows = []
    # Per-call latency: the run with the lowest median.
    per_call = {}
    for name, mod in mods.items():
        runs = [per_call_select(mod, n) for _ in range(repeat)]
        per_call[name] = min(runs, key=lambda s: pct(s, 0.5))
    for label, q in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)]:
        b, s = pct(per_call["brisk"], q), pct(per_call["sqlite3"], q)
        rows.append((f"execute(\"SELECT ?\") + fetchone, {label}", b, s))
    b, s = statistics.fmean(per_call["brisk"]), statistics.fmean(per_call["sqlite3"])
    rows.append(("execute(\"SELECT ?\") + fetchone, mean", b, s))
    b, s = (best(lambda m=mods[k]: executemany(m, n), repeat) for k in ("brisk", "sqlite3"))
    rows.append((f"executemany, {n:,} rows (total)", b, s))
    for how in ("fetchall", "iterate"):
        b, s = (best(lambda m=mods[k]: fetch(m, n, how), repeat) for k in ("brisk", "sqlite3"))
        rows.append((f"fetch {n:,} rows by {how} (total)", b, s))

    print(f"brisk {brisk.sqlite_version} module against sqlite3 (SQLite {sqlite3.sqlite_version}), n = {n:,}, "
          f"best of {repeat}\n")
    print("| workload | brisk | sqlite3 | brisk / sqlite3 |")
    print("|---|---:|---:|---:|")
    for label, b, s in rows:
        print(f"| {label} | {fmt(b)} | {fmt(s)} | {b / s:.2f}× |")


if __name__ == "__main__":
    main()
