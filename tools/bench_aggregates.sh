#!/usr/bin/env bash
# `shredmit aggregates export` on a generated dump of SIZE_MB (default 1100) MB of uncompressed
# COPY data: the fixture's real toc.dat (fixtures/aggregates/uncompressed/build_id/20150128) with
# its first table's data file grown to SIZE_MB by repeating realistic rows (one in 50 with a
# label that needs COPY escapes). Prints the rows, the wall time, MB/s of COPY text read and the
# peak resident memory, which must not grow with the dump (streaming).
# Usage: tools/bench_aggregates.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-1100}"
[ -x build/shredmit ] || tools/setup.sh build
[ -x /usr/bin/time ] || { echo "bench_aggregates: needs GNU time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dump="$work/build_id/20150128"
mkdir -p "$dump"
cp fixtures/aggregates/uncompressed/build_id/20150128/* "$dump/"
first=$(find "$dump" -name "[0-9]*.dat" -printf "%f\n" | sort -n | head -n 1)
python3 - "$dump/$first" "$size_mb" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
plain = ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "GC_MS_%d", '
         '"osVersion": "6.1", "application": "Firefox", "architecture": "x86"}\t'
         '{0,2,0,2,2,4,7,1,0,0,0,3,12,9,2,1,0,0,0,0,0,1,38,17}\n')
escaped = ('{"os": "Darwin", "child": "true", "label": "a\\\\"b\\\\\\\\c\\\\td %d", '
           '"metric": "SCALARS_X", "osVersion": "14.5.0", "application": "Firefox", '
           '"architecture": "x86-64"}\t{3,0,0,3,1}\n')
written, i = 0, 0
with open(path, "w") as f:
    chunk = []
    while written < size:
        line = (escaped if i % 50 == 0 else plain) % i
        chunk.append(line)
        written += len(line.encode())
        i += 1
        if len(chunk) == 10000:
            f.write("".join(chunk)); chunk = []
    f.write("".join(chunk))
    f.write("\\.\n\n\n")
print(f"generated {written / 1e6:.0f} MB, {i} rows in {path.split('/')[-1]}")
PY
bytes=$(find "$dump" -name '[0-9]*.dat' -printf '%s\n' | awk '{s += $1} END {print s}')
/usr/bin/time -f '%e %M' -o "$work/time" build/shredmit aggregates export "$dump" \
  --ingest-date 2020-02-27 --output "$work/rows.ndjson.gz" 2>"$work/err"
read -r seconds rss < <(tail -n 1 "$work/time")
tail -n 1 "$work/err"
awk "BEGIN {printf \"%.0f MB of COPY text in %s s = %.1f MB/s, peak RSS %d MiB, output %d MB gzip\n\", \
  $bytes / 1e6, $seconds, $bytes / 1e6 / $seconds, $rss / 1024, $(stat -c %s "$work/rows.ndjson.gz") / 1e6}"
