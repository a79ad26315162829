#!/usr/bin/env bash
# The JSON outputs against their documented schemas, with Python's jsonschema (Debian package
# python3-jsonschema): `generate --format json` (docs/generate.schema.json; the fixture's
# document and one with --signed-metric) and `lint --format json` (docs/lint.schema.json; the
# whole lint fixture tree) must validate, and documents broken in ways the schemas forbid must
# not; and the validation report (docs/report.schema.json) of the fixture and of late rows.
# Usage: tools/test_json_schemas.sh BUILD_DIR   (run by ctest as JsonOutput.MatchesTheSchemas)
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${1:?usage: tools/test_json_schemas.sh BUILD_DIR}" && pwd)"
python=python3
"$python" -c 'import jsonschema' 2>/dev/null || python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table=moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4
"$build/shredmit" generate "$table" --sql-dir fixtures/sql --output-dir "$work/a" --format json \
  >"$work/a.json" 2>"$work/a.err"
"$build/shredmit" generate "$table" --sql-dir fixtures/sql --output-dir "$work/b" --format json \
  --signed-metric active_hours >"$work/b.json" 2>"$work/b.err"
# JSON mode keeps stderr for errors: the classification is in the document.
[ ! -s "$work/a.err" ] || { cat "$work/a.err" >&2; exit 1; }
"$build/shredmit" lint fixtures/lint/sql --today 2024-06-20 --all-tables --format json \
  >"$work/lint.json" || [ $? -eq 1 ]
"$python" - docs/lint.schema.json "$work/lint.json" <<'PY'
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
doc = json.load(open(sys.argv[2]))
validator.validate(doc)
findings = doc["findings"]
assert len(findings) > 30 and doc["summary"]["errors"] > 0, doc["summary"]
assert any(f["fixable"] for f in findings) and not all(f["fixable"] for f in findings)
assert doc["summary"]["errors"] == sum(f["severity"] == "error" for f in findings)
broken = []
d = copy.deepcopy(doc); d["findings"][0]["line"] = 0; broken.append(d)
d = copy.deepcopy(doc); del d["summary"]["checked"]; broken.append(d)
d = copy.deepcopy(doc); d["findings"][0]["rule"] = "X1"; broken.append(d)
for d in broken:
    if validator.is_valid(d):
        sys.exit("the lint schema accepted a broken document")
print(f"ok: lint document with {len(findings)} findings valid, {len(broken)} broken ones rejected")
PY
"$python" - docs/generate.schema.json "$work/a.json" "$work/b.json" <<'PY'
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
docs = [json.load(open(p)) for p in sys.argv[2:]]
for doc in docs:
    validator.validate(doc)
a, b = docs
kinds = {c["name"]: c.get("metric_kind") for c in b["columns"]}
assert kinds["active_hours"] == "signed", kinds
assert any(c["status"] == "added" and c["role"] == "dimension" for c in a["columns"])
assert any(c["status"] == "removed" for c in a["columns"])
assert all(f.endswith(".sql") for f in a["files"]) and len(a["files"]) == 4
# The schema must be able to fail.
broken = []
d = copy.deepcopy(a); d["columns"][0]["role"] = "measure"; broken.append(d)
d = copy.deepcopy(a); del d["partition_field"]; broken.append(d)
d = copy.deepcopy(a)
m = next(c for c in d["columns"] if c["role"] == "metric" and c["status"] == "common")
del m["metric_kind"]; broken.append(d)
d = copy.deepcopy(a); d["table"] = "not a table"; broken.append(d)
for d in broken:
    if validator.is_valid(d):
        sys.exit(f"the schema accepted a broken document: {json.dumps(d)[:200]}")
print(f"ok: 2 documents valid, {len(broken)} broken ones rejected")
PY
# The validation report of the fixture (totals match) and of late rows (they do not).
cp -r fixtures/simulate/active_users_aggregates "$work/data"
"$build/shredmit" simulate "$table" --sql-dir fixtures/sql --data "$work/data" --date 2024-06-01 \
  --report "$work/r1" >/dev/null 2>&1
upstream="$work/data/moz-fx-data-shared-prod.telemetry.desktop_active_users.ndjson"
late=$(sed -n '/"client_id": "c12"/p' "$upstream" | sed 's/"c12"/"c13"/')
echo "$late" >>"$upstream"
"$build/shredmit" simulate "$table" --sql-dir fixtures/sql --data "$work/data" --date 2024-06-01 \
  --report "$work/r2" >/dev/null 2>&1 || [ $? -eq 1 ]
"$python" - docs/report.schema.json "$work/r1/report.json" "$work/r2/report.json" <<'PY'
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
ok, late = [json.load(open(p)) for p in sys.argv[2:]]
for doc in (ok, late):
    validator.validate(doc)
assert ok["matches"] and not late["matches"], (ok["summary"], late["summary"])
assert any(d["differing"] for d in late["dimensions"])
broken = []
d = copy.deepcopy(late); d["dimensions"][0]["verdict"] = "fine"; broken.append(d)
d = copy.deepcopy(late); d["summary"] = "totals look good"; broken.append(d)
d = copy.deepcopy(late); del d["dimensions"][0]["differing"][0]["expected"]; broken.append(d)
for d in broken:
    if validator.is_valid(d):
        sys.exit("the report schema accepted a broken document")
print(f"ok: 2 reports valid, {len(broken)} broken ones rejected")
PY
