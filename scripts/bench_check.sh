#!/usr/bin/env bash
# Times the full built-in rule set on a generated package: `nrqc check` (release build), median
# wall time of RUNS runs and the largest peak resident memory, for each parcel count given.
#
#   scripts/bench_check.sh [N ...]        # default 100000 1000000; RUNS=3 by default
#
# Packages are written by `cargo run --release --example gen_fixtures -- --scale N DIR` under
# $BENCH_DIR (default /tmp/nrqc-bench) and reused when present; they are not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
dir=${BENCH_DIR:-/tmp/nrqc-bench}
mkdir -p "$dir"
cargo build --release --quiet --bin nrqc --example gen_fixtures
target=${CARGO_TARGET_DIR:-target}
nrqc=$target/release/nrqc
printf '%-10s %-10s %10s %12s %10s\n' parcels files_MB median_s peak_RSS_MB outcome
for n in "${@:-100000 1000000}"; do
  for count in $n; do
    out="$dir/scaled_$count"
    if ! ls "$out"/*/package.yaml >/dev/null 2>&1; then
      "$target"/release/examples/gen_fixtures --scale "$count" "$out" >&2
    fi
    pkg=$(dirname "$(ls "$out"/*/package.yaml | head -1)")
    size=$(du -sm "$pkg" | cut -f1)
    times=() peak=0 code=0
    for _ in $(seq "$runs"); do
      code=0
      /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$nrqc" check "$pkg" --quiet \
        --out "$dir/report_$count" || code=$?
      # time(1) puts a "Command exited with non-zero status" line first when nrqc fails.
      read -r secs kb < <(tail -1 "$dir/time.txt")
      times+=("$secs")
      [ "$kb" -gt "$peak" ] && peak=$kb
    done
    median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
    printf '%-10s %-10s %10s %12s %10s\n' "$count" "$size" "$median" "$((peak / 1024))" "exit $code"
  done
done
