#!/usr/bin/env bash
# Rebuilds fixtures/aggregates/: real `pg_dump --format directory` dumps of mozaggregator tables,
# made by a throw-away PostgreSQL server (Debian's postgresql, installed if missing, run as the
# postgres user on a unix socket in a temporary folder, stopped at the end). Tables are created
# as mozaggregator created them (dimensions jsonb, histogram bigint[], a GIN index) and dumped
# with the original job's options (bin/pg_dump_by_day: --table '<type>_*_<day>*' --format
# directory --verbose), one folder per day:
#   submission_date/20151027/        two channels of one day (gzip data files, the default)
#   build_id/20150128/               a build_id day (gzip)
#   uncompressed/build_id/20150128/  the same day with -Z0 (plain data files)
# A decoy table of 20151028 must not be dumped. Rows hold hostile labels (quote, backslash, TAB,
# newline, non-ASCII), extreme and negative counts, a missing key, an unknown key, a JSON null,
# an empty array and a NULL histogram; dump ids have 4 digits (the original needed 6).
# For each dump it records, as independent expectations for the tests:
#   expected/<type>_<day>.toc.txt     `pg_restore -l` of the dump
#   expected/<type>_<day>.ndjson      the 13 export columns of every row, computed by PostgreSQL
#                                     itself (->> for the dimensions, translate() of the array
#                                     text, split_part() of the table name), ingest_date
#                                     2020-02-27, in dump order
# Dump ids, OIDs and creation times differ from run to run; readers must not rely on them.
# Usage: tools/make-aggregates-fixture.sh   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pg_dump >/dev/null || [ -z "$(find /usr/lib/postgresql -maxdepth 2 -name bin 2>/dev/null)" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi
bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)
work=$(mktemp -d)
chown postgres "$work"
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$bin/initdb" -D "$work/data" -E UTF8 --locale C.UTF-8 >/dev/null 2>&1
as_pg "$bin/pg_ctl" -D "$work/data" -o "-k $work -c listen_addresses=''" -l "$work/log" start >/dev/null
psql() { as_pg "$bin/psql" -h "$work" -d postgres -q -X -v ON_ERROR_STOP=1 "$@"; }
psql >/dev/null <<'SQL'
CREATE FUNCTION make_aggregate(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (dimensions jsonb, histogram bigint[])', name);
  EXECUTE format('CREATE INDEX ON %I USING GIN (dimensions jsonb_path_ops)', name);
END $$;
SELECT make_aggregate(t) FROM unnest(ARRAY['submission_date_beta_39_20151027',
  'submission_date_nightly_43_20151027', 'submission_date_beta_39_20151028',
  'build_id_aurora_0_20150128', 'build_id_beta_39_20150128']) AS t;
INSERT INTO submission_date_beta_39_20151027 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "A11Y_INSTANTIATED_FLAG", "osVersion": "6.3", "application": "Firefox", "architecture": "x86"}', '{0,2,0,2,2}'),
  ('{"os": "Windows_NT", "child": "true", "label": "quote\" back\\slash\ttab\nnewline é ü 日本", "metric": "SEARCH_COUNTS", "osVersion": "10.0", "application": "Firefox", "architecture": "x86-64"}', '{9223372036854775807,-9223372036854775808,-1,0,2}'),
  ('{"os": "Linux", "child": "gpu", "metric": "MISSING_LABEL", "osVersion": "4.4", "application": "Firefox", "architecture": "x86-64", "unknown": "dropped"}', '{}'),
  ('{"os": "Darwin", "child": "false", "label": null, "metric": "NULL_HISTOGRAM", "osVersion": "14.5.0", "application": "Firefox", "architecture": "x86-64"}', NULL);
INSERT INTO submission_date_nightly_43_20151027 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "GC_MS", "osVersion": "6.1", "application": "Firefox", "architecture": "x86"}', '{5,0,1,6,2}');
INSERT INTO submission_date_beta_39_20151028 VALUES
  ('{"os": "Decoy", "child": "false", "label": "", "metric": "DECOY", "osVersion": "1", "application": "Firefox", "architecture": "x86"}', '{1,1,1}');
INSERT INTO build_id_aurora_0_20150128 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "GC_MS", "osVersion": "6.1", "application": "Firefox", "architecture": "x86"}', '{0,2,0,2,2}'),
  ('{"os": "Darwin", "child": "true", "label": "a\"b\\c\td\ne é", "metric": "SCALARS_X", "osVersion": "14.5.0", "application": "Firefox", "architecture": "x86-64"}', '{3,0,0,3,1}');
INSERT INTO build_id_beta_39_20150128 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "EMPTY", "osVersion": "10.0", "application": "Firefox", "architecture": "x86"}', '{}');
SQL
out=fixtures/aggregates
rm -rf "$out"
mkdir -p "$out/expected" "$out/submission_date" "$out/build_id" "$out/uncompressed/build_id"
chown -R postgres "$out"
dump() {  # type day folder [pg_dump options...]
  local type=$1 day=$2 folder=$3
  shift 3
  as_pg "$bin/pg_dump" -h "$work" -d postgres --table "${type}_*_${day}*" --format directory \
    --verbose --file "$folder/$day" "$@" 2>/dev/null
}
dump submission_date 20151027 "$out/submission_date"
dump build_id 20150128 "$out/build_id"
dump build_id 20150128 "$out/uncompressed/build_id" -Z0
for d in submission_date/20151027 build_id/20150128; do
  type=${d%/*}
  day=${d#*/}
  as_pg "$bin/pg_restore" -l "$out/$d" | grep -v '^;' | grep -v '^$' >"$out/expected/${type}_$day.toc.txt"
  # The rows in dump order: tables by name (pg_dump's order), rows in heap order, as COPY
  # writes them and as a sequential scan reads them.
  : >"$out/expected/${type}_$day.ndjson"
  for table in $(psql -At -c "SELECT tablename FROM pg_tables WHERE tablename LIKE
                              '${type}\_%\_$day' ORDER BY tablename"); do
    psql -At >>"$out/expected/${type}_$day.ndjson" <<SQL
SELECT json_build_object(
  'ingest_date', '2020-02-27', 'aggregate_type', '$type', 'ds_nodash', '$day',
  'channel', split_part('$table', '_', 3), 'version', split_part('$table', '_', 4),
  'os', dimensions->>'os', 'child', dimensions->>'child', 'label', dimensions->>'label',
  'metric', dimensions->>'metric', 'osVersion', dimensions->>'osVersion',
  'application', dimensions->>'application', 'architecture', dimensions->>'architecture',
  'aggregate', translate(histogram::text, '{}', '[]'))
FROM $table;
SQL
  done
done
chown -R "$(id -u):$(id -g)" "$out"
find "$out" -type f | sort
