#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang 16, address and undefined-behaviour sanitizers) in
# build-fuzz/ and runs each for SECONDS, two at a time. Seed corpora come from the project's
# fixtures and test data; what the fuzzers add is kept in build-fuzz/corpus/ for the next run.
# Exits 1 when any target finds a crash, a failed property, a leak, a timeout (25 s for one
# input) or memory past 2 GB; the input is saved in build-fuzz/findings/ (reproduce with
# build-fuzz/fuzz_TARGET FILE, then turn it into a regression test).
# Usage: tools/fuzz/run.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:?usage: tools/fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse lexer format jinja schema template_params aggregates)
build="build-fuzz"

fuzz_targets=()
for t in "${targets[@]}"; do fuzz_targets+=("fuzz_$t"); done
SHREDMIT_EXTRA_PACKAGES="clang-16 libclang-rt-16-dev" CC=clang-16 CXX=clang++-16 \
  SHREDMIT_BUILD_TARGETS="${fuzz_targets[*]}" \
  tools/setup.sh "$build" -DSHREDMIT_FUZZ=ON -DSHREDMIT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

# Seeds: one file per input, from the fixtures and test data that each harness reads.
seeds="$build/seeds"
rm -rf "$seeds"
seed() {  # seed TARGET FILE...
  mkdir -p "$seeds/$1"
  local target="$1"
  shift
  for f in "$@"; do cp "$f" "$seeds/$target/$(echo "$f" | tr '/' '_')"; done
}
mapfile -t sql_files < <(find fixtures tests/data tests/golden -name '*.sql' -size -64k | sort)
plain_sql=()
jinja_sql=()
for f in "${sql_files[@]}"; do
  if grep -q '{[{%#]' "$f"; then jinja_sql+=("$f"); else plain_sql+=("$f"); fi
done
seed parse "${plain_sql[@]}"
seed lexer "${plain_sql[@]}"
seed format "${plain_sql[@]}" "${jinja_sql[@]}"
mapfile -t jinja_files < <(find fixtures -name '*.jinja' | sort)
mapfile -t yaml_files < <(find fixtures -name '*.yaml' -size -64k | sort)
seed jinja "${jinja_sql[@]}" "${jinja_files[@]}"
seed schema "${yaml_files[@]}"
mkdir -p "$seeds/template_params"
for i in 0 1 2 3 4 5 6 7; do
  # The first byte picks the template; the lines are parameter values.
  { printf '%b' "\\x$i"; printf 'moz-fx-data-shared-prod\n2024-06-01\n42\n'; } \
    >"$seeds/template_params/$i"
done
mkdir -p "$seeds/aggregates"
dump=fixtures/aggregates/uncompressed/build_id/20150128
for data in "$dump"/*.dat; do
  { cat "$dump/toc.dat"; printf '\xff\x00\xff'; head -c 4096 "$data"; } \
    >"$seeds/aggregates/$(basename "$data")"
done

mkdir -p "$build/findings"
status=0
run_one() {
  local t="$1"
  mkdir -p "$build/corpus/$t"
  local log="$build/findings/$t.log"
  if "$build/fuzz_$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/findings/$t-" \
      "$build/corpus/$t" "$seeds/$t" >"$log" 2>&1; then
    echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, nothing found"
  else
    echo "fuzz $t: FOUND a problem (log: $log)"
    grep -E 'ERROR|fuzz property failed|SUMMARY|Test unit written' "$log" | head -5
    return 1
  fi
}
# Two at a time: the machine has two cores.
pids=()
names=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ ${#pids[@]} -ge "$(nproc)" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
