#!/bin/sh
# Benchmark our release cfssl/cfssljson against a reference cfssl (PATH, or
# CFSSL_REF/CFSSLJSON_REF).  Build first: `make bench` does both.
# Knobs: BENCH_ROUNDS (6), BENCH_RUNS (3), BENCH_OUT (keep hyperfine JSON),
# BENCH_ONLY (comma-separated row-name prefixes, e.g. BENCH_ONLY=gencrl).
exec python3 "$(dirname "$0")/bench.py" "$@"
