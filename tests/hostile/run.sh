#!/usr/bin/env bash
# One row of the README's hostile-input table: sets up the input in a scratch copy of the
# fixture, runs shredmit on it and checks the exit status and the message.
# Usage: tests/hostile/run.sh SHREDMIT CASE   (exit 77 = skipped)
set -uo pipefail
shredmit="$(realpath "$1")"
case_name="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
chmod 755 "$work"
cd "$work" || exit 1
cp -r "$root/fixtures/sql" sql
cp -r "$root/fixtures/bigquery_etl" bigquery_etl
chmod -R a+rwX sql bigquery_etl
dataset=sql/moz-fx-data-shared-prod/firefox_desktop_derived
v4=$dataset/active_users_aggregates_v4
table=moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4
status=0
output=""

# Runs shredmit with a time limit; sets $status and $output (stdout and stderr).
sm() {
  output="$(timeout 60 "$shredmit" "$@" 2>&1)"
  status=$?
}
# As sm, but as an unprivileged user when running as root (root reads files without permission).
sm_unprivileged() {
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || exit 77
    output="$(timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$shredmit" "$@" 2>&1)"
  else
    output="$(timeout 60 "$shredmit" "$@" 2>&1)"
  fi
  status=$?
}
expect() {  # expect STATUS TEXT...: the last run exited with STATUS and printed every TEXT
  local want="$1"
  shift
  if [ "$status" != "$want" ]; then
    printf 'FAIL %s: exit %s, expected %s\n%s\n' "$case_name" "$status" "$want" "$output" >&2
    exit 1
  fi
  for text in "$@"; do
    if ! grep -qF -- "$text" <<<"$output"; then
      printf 'FAIL %s: output lacks "%s"\n%s\n' "$case_name" "$text" "$output" >&2
      exit 1
    fi
  done
}
sql() { printf '%s' "$1" >q.sql; }

