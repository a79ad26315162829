#!/usr/bin/env bash
# Parse throughput and peak memory of `shredmit parse --stats` on a directory of .sql files.
# Usage: tools/bench_parse.sh DIR [RUNS=5] [JOBS=1]
# Prints each run's stats line, then the best and median MB/s (bytes of SQL files read, rendered
# and parsed to the AST per wall-clock second, as measured by shredmit itself) and the largest
# peak resident set size, read from GNU time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: tools/bench_parse.sh DIR [RUNS] [JOBS]}"
runs="${2:-5}"
jobs="${3:-1}"
[ -x build/shredmit ] || tools/setup.sh build
[ -x /usr/bin/time ] || { echo "bench_parse: needs GNU time (apt-get install time)" >&2; exit 2; }
rates=()
peak_kb=0
for _ in $(seq "$runs"); do
  stats=$( { /usr/bin/time -f 'rss_kb=%M' build/shredmit parse "$dir" --stats --jobs "$jobs" \
              2>&1 >&3 | grep '^rss_kb=' >/tmp/bench_parse_rss.$$ ; } 3>&1 | tail -n 1) || true
  echo "$stats"
  rss=$(sed 's/rss_kb=//' /tmp/bench_parse_rss.$$)
  [ "$rss" -gt "$peak_kb" ] && peak_kb=$rss
  rates+=("$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["bytes"]/s["seconds"]/1e6)' "$stats")")
done
rm -f /tmp/bench_parse_rss.$$
printf '%s\n' "${rates[@]}" | sort -g | python3 -c '
import sys
r = [float(x) for x in sys.stdin]
print(f"runs={len(r)} jobs='"$jobs"' best={max(r):.2f} MB/s median={r[len(r)//2]:.2f} MB/s peak_rss='"$peak_kb"' KiB")'
