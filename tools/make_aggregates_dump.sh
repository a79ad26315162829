#!/usr/bin/env bash
# Rebuilds fixtures/aggregates/: real `pg_dump --format directory` dumps of mozaggregator-style
# tables, made by a throw-away PostgreSQL server (Debian's postgresql package, run as the
# postgres user on a unix socket in a temporary folder). Two tables of build date 20150128, as
# mozaggregator creates them (dimensions jsonb, histogram bigint[], a GIN index), with a label
# holding a quote, a backslash, a tab, a newline and a non-ASCII letter, a row with a NULL
# histogram, and an empty histogram:
#   build_id/20150128/      gzip data files (pg_dump's default)
#   uncompressed/build_id/20150128/   uncompressed data files (-Z0)
# Dump ids, OIDs and the creation time differ from run to run; readers must not rely on them.
# Usage: tools/make_aggregates_dump.sh   (as root; needs apt-get install postgresql)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)
work=$(mktemp -d)
chown postgres "$work"
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$bin/initdb" -D "$work/data" -E UTF8 --locale C.UTF-8 >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -o "-k $work -c listen_addresses=''" -l "$work/log" start >/dev/null
as_pg "$bin/psql" -h "$work" -d postgres -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE build_id_aurora_0_20150128 (dimensions jsonb, histogram bigint[]);
CREATE INDEX ON build_id_aurora_0_20150128 USING GIN (dimensions jsonb_path_ops);
INSERT INTO build_id_aurora_0_20150128 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "GC_MS", "osVersion": "6.1", "application": "Firefox", "architecture": "x86"}', '{0,2,0,2,2}'),
  ('{"os": "Darwin", "child": "true", "label": "a\"b\\c\td\ne é", "metric": "SCALARS_X", "osVersion": "14.5.0", "application": "Firefox", "architecture": "x86-64"}', '{3,0,0,3,1}'),
  ('{"os": "Linux", "child": "gpu", "label": "", "metric": "EMPTY", "osVersion": "4.4", "application": "Firefox", "architecture": "x86-64"}', '{}'),
  ('{"os": "Linux", "child": "false", "label": "", "metric": "NULL_HISTOGRAM", "osVersion": "4.4", "application": "Firefox", "architecture": "x86-64"}', NULL);
CREATE TABLE build_id_beta_39_20150128 (dimensions jsonb, histogram bigint[]);
CREATE INDEX ON build_id_beta_39_20150128 USING GIN (dimensions jsonb_path_ops);
INSERT INTO build_id_beta_39_20150128 VALUES
  ('{"os": "Windows_NT", "child": "false", "label": "", "metric": "A11Y_INSTANTIATED_FLAG", "osVersion": "10.0", "application": "Firefox", "architecture": "x86"}', '{9223372036854775807,1,5,1}');
SQL
rm -rf fixtures/aggregates/build_id fixtures/aggregates/uncompressed
mkdir -p fixtures/aggregates/build_id fixtures/aggregates/uncompressed/build_id
chown postgres fixtures/aggregates/build_id fixtures/aggregates/uncompressed/build_id
as_pg "$bin/pg_dump" -h "$work" -d postgres --table 'build_id_*_20150128*' --format directory \
  --file fixtures/aggregates/build_id/20150128
as_pg "$bin/pg_dump" -h "$work" -d postgres --table 'build_id_*_20150128*' --format directory -Z0 \
  --file fixtures/aggregates/uncompressed/build_id/20150128
chown -R "$(id -u):$(id -g)" fixtures/aggregates
find fixtures/aggregates -type f | sort
