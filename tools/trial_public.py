#!/usr/bin/env python3
"""A new user's trial of `shredmit simulate` on three labelled tables of the public
bigquery-etl tree, after a version bump that renames, adds and removes a dimension.

Usage: tools/trial_public.py BIGQUERY_ETL_CHECKOUT [SHREDMIT_BINARY]

For each table it copies the checkout's sql/ folder to a temporary folder, writes TABLE_v2 as
TABLE_v1 with the three dimension changes (query.sql and schema.yaml, nothing else), writes
sample upstream rows (NDJSON, with a schema.yaml beside each file for the tables the tree does
not describe) and a deleted-clients list, then runs, with no edit to any SQL:

1. simulate --deleted-clients: the previous version's table is computed by v1's query on the
   rows before deletion; the checks must pass (exit 0);
2. a managed backfill of that date (a backfill.yaml with shredder_mitigation: true): `backfill
   plan --format json` must count one read of each upstream table per partition, from the SQL
   of every statement its script runs, and `backfill run` on the upstream rows after deletion
   and the computed previous table (the two-step form: the new query into the new-query table,
   then the compensation query into staging) must pass its checks and write the rows simulate's
   single mitigation statement wrote;
3. the same with late upstream rows added after that previous table was computed (given back
   through --previous-output): the checks must fail (exit 1) and name an increase, and the
   validation report (--report) must say where totals moved.

Then, on the whole tree, the lint gate a pull request would use: `lint --write-baseline`,
then `lint --baseline` must exit 0; one emptied description in a labelled table must make it
exit 1 naming only that finding.

Prints one line per step and exits 1 when a step does not behave so.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

PROJECT = "moz-fx-data-shared-prod"
DATE = "2024-06-01"


def field(name, kind):
    return f"- name: {name}\n  type: {kind}\n  mode: NULLABLE\n"


def schema(columns):
    return "fields:\n" + "".join(field(n, t) for n, t in columns)


def rename_field(text, old, new):
    marker = f"name: {old}\n"
    assert marker in text, old
    return text.replace(marker, f"name: {new}\n", 1)


def remove_field(text, name):
    # schema.yaml lists fields as "- " items; drop the item holding `name: NAME`.
    items = text.split("\n- ")
    kept = [i for i in items if f"name: {name}\n" not in i + "\n"]
    assert len(kept) == len(items) - 1, name
    return "\n- ".join(kept)


def add_field(text, name, kind):
    return text.rstrip("\n") + "\n" + field(name, kind) + f"  description: {name} (added in v2)\n"


def replace(text, old, new, count=1):
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def values(rng, options, n):
    return [rng.choice(options) for _ in range(n)]


# ---------------------------------------------------------------- the three tables


def new_profiles():
    """telemetry_derived.desktop_new_profiles_aggregates_v1: a LEFT JOIN of two views, a
    persistent UDF, the first_seen_date partition parameter and a scheduled @submission_date."""

    def query(q):
        q = replace(q, "  cfs.city,\n", "  cfs.city AS city_name,\n")  # renamed
        q = replace(q, "  cfs.windows_version,\n", "", count=2)  # removed
        q = replace(q, "    windows_build_number\n  FROM",
                    "    windows_build_number,\n    startup_profile_selection_reason\n  FROM")
        q = replace(q, "  COALESCE(au.is_dau",
                    "  cfs.startup_profile_selection_reason,\n  COALESCE(au.is_dau")
        q = replace(q, "  au.is_dau\n", "  cfs.startup_profile_selection_reason,\n  au.is_dau\n")
        return q

    def schema_v2(s):
        s = rename_field(s, "city", "city_name")
        s = remove_field(s, "windows_version")
        return add_field(s, "startup_profile_selection_reason", "STRING")

    strings = ["client_id", "attribution_medium", "attribution_source", "attribution_campaign",
               "attribution_content", "attribution_dlsource", "attribution_ua", "city", "country",
               "distribution_id", "normalized_channel", "os", "os_version", "normalized_os",
               "normalized_os_version", "locale", "app_version", "windows_version",
               "startup_profile_selection_reason"]
    first_seen = [("first_seen_date", "DATE"), ("is_desktop", "BOOLEAN"),
                  ("windows_build_number", "INTEGER")] + [(s, "STRING") for s in strings]
    active = [("client_id", "STRING"), ("is_dau", "BOOLEAN"), ("submission_date", "DATE")]

    def rows(rng, clients, date):
        fs, au = [], []
        for c in clients:
            fs.append({"client_id": c, "first_seen_date": date, "is_desktop": True,
                       "attribution_medium": rng.choice(["cpc", "organic", None]),
                       "attribution_source": rng.choice(["google", "bing", None]),
                       "city": rng.choice(["Berlin", "Paris", "??"]),
                       "country": rng.choice(["DE", "FR"]),
                       "normalized_channel": "release", "os": "Windows_NT",
                       "windows_version": rng.choice(["10", "11"]),
                       "windows_build_number": rng.choice([19045, 22631]),
                       "locale": rng.choice(["de", "fr"]),
                       "startup_profile_selection_reason": rng.choice(["firstrun", None])})
            au.append({"client_id": c, "is_dau": rng.random() < 0.6, "submission_date": date})
        return {f"{PROJECT}.telemetry.clients_first_seen": (first_seen, fs),
                f"{PROJECT}.telemetry.active_users": (active, au)}

    return "desktop_new_profiles_aggregates", query, schema_v2, rows, "new_profiles"


def tou_desktop():
    """telemetry_derived.active_users_aggregates_tou_desktop_v1: TIMESTAMP partitioning, COUNTIF
    and COUNT(DISTINCT CASE ...) metrics over a LEFT JOIN."""

    def query(q):
        q = replace(q, "  bau.locale,\n", "  bau.locale AS app_locale,\n")  # renamed
        q = replace(q, "  bau.os_version_build,\n", "", count=2)  # removed
        q = replace(q, "  bau.attribution_source,\n", "  bau.attribution_source,\n  bau.city,\n")
        q = replace(q, "  bau.attribution_source\n", "  bau.attribution_source,\n  bau.city\n")
        return q

    def schema_v2(s):
        s = rename_field(s, "locale", "app_locale")
        s = remove_field(s, "os_version_build")
        return add_field(s, "city", "STRING")

    ints = ["first_seen_year", "os_version_major", "os_version_minor", "windows_build_number",
            "app_version_major", "app_version_minor", "app_version_patch_revision"]
    bools = ["app_version_is_major_release", "is_default_browser", "is_daily_user",
             "is_weekly_user", "is_monthly_user", "is_dau", "is_wau", "is_mau", "is_desktop"]
    strings = ["client_id", "channel", "app_name", "country", "locale", "os", "os_grouped",
               "os_version", "os_version_build", "app_version", "distribution_id",
               "activity_segment", "attribution_medium", "attribution_source", "city"]
    bau = ([("submission_date", "DATE")] + [(i, "INTEGER") for i in ints] +
           [(b, "BOOLEAN") for b in bools] + [(s, "STRING") for s in strings])
    tou = [("client_id", "STRING"), ("submission_date", "DATE")]

    def rows(rng, clients, date):
        b, t = [], []
        for c in clients:
            daily = rng.random() < 0.7
            b.append({"submission_date": date, "client_id": c, "first_seen_year": 2023,
                      "channel": "release", "app_name": "Firefox Desktop",
                      "country": rng.choice(["DE", "US"]), "locale": rng.choice(["de", "en-US"]),
                      "os": "Windows", "os_grouped": "Windows",
                      "os_version_build": rng.choice(["19045", "22631"]),
                      "app_version": "126.0", "app_version_major": 126,
                      "is_default_browser": rng.random() < 0.5,
                      "activity_segment": rng.choice(["regular_user", "infrequent_user"]),
                      "city": rng.choice(["Berlin", "Austin", "??"]),
                      "is_daily_user": daily, "is_weekly_user": True, "is_monthly_user": True,
                      "is_dau": daily, "is_wau": True, "is_mau": True, "is_desktop": True})
            if rng.random() < 0.5:
                t.append({"client_id": c, "submission_date": "2024-05-20"})
        return {f"{PROJECT}.firefox_desktop.baseline_active_users": (bau, b),
                f"{PROJECT}.firefox_desktop.terms_of_use_status": (tou, t)}

    return "active_users_aggregates_tou_desktop", query, schema_v2, rows, "daily_users"


def engagement():
    """telemetry_derived.desktop_engagement_v1: a derived upstream whose schema.yaml is in the
    tree, COUNTIF metrics."""

    def query(q):
        q = replace(q, "  normalized_os_version,\n", "  normalized_os_version AS os_version,\n")
        q = replace(q, "  attribution_ua,\n", "", count=2)  # removed
        q = replace(q, "  country,\n", "  country,\n  isp,\n", count=2)  # added
        return q

    def schema_v2(s):
        s = rename_field(s, "normalized_os_version", "os_version")
        s = remove_field(s, "attribution_ua")
        return add_field(s, "isp", "STRING")

    def rows(rng, clients, date):
        r = []
        for c in clients:
            r.append({"submission_date": date, "client_id": c, "first_seen_date": "2024-01-01",
                      "locale": rng.choice(["de", "fr"]),
                      "normalized_os": rng.choice(["Windows", "Mac"]),
                      "normalized_os_version": rng.choice(["10.0", "14.1"]),
                      "attribution_ua": rng.choice(["chrome", None]),
                      "isp": rng.choice(["Telekom", "Orange", None]),
                      "country": rng.choice(["DE", "FR"]), "is_desktop": True,
                      "is_dau": rng.random() < 0.6, "is_wau": True, "is_mau": True})
        # The tree has this table's schema.yaml: no schema file beside the data.
        return {f"{PROJECT}.telemetry_derived.desktop_engagement_clients_v1": (None, r)}

    return "desktop_engagement", query, schema_v2, rows, "dau"


# ---------------------------------------------------------------- the trial


def write_data(folder, tables):
    for name, (columns, rows) in tables.items():
        with open(os.path.join(folder, name + ".ndjson"), "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        if columns is not None:
            with open(os.path.join(folder, name + ".schema.yaml"), "w") as f:
                f.write(schema(columns))


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def sorted_rows(path):
    with open(path) as f:
        return sorted(json.dumps(json.loads(l), sort_keys=True) for l in f if l.strip())


def managed_backfill(binary, work, sql, v2, name, data, deleted, single):
    """Plans and runs a one-partition managed backfill of DATE; see the module's step 2."""
    table = name.rsplit(".", 1)[1]
    with open(os.path.join(v2, "backfill.yaml"), "w") as f:
        f.write(f"2024-06-03:\n  start_date: {DATE}\n  end_date: {DATE}\n"
                "  reason: The v2 bump of the shredmit trial.\n"
                "  watchers:\n  - trial@example.com\n  status: Initiate\n"
                "  shredder_mitigation: true\n")
    plan_dir = os.path.join(work, "plan")
    args = [name, "--sql-dir", sql, "--today", "2024-06-03", "--output-dir", plan_dir]
    p = subprocess.run([binary, "backfill", "plan"] + args + ["--format", "json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"{table}: backfill plan: exit {p.returncode}: {p.stderr[:300]}")
        return False
    plan = json.loads(p.stdout)
    upstream = plan["cost"]["upstream_reads_per_partition"]
    print(f"{table}: backfill plan: {plan['cost']['jobs_per_partition']} jobs per partition; "
          f"upstream reads per partition: {json.dumps(upstream)}")
    ok = bool(upstream) and all(n == 1 for n in upstream.values())
    # The sample data as the backfill sees it: the upstream after deletion, and the previous
    # version as computed before it.
    with open(deleted) as f:
        gone = set(f.read().split())
    run_data = os.path.join(work, "run-data-" + table)
    shutil.copytree(data, run_data)
    for file in os.listdir(run_data):
        if not file.endswith(".ndjson"):
            continue
        path = os.path.join(run_data, file)
        with open(path) as f:
            rows = [json.loads(l) for l in f if l.strip()]
        with open(path, "w") as f:
            for r in rows:
                if r.get("client_id") not in gone:
                    f.write(json.dumps(r) + "\n")
    shutil.copy(os.path.join(work, "previous.ndjson"),
                os.path.join(run_data, name.replace("_v2", "_v1") + ".ndjson"))
    result = os.path.join(work, "run-result")
    status, out = run(binary, ["backfill", "run"] + args + ["--data", run_data, "--output", result])
    production = os.path.join(result, name + ".ndjson")
    same = status == 0 and sorted_rows(production) == sorted_rows(single)
    print(f"{table}: backfill run (two steps): exit {status}; rows "
          f"{'equal' if same else 'DIFFER from'} simulate's single statement's"
          + ("" if status == 0 else f": {out[-300:]}"))
    return ok and same


def trial(checkout, binary, spec, work):
    table, edit_query, edit_schema, rows, metric = spec()
    sql = os.path.join(work, "sql")
    dataset = os.path.join(sql, PROJECT, "telemetry_derived")
    v1, v2 = os.path.join(dataset, table + "_v1"), os.path.join(dataset, table + "_v2")
    shutil.copytree(v1, v2)
    for name, edit in (("query.sql", edit_query), ("schema.yaml", edit_schema)):
        path = os.path.join(v2, name)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(edit(text))

    data = os.path.join(work, "data-" + table)
    os.makedirs(data)
    rng = random.Random(table)
    clients = [f"client-{i:03d}" for i in range(60)]
    upstream = rows(rng, clients, DATE)
    write_data(data, upstream)
    deleted = os.path.join(work, table + "-deleted.txt")
    with open(deleted, "w") as f:
        f.write("\n".join(clients[::7]) + "\n")  # shredder deleted every seventh client

    name = f"{PROJECT}.telemetry_derived.{table}_v2"
    previous = os.path.join(data, f"{PROJECT}.telemetry_derived.{table}_v1.ndjson")
    base = ["simulate", name, "--sql-dir", sql, "--data", data, "--date", DATE,
            "--deleted-clients", deleted]
    ok = True
    single = os.path.join(work, "single.ndjson")
    status, out = run(binary, base + ["--previous-output", os.path.join(work, "previous.ndjson"),
                                      "--output", single])
    verdict = [l for l in out.splitlines() if l.startswith("checks:") or "error" in l]
    print(f"{table}: simulate from upstream rows and {len(clients[::7])} deleted clients: "
          f"exit {status}; {'; '.join(verdict)[:300]}")
    for line in out.splitlines():
        if line.startswith(("previous table:", "deleted client rows:", "new query:")):
            print("  " + line)
    ok &= status == 0
    if status != 0:
        return False
    ok &= managed_backfill(binary, work, sql, v2, name, data, deleted, single)

    # Late rows: twelve new clients reach the upstream after the previous version was computed,
    # in the group of a client shredder kept (clients[1]). More arrive than shredder deleted
    # from any group: late rows fewer than the deletion in their group look like a smaller
    # deletion, and no check can tell them apart (docs/simulate.md's limits).
    shutil.move(os.path.join(work, "previous.ndjson"), previous)
    late = {}
    for name, (columns, table_rows) in upstream.items():
        kept = [r for r in table_rows if r.get("client_id") == clients[1]]
        late[name] = (None, [dict(r, client_id=f"late-{i}") for i in range(12) for r in kept])
    write_data(data, late)
    report = os.path.join(work, "report")
    status, out = run(binary, base + ["--report", report])
    verdict = [l for l in out.splitlines() if l.startswith("checks:")]
    print(f"{table}: with late upstream rows: exit {status}; {'; '.join(verdict)[:200]}")
    with open(os.path.join(report, "report.json")) as f:
        summary = json.load(f)["summary"]
    print(f"  report: {summary[:300]}")
    ok &= status == 1 and "increase" in out and summary.startswith("mismatch:")
    return ok


def lint_baseline(binary, checkout):
    """The baseline gate on a copy of the whole tree; True when it behaves as documented."""
    work = tempfile.mkdtemp(prefix="shredmit-trial-lint-")
    try:
        for part in ("sql", "bigquery_etl"):
            if os.path.isdir(os.path.join(checkout, part)):
                shutil.copytree(os.path.join(checkout, part), os.path.join(work, part))
        baseline = os.path.join(work, "lint-baseline.json")
        sql = os.path.join(work, "sql")
        status, out = run(binary, ["lint", sql, "--write-baseline", baseline])
        written = len(json.load(open(baseline))["findings"]) if status == 0 else 0
        clean, out = run(binary, ["lint", sql, "--baseline", baseline])
        schema = os.path.join(sql, "moz-fx-data-shared-prod", "google_ads_derived",
                              "android_app_campaign_stats_v1", "schema.yaml")
        with open(schema) as f:
            text = f.read()
        with open(schema, "w") as f:
            f.write(replace(text, 'description: "Name of the campaign."', 'description: ""'))
        dirty, out = run(binary, ["lint", sql, "--baseline", baseline, "--format", "json"])
        new = [f for f in json.loads(out)["findings"] if f["suppressed"] is None]
        print(f"lint baseline: {written} findings written; with it: exit {clean}; after one "
              f"emptied description: exit {dirty}, new: "
              + "; ".join(f"{os.path.relpath(f['file'], sql)}:{f['line']} {f['rule']}" for f in new))
        return (status == 0 and written > 0 and clean == 0 and dirty == 1 and len(new) == 1
                and new[0]["rule"] == "SM003" and new[0]["file"] == schema)
    finally:
        shutil.rmtree(work)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = sys.argv[1]
    binary = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/shredmit")
    ok = True
    for spec in (new_profiles, tou_desktop, engagement):
        work = tempfile.mkdtemp(prefix="shredmit-trial-")
        try:
            shutil.copytree(os.path.join(checkout, "sql"), os.path.join(work, "sql"))
            ok &= trial(checkout, binary, spec, work)
        finally:
            shutil.rmtree(work)
    ok &= lint_baseline(binary, checkout)
    print("trial: " + ("every table behaved as expected" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
