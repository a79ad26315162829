#!/usr/bin/env bash
# `shredmit format` on the public bigquery-etl tree: speed, peak memory, how many files it leaves
# unchanged, and byte-for-byte agreement with bigquery-etl's own formatter (run in the same
# session when the checkout and python3 are there).
# Usage: tools/bench_format.sh [BQETL_CHECKOUT] [RUNS=3]
#   BQETL_CHECKOUT: a bigquery-etl checkout (default $BQETL_DIR, else /tmp/bqetl); its sql/ is
#   formatted, its bqetl_project.yaml gives the skip list, and its bigquery_etl/format_sql is the
#   reference formatter (it needs no package beyond Python's standard library).
# Speed is MB of .sql files per wall-clock second with one thread (--jobs 1), best of RUNS; the
# reference runs `reformat(text, trailing_newline=True)` file by file in one Python process,
# which is what `bqetl format` does per file minus its sqlglot reference qualification, so the
# ratio printed is, if anything, in the reference's favour. Every file shredmit formats is also
# checked to keep its token stream (only whitespace and keyword case may change): a file where
# that fails is counted as failed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="${1:-${BQETL_DIR:-/tmp/bqetl}}"
runs="${2:-3}"
if [ ! -d "$repo/sql" ]; then
  echo "bench_format: no sql/ folder in '$repo'; pass a bigquery-etl checkout" >&2
  exit 2
fi
[ -x build/shredmit ] || tools/setup.sh build
[ -x /usr/bin/time ] || { echo "bench_format: needs GNU time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

files=$(find "$repo/sql" -name '*.sql' | wc -l)
bytes=$(find "$repo/sql" -name '*.sql' -printf '%s\n' | awk '{s += $1} END {print s}')
echo "tree: $repo/sql, $files .sql files, $bytes bytes"

# 1. --check with the project's skip list, as pre-commit runs it.
status=0
/usr/bin/time -f '%e %M' -o "$work/time" build/shredmit format --check "$repo/sql" \
  >"$work/check.out" 2>"$work/check.err" || status=$?
echo "check (skip list of bqetl_project.yaml): $(tail -n 1 "$work/check.err"), exit $status"
sed 's/^/  /' "$work/check.out"

# 2. Speed and memory, one thread, every file (no skip list), best of RUNS.
best=""
peak=0
for _ in $(seq "$runs"); do
  /usr/bin/time -f '%e %M' -o "$work/time" build/shredmit format --check --no-skip --jobs 1 \
    "$repo/sql" >/dev/null 2>"$work/all.err" || true
  read -r seconds rss < <(tail -n 1 "$work/time")
  [ "$rss" -gt "$peak" ] && peak=$rss
  if [ -z "$best" ] || awk "BEGIN {exit !($seconds < $best)}"; then best=$seconds; fi
done
echo "all files, --jobs 1: $(tail -n 1 "$work/all.err")"
ours=$(awk "BEGIN {printf \"%.2f\", $bytes / 1e6 / ($best > 0 ? $best : 0.001)}")
echo "shredmit: best ${best} s = ${ours} MB/s, peak RSS $((peak / 1024)) MiB"
/usr/bin/time -f '%e %M' -o "$work/time" build/shredmit format --check --no-skip "$repo/sql" \
  >/dev/null 2>&1 || true
read -r seconds rss < <(tail -n 1 "$work/time")
echo "shredmit, one thread per core ($(nproc)): ${seconds} s, peak RSS $((rss / 1024)) MiB"

# 3. The reference formatter, and byte-for-byte agreement.
if ! command -v python3 >/dev/null || [ ! -f "$repo/bigquery_etl/format_sql/formatter.py" ]; then
  echo "reference: skipped (no python3 or no bigquery_etl/format_sql in $repo)"
  exit 0
fi
(cd "$repo" && find sql -name '*.sql' -print0 | tar --null -T - -cf -) | (mkdir -p "$work/ours" \
  && tar -C "$work/ours" -xf -)
build/shredmit format --no-skip "$work/ours/sql" >/dev/null 2>&1 || true
python3 - "$repo" "$work" <<'EOF'
import os, sys, time
repo, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, repo)
from bigquery_etl.format_sql.formatter import reformat  # noqa: E402
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(repo, "sql"))
               for f in fs if f.endswith(".sql"))
size, outputs, start = 0, {}, time.perf_counter()
for p in paths:
    text = open(p).read()
    size += len(text.encode())
    outputs[p] = reformat(text, trailing_newline=True)
seconds = time.perf_counter() - start
same = sum(outputs[p] == open(os.path.join(work, "ours", os.path.relpath(p, repo))).read()
           for p in paths)
print(f"reference (bigquery_etl.format_sql, one process): {seconds:.2f} s = "
      f"{size / 1e6 / seconds:.2f} MB/s")
print(f"identical output: {same} of {len(paths)} files")
with open(os.path.join(work, "reference_mbps"), "w") as f:
    f.write(f"{size / 1e6 / seconds}\n")
EOF
ref=$(cat "$work/reference_mbps")
awk "BEGIN {printf \"speed ratio: %.1fx the reference, one thread each\n\", $ours / $ref}"