case "$case_name" in
  jinja_int64_min_by_minus_one)
    sql 'SELECT {{ (-9223372036854775807 - 1) // -1 }}'
    sm parse q.sql
    expect 1 "q.sql:1:38: error: integer overflow: -9223372036854775808 // -1 is outside INT64"
    sql 'SELECT {{ (-9223372036854775807 - 1) % -1 }}'  # Python's answer, 0
    sm parse q.sql
    expect 0 "0"
    sql 'SELECT {{ 9223372036854775807 + 1 }}, {{ 3037000500 * 3037000500 }}'
    sm parse q.sql
    expect 1 "q.sql:1:31: error: integer overflow: 9223372036854775807 + 1"
    ;;
  jinja_integer_literal_overflow)
    sql 'SELECT {{ 9223372036854775808 }}'
    cp q.sql r.sql
    sm parse q.sql r.sql --jobs 2
    expect 1 "q.sql:1:11: error: integer literal 9223372036854775808 is outside INT64" \
      "r.sql:1:11: error: integer literal"
    ;;
  jinja_recursive_macro)
    sql '{% macro m(x) %}{{ m(x) }}{% endmacro %}SELECT {{ m(1) }}'
    sm parse q.sql
    expect 1 "q.sql:1:52: error: macro 'm' is called more than 50 levels deep"
    ;;
  jinja_nested_tags)
    python3 -c "print('{% if true %}' * 100000 + 'SELECT 1' + '{% endif %}' * 100000)" >q.sql
    sm parse q.sql
    expect 1 "q.sql:1:1301: error: tags nested more than 100 levels deep"
    ;;
  jinja_nested_expression)
    python3 -c "print('SELECT {{ ' + '(' * 100000 + '1' + ')' * 100000 + ' }}')" >q.sql
    sm parse q.sql
    expect 1 "error: expression nested more than 200 levels deep"
    python3 -c "print('SELECT {{ 1' + ' + 1' * 100000 + ' }}')" >q.sql
    sm parse q.sql
    expect 1 "error: expression nested more than 200 levels deep"
    ;;
  jinja_range)
    sql 'SELECT {% for i in range(9223372036854775807) %}1{% endfor %}'
    sm parse q.sql
    expect 1 "q.sql:1:25: error: range() would make 9223372036854775807 items, more than the limit"
    # A step whose sum overflows INT64 still gives Python's three items.
    sql 'SELECT {% for i in range(-9223372036854775807, 9223372036854775807, 9223372036854775807) %}{{ i }},{% endfor %} 1'
    sm parse q.sql
    expect 0 "-9223372036854775807," "0," "9223372036854775807,"
    sql '{% for i in range(100000) %}{% for j in range(100000) %}{% set x = 1 %}{% endfor %}{% endfor %}SELECT 1'
    sm parse q.sql
    expect 1 "error: the template takes more than 1000000 steps to render"
    ;;
  include_fan_out)
    mkdir fan
    for k in 0 1 2 3 4 5 6 7; do
      {
        echo 'fields: !flatten-lists'
        for _ in 1 2 3 4 5 6 7 8 9 10; do
          if [ $k = 7 ]; then printf -- '- - name: x\n    type: STRING\n'
          else printf -- '- !include-fields\n  file: fan/s%d.yaml\n' $((k + 1)); fi
        done
      } >fan/s$k.yaml
    done
    printf 'fields: !include-fields\n  file: fan/s0.yaml\n' >$v4/schema.yaml
    sm lint $v4 --today 2024-06-05
    expect 1 "schema.yaml:1:9: error: [SM008] cannot resolve !include-fields: fan/s0.yaml:2:3" \
      "this list expands to more than 100000 fields"
    ;;
  table_version_overflow)
    sm generate moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v2147483648 --sql-dir sql
    expect 2 "table version 2147483648 is too large"
    mv $v4 $dataset/active_users_aggregates_v2147483648
    sm lint $dataset --today 2024-06-05
    expect 1 "[SM006] active_users_aggregates_v2147483648 has a version number past 1000000" "shredmit lint: 1 error"
    ;;
  unreadable_previous_version)
    chmod 000 $dataset/active_users_aggregates_v3
    sm_unprivileged generate $table --sql-dir sql --output-dir out
    expect 1 "active_users_aggregates_v3: error: the previous version's folder cannot be read (Permission denied); fix its permissions: this version is compared against it"
    sm_unprivileged lint $v4 --today 2024-06-05
    expect 1 "active_users_aggregates_v3:1:1: error: [SM008] the previous version's folder cannot be read (Permission denied)"
    chmod 755 $dataset/active_users_aggregates_v3
    chmod 000 $dataset
    sm_unprivileged lint sql --today 2024-06-05
    expect 1 "firefox_desktop_derived:1:1: error: [SM008] folder cannot be read (Permission denied)"
    ;;
  symlink_loops)
    rm $v4/query.sql
    ln -s query.sql $v4/query.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "query.sql: error: cannot read: Too many levels of symbolic links"
    ln -s loop loop
    sm generate $table --sql-dir loop --output-dir out
    expect 1 "loop: error: cannot read: Too many levels of symbolic links"
    ;;
  query_fifo)
    rm $v4/query.sql
    mkfifo $v4/query.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "query.sql: error: is not a regular file (a pipe, socket or device)"
    ;;
  query_directory)
    rm $v4/query.sql
    mkdir $v4/query.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "query.sql: error: is a folder, not a file"
    ;;
  metadata_directory)
    rm $v4/metadata.yaml
    mkdir $v4/metadata.yaml
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "metadata.yaml: error: is a folder, not a file"
    ;;
  output_path_is_a_folder)
    mkdir -p out/shredder_mitigation_checks.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "out/shredder_mitigation_checks.sql: error: is a folder; remove it"
    if [ -e out/shredder_mitigation_query.sql ]; then
      echo "FAIL: the query file was written although the checks could not be" >&2
      exit 1
    fi
    # An earlier run's files survive a failed run unchanged.
    rmdir out/shredder_mitigation_checks.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 0
    cp out/shredder_mitigation_query.sql before.sql
    echo 'SELECT broken' >>$v4/query.sql
    sm generate $table --sql-dir sql --output-dir out
    expect 1 "query.sql"
    cmp -s before.sql out/shredder_mitigation_query.sql || { echo "FAIL: old output lost" >&2; exit 1; }
    for f in out/*; do
      case "$f" in *tmp*) echo "FAIL: temporary file $f left" >&2; exit 1 ;; esac
    done
    ;;
  folder_name_not_utf8)
    cp -r $v4 "$dataset/bad$(printf '\xff')_v4"
    sm lint sql --jobs 2 --today 2024-06-05
    expect 1 "_v4:1:1: error: [SM008] folder name is not valid UTF-8"
    sm lint sql --jobs 2 --today 2024-06-05 --format json
    expect 1 '"message": "folder name is not valid UTF-8'
    ;;
  include_outside_repository)
    printf 'fields: !include-fields\n  file: ../../dev/zero\n' >$v4/schema.yaml
    sm lint $v4 --today 2024-06-05
    expect 1 "schema.yaml:1:9: error: [SM008] cannot resolve !include-fields: " "dev/zero is outside the repository"
    ln -s /etc etc
    printf 'fields: !include-fields\n  file: etc/passwd\n' >$v4/schema.yaml
    sm lint $v4 --today 2024-06-05
    expect 1 "etc/passwd (/etc/passwd) is outside the repository"
    if grep -q "root:" <<<"$output"; then echo "FAIL: /etc/passwd leaked" >&2; exit 1; fi
    ;;
  stdout_unwritable)
    sm_full() { "$shredmit" lint $v4 --today 2024-06-05 >/dev/full 2>err.txt; status=$?; output="$(cat err.txt)"; }
    sm_full
    expect 1 "cannot write to standard output"
    ;;
  yaml_nul_byte)
    printf 'fields:\n- name: a\n  type: STRING\n  description: \0x\n' >$v4/schema.yaml
    sm lint $v4 --today 2024-06-05
    expect 1 "schema.yaml:4:16: error: [SM008] invalid YAML (control characters are not allowed)"
    ;;
  yaml_560k_fields)
    python3 -c "
import sys
sys.stdout.write('fields:\n' + ''.join(f'- name: f{i}\n  type: STRING\n  mode: NULLABLE\n  description: x\n' for i in range(560000)))" >$v4/schema.yaml
    sm lint $v4 --today 2024-06-05
    expect 1 "error: [SM008] the YAML document has more than a million nodes"
    if grep -q alias <<<"$output"; then echo "FAIL: message mentions aliases" >&2; exit 1; fi
    ;;
  huge_query)
    python3 -c "
import sys
sys.stdout.write(''.join(f'SELECT a{i}, b + {i} FROM t{i % 97} WHERE c = {i};\n' for i in range(933882)))" >q.sql
    sm parse q.sql --stats
    expect 1 "q.sql:21257:51: error: the SQL text is 50000018 bytes, longer than BigQuery's limit of 1,024 KB"
    python3 -c "print('SELECT ' + ', '.join(f'c{i}' for i in range(1200000)) + ' FROM t')" >q.sql
    sm parse q.sql
    expect 1 "q.sql:1:1048577: error: the SQL text is 10888903 bytes"
    sm format q.sql
    expect 1 "q.sql:1:1048577: error: the SQL text is 10888903 bytes"
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "ok $case_name"
