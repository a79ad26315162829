#!/usr/bin/env bash
# Wall time and peak memory of `shredmit lint --all-tables` on a bigquery-etl sql/ tree.
# Usage: tools/bench_lint.sh SQL_DIR [RUNS=5] [JOBS=2]
# Each run lints every table folder with every rule that applies to it (SM005, SM008 and the
# backfill rules on all tables, every rule on tables set up for shredder mitigation) and discards
# the findings. Prints each run's wall seconds and the summary line, then the best and median
# wall seconds and the largest peak resident set size (parent process; each worker process
# reads its own share), read from GNU time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: tools/bench_lint.sh SQL_DIR [RUNS] [JOBS]}"
runs="${2:-5}"
jobs="${3:-2}"
[ -x build/shredmit ] || tools/setup.sh build
[ -x /usr/bin/time ] || { echo "bench_lint: needs GNU time (apt-get install time)" >&2; exit 2; }
times=()
peak_kb=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for _ in $(seq "$runs"); do
  # Exit status 1 (error findings) is expected on a real tree.
  /usr/bin/time -f '%e %M' -o "$tmp" build/shredmit lint "$dir" --all-tables --jobs "$jobs" \
    >"$tmp.out" || [ $? -eq 1 ]
  read -r seconds rss < <(tail -n 1 "$tmp")
  echo "wall=${seconds}s $(tail -n 1 "$tmp.out")"
  times+=("$seconds")
  [ "$rss" -gt "$peak_kb" ] && peak_kb=$rss
done
rm -f "$tmp.out"
printf '%s\n' "${times[@]}" | sort -g | python3 -c '
import sys
t = [float(x) for x in sys.stdin]
print(f"runs={len(t)} jobs='"$jobs"' best={min(t):.2f} s median={t[len(t)//2]:.2f} s peak_rss='"$peak_kb"' KiB")'
