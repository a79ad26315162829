#!/usr/bin/env bash
# Coverage of `shredmit generate` on a real bigquery-etl tree: every versioned table labelled
# `shredder_mitigation: true` that has a query.sql is copied as TABLE_v(N+1) (the first step of
# seed 004's process, with nothing changed yet) and generated against TABLE_vN.
# Usage: tools/generate_bumped.sh SQL_DIR [extra generate options...]
# Works on a copy of SQL_DIR's parent in a temporary folder; prints "generated K of N", one
# line per table (OK, or REFUSED with the message), and the notes and warnings generate printed
# (among them its dry run's: what GoogleSQL's analyzer accepted), then a line counting the tables
# whose every written statement GoogleSQL's analyzer accepted, then parses every written file back with `shredmit parse` (which the generator's own output
# must pass) and prints "parsed back P of F files", then checks that every written file is left
# unchanged by `shredmit format` and, when SQL_DIR's parent is a bigquery-etl checkout and python3
# is there, by bigquery-etl's own formatter (`bqetl format`'s bigquery_etl/format_sql), printing
# "unchanged by ... U of F files".
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:?usage: tools/generate_bumped.sh SQL_DIR [generate options...]}"
shift
[ -x build/shredmit ] || tools/setup.sh build
bin="$PWD/build/shredmit"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$(cd "$src/.." && pwd)" "$work/repo"
sql="$work/repo/$(basename "$src")"
ok=0
total=0
report=""
while IFS= read -r metadata; do
  dir=$(dirname "$metadata")
  name=$(basename "$dir")
  [[ "$name" =~ ^(.+)_v([0-9]+)$ ]] || continue
  [ -f "$dir/query.sql" ] || continue
  bumped="$(dirname "$dir")/${BASH_REMATCH[1]}_v$((BASH_REMATCH[2] + 1))"
  [ -e "$bumped" ] && continue
  cp -r "$dir" "$bumped"
  dataset=$(basename "$(dirname "$dir")")
  project=$(basename "$(dirname "$(dirname "$dir")")")
  table="$project.$dataset.$(basename "$bumped")"
  total=$((total + 1))
  if out=$("$bin" generate "$table" --sql-dir "$sql" --output-dir "$work/out/$table" "$@" 2>&1)
  then
    ok=$((ok + 1))
    report+="OK $table"$'\n'
  else
    report+="REFUSED $table: ${out##*error: }"$'\n'
  fi
  notes=$(grep -E '^shredmit: (note|warning):' <<<"$out" || true)
  [ -z "$notes" ] || report+="  ${notes//$'\n'/$'\n'  }"$'\n'
done < <(grep -rl --include=metadata.yaml "shredder_mitigation: true" "$sql" | sort)
echo "generated $ok of $total"
# generate analyzes what it writes with GoogleSQL's analyzer (its offline dry run) and exits 3
# when the analyzer refuses a statement shredmit wrote.
as_written=$(grep -c "analyzer accepted the [0-9]* generated statements\$" <<<"$report" || true)
as_tables=$(grep -c "analyzer accepted the [0-9]* generated statements with the" <<<"$report" || true)
refused=$(grep -c "GoogleSQL's analyzer refuses" <<<"$report" || true)
echo "GoogleSQL's analyzer accepted every statement of $((as_written + as_tables)) tables" \
  "($as_written with the queries as written, $as_tables with the new query as a table of its" \
  "schema) and refused the statements of $refused"
printf '%s' "$report"
files=0
parsed=0
while IFS= read -r f; do
  files=$((files + 1))
  if "$bin" parse --stats "$f" >/dev/null 2>&1; then parsed=$((parsed + 1)); else echo "UNPARSABLE $f"; fi
done < <(find "$work/out" -name '*.sql' | sort)
echo "parsed back $parsed of $files files"
unchanged=0
while IFS= read -r f; do
  if "$bin" format --check --no-skip "$f" >/dev/null 2>&1; then
    unchanged=$((unchanged + 1))
  else
    echo "REFORMATTED by shredmit format: $f"
  fi
done < <(find "$work/out" -name '*.sql' | sort)
echo "unchanged by shredmit format: $unchanged of $files files"
repo=$(cd "$src/.." && pwd)
if command -v python3 >/dev/null && [ -f "$repo/bigquery_etl/format_sql/formatter.py" ]; then
  python3 - "$repo" "$work/out" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
from bigquery_etl.format_sql.formatter import reformat  # noqa: E402
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(sys.argv[2]) for f in fs
               if f.endswith(".sql"))
same = 0
for p in paths:
    text = open(p).read()
    if reformat(text, trailing_newline=True) == text:
        same += 1
    else:
        print(f"REFORMATTED by bqetl format: {p}")
print(f"unchanged by bqetl format (bigquery_etl.format_sql): {same} of {len(paths)} files")
EOF
fi
