// Planning a managed backfill offline, and the plan's text, JSON and bash forms (see backfill.h).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "backfill.h"
#include "internal.h"
#include "resolve/resolve.h"
#include "syntax/format.h"

namespace shredmit::backfill {

namespace fs = std::filesystem;

std::optional<Days> parse_date(std::string_view text) {
  if (!base::is_iso_date(text)) return std::nullopt;
  auto number = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  using namespace std::chrono;
  return sys_days(year{number(0, 4)} / month{static_cast<unsigned>(number(5, 2))} /
                  day{static_cast<unsigned>(number(8, 2))});
}

std::string format_date(Days d) {
  std::chrono::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

Days today() { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); }

namespace {

constexpr const char* kDefaultBillingProject = "moz-fx-data-backfill-slots";
constexpr const char* kPublicProject = "mozilla-public-data";

Days first_of_month(Days d) {
  std::chrono::year_month_day ymd{d};
  return std::chrono::sys_days(ymd.year() / ymd.month() / std::chrono::day{1});
}

Days add_months(Days d, int n) {
  std::chrono::year_month_day ymd{d};
  auto ym = ymd.year() / ymd.month() + std::chrono::months(n);
  auto last = std::chrono::year_month_day_last(ym.year(), std::chrono::month_day_last(ym.month()));
  auto day = std::min(ymd.day(), last.day());
  return std::chrono::sys_days(ym.year() / ym.month() / day);
}

std::string compact(Days d, bool month) {
  std::string s = format_date(d);
  s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
  return month ? s.substr(0, 6) : s;
}

nlohmann::json schema_json(const std::vector<project::SchemaField>& fields) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    nlohmann::json j = {{"name", f.name}, {"type", f.type}, {"mode", f.mode}};
    if (f.description) j["description"] = *f.description;
    if (!f.fields.empty()) j["fields"] = schema_json(f.fields);
    out.push_back(std::move(j));
  }
  return out;
}

// Single-quoted for bash.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string_view step_kind_name(StepKind k) {
  switch (k) {
    case StepKind::kGenerate:
      return "generate";
    case StepKind::kCreateStaging:
      return "create_staging";
    case StepKind::kRewriteReferences:
      return "rewrite_references";
    case StepKind::kSeedPreviousPartition:
      return "seed_previous_partition";
    case StepKind::kDryRun:
      return "dry_run";
    case StepKind::kQuery:
      return "query";
    case StepKind::kCheck:
      return "check";
    case StepKind::kBackup:
      return "backup";
    case StepKind::kCopyPartition:
      return "copy_partition";
    case StepKind::kDeleteStaging:
      return "delete_staging";
  }
  return "?";
}

Plan plan(const project::SqlTree& tree, const project::TableId& table, const PlanOptions& o) {
  fs::path dir = tree.table_dir(table);
  fs::path backfill_file = dir / "backfill.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(backfill_file, ec)) {
    throw base::Error(backfill_file.string(), 0, 0,
                      "file not found; a managed backfill is described by the table's "
                      "backfill.yaml (`bqetl backfill create` writes it)");
  }
  if (o.parallelism < 1) {
    throw base::Error::usage("--parallelism must be at least 1");
  }
  ValidateOptions vo;
  vo.today = o.today;
  vo.mitigation_preconditions = false;  // generate below reports them with their own location
  vo.mitigation = o.mitigation;
  auto findings = validate(backfill_file, tree, vo);
  size_t errors = base::count_errors(findings);
  if (errors > 0) {
    const auto& f = *std::find_if(findings.begin(), findings.end(), [](const base::Finding& x) {
      return x.severity == base::Severity::kError;
    });
    throw base::Error(f.file, f.line, f.column,
                      fmt::format("[{}] {} ({} error{} in the file; `shredmit backfill validate` "
                                  "lists them)",
                                  f.rule, f.message, errors, errors == 1 ? "" : "s"));
  }
  project::Backfill backfill = project::load_backfill(backfill_file);
  const project::BackfillEntry* entry = nullptr;
  for (const auto& e : backfill.entries) {
    bool match = o.entry.empty() ? syntax::to_lower(e.status.text) == "initiate"
                                 : e.entry_date.text == o.entry;
    if (match && !entry) entry = &e;
  }
  if (!entry) {
    throw base::Error(backfill_file.string(), 0, 0,
                      o.entry.empty() ? "no entry has status Initiate; add one (`bqetl backfill "
                                        "create`) or name an entry with --entry YYYY-MM-DD"
                                      : "no entry is dated " + o.entry +
                                            "; --entry takes an entry date of the file");
  }
  project::Metadata md = project::load_metadata(dir / "metadata.yaml");

  Plan p;
  p.table = table;
  p.tree = tree;
  p.clustering_fields = md.clustering_fields;
  p.entry_date = entry->entry_date.text;
  p.start_date = entry->start_date.text;
  p.end_date = entry->end_date.text;
  for (const auto& x : entry->excluded_date_items) p.excluded_dates.push_back(x.text);
  p.staging_table = staging_table_name(table, p.entry_date, o.staging_project);
  p.backup_table = backup_table_name(table, p.entry_date, o.staging_project);
  p.production_table = md.public_bigquery
                           ? fmt::format("{}.{}.{}", kPublicProject, table.dataset, table.table())
                           : table.qualified();
  p.billing_project = !o.billing_project.empty() ? o.billing_project
                      : !entry->field("billing_project").text.empty()
                          ? entry->field("billing_project").text
                          : kDefaultBillingProject;
  p.partition_type = syntax::to_lower(md.partition_type.value_or(""));
  p.partition_field = md.partition_field.value_or("");
  p.date_partition_parameter = md.date_partition_parameter;
  if (entry->flag("override_depends_on_past_null_partition")) {
    p.date_partition_parameter = "submission_date";
  }
  p.offset = entry->flag("ignore_date_partition_offset") ? 0 : md.date_partition_offset;
  p.mitigation = entry->mitigation;
  p.baseline = o.mitigation.baseline;
  p.depends_on_past = md.depends_on_past;
  p.parallelism = p.depends_on_past ? 1 : o.parallelism;
  p.schema_file = dir / "schema.yaml";
  fs::path out_dir = o.output_dir.empty() ? dir : o.output_dir;
  bool month = p.partition_type == "month";
  if (month && p.offset != 0) {
    throw base::Error(md.file, md.date_partition_offset_at.line, md.date_partition_offset_at.column,
                      "offsets are unsupported for monthly partitions; add "
                      "ignore_date_partition_offset: true to the entry");
  }
  if (!fs::is_regular_file(p.schema_file, ec)) {
    throw base::Error(p.schema_file.string(), 0, 0,
                      "file not found; the staging table is created with the table's schema.yaml "
                      "(`bqetl query schema update` writes it)");
  }

  // The query each partition runs.
  const auto& custom = entry->field("custom_query_path").text;
  if (p.mitigation) {
    mitigation::Options mo = o.mitigation;
    mo.staging_table = p.staging_table;
    p.generated = mitigation::generate(tree, table, mo);
    p.query_sql = p.generated->query_sql;
    p.query_file = out_dir / "shredder_mitigation_query.sql";
    p.checks_file = out_dir / "shredder_mitigation_checks.sql";
    p.check_file = out_dir / "shredder_mitigation_checks.fail.sql";
    p.validation_dir = out_dir / "shredder_mitigation_validation";
    p.results_dir = out_dir / "validation_results";
    for (const auto& w : p.generated->warnings) p.warnings.push_back(w);
  } else {
    fs::path source = custom.empty() ? dir / "query.sql" : tree.repo_root / custom;
    if (source.extension() == ".py" || (custom.empty() && fs::exists(dir / "query.py", ec))) {
      throw base::Error(source.string(), 0, 0,
                        "backfills of Python queries are not planned by shredmit; run `bqetl "
                        "backfill initiate` for this table");
    }
    auto parsed = project::parse_sql_file(source, {});
    p.query_sql = parsed.sql;
    p.query_file = parsed.templated ? out_dir / "backfill_query.sql" : source;
    if (parsed.templated) {
      p.warnings.push_back(
          fmt::format("note: {} is a Jinja template; the plan runs it rendered, "
                      "as {}",
                      source.string(), p.query_file.string()));
    }
  }
  if (p.depends_on_past) {
    // bigquery-etl rewrites every `project.dataset.table` of the query to the staging table, so
    // each date reads the partitions written before it.
    std::string from = "`" + table.qualified() + "`";
    std::string to = "`" + p.staging_table + "`";
    for (size_t at = p.query_sql.find(from); at != std::string::npos;
         at = p.query_sql.find(from, at + to.size())) {
      p.query_sql.replace(at, from.size(), to);
    }
    p.query_file = out_dir / "replaced_ref.sql";
  }
  p.staging_schema_json = out_dir / "backfill_staging_schema.json";

  // Partitions.
  Days start = *parse_date(p.start_date), end = *parse_date(p.end_date);
  std::set<Days> excluded;
  for (const auto& x : p.excluded_dates) {
    Days d = *parse_date(x);
    excluded.insert(month ? first_of_month(d) : d);
  }
  std::vector<Days> dates;
  if (month) {
    for (Days d = first_of_month(start); d <= end; d = add_months(d, 1)) dates.push_back(d);
  } else {
    for (Days d = start; d <= end; d += std::chrono::days(1)) dates.push_back(d);
  }
  bool partitioned = !p.partition_type.empty();
  std::set<std::string> scheduled_names;
  for (const auto& s : md.parameters) scheduled_names.insert(s.substr(0, s.find(':')));
  for (Days d : dates) {
    if (excluded.count(d)) continue;
    Partition part;
    part.date = format_date(d);
    Days shifted = d + std::chrono::days(p.offset);
    part.parameter_date = format_date(shifted);
    if (partitioned && (p.date_partition_parameter || p.offset != 0)) {
      part.id = compact(shifted, month);
    }
    part.destination = part.id.empty() ? p.staging_table : p.staging_table + "$" + part.id;
    part.parameters = project::bind_scheduling_parameters(md, part.date);
    if (p.date_partition_parameter && !scheduled_names.count(*p.date_partition_parameter)) {
      part.parameters.push_back(*p.date_partition_parameter + ":DATE:" + part.parameter_date);
    }
    p.partitions.push_back(std::move(part));
  }
  if (p.partitions.empty()) {
    throw base::Error(backfill_file.string(), entry->entry_date.key.line,
                      entry->entry_date.key.column,
                      "the entry leaves no date to backfill; check its dates and excluded_dates");
  }
  if (p.depends_on_past && partitioned) {
    Days before = month ? add_months(first_of_month(start), -1) : start - std::chrono::days(1);
    p.seed_partition = format_date(before + std::chrono::days(p.offset));
  }

  // Steps, in the order `bqetl backfill initiate` and `complete` run them.
  auto add = [&](StepKind kind, std::string phase, std::string date,
                 std::vector<std::string> inputs, std::vector<std::string> outputs,
                 std::vector<std::string> parameters = {}, std::string disposition = {}) {
    p.steps.push_back(Step{kind, std::move(phase), std::move(date), std::move(inputs),
                           std::move(outputs), std::move(parameters), std::move(disposition)});
  };
  std::vector<std::string> reads;  // the base tables each partition's query reads
  {
    std::set<std::string> tables;
    try {
      for (const auto& [path, at] :
           resolve::Resolution(*syntax::parse_query(p.query_sql)).tables_read()) {
        tables.insert(path);
      }
    } catch (const std::exception&) {
      // A script or DDL: the inputs are not listed.
    }
    reads.assign(tables.begin(), tables.end());
  }
  if (p.mitigation) {
    add(StepKind::kGenerate, "initiate", "",
        {(dir / "query.sql").string(),
         (tree.table_dir(p.generated->previous_table) / "query.sql").string()},
        {p.query_file.string(), p.checks_file.string(), p.check_file.string()});
  }
  add(StepKind::kCreateStaging, "initiate", "",
      {p.schema_file.string(), (dir / "metadata.yaml").string()}, {p.staging_table});
  if (p.depends_on_past) {
    add(StepKind::kRewriteReferences, "initiate", "", {table.qualified()}, {p.query_file.string()});
    if (p.seed_partition) {
      std::string id = compact(*parse_date(*p.seed_partition), month);
      add(StepKind::kSeedPreviousPartition, "initiate", *p.seed_partition,
          {table.qualified() + "$" + id}, {p.staging_table + "$" + id}, {}, "WRITE_TRUNCATE");
    }
  }
  std::vector<std::string> query_inputs = reads;
  query_inputs.insert(query_inputs.begin(), p.query_file.string());
  for (const auto& part : p.partitions) {
    add(StepKind::kDryRun, "initiate", part.date, query_inputs, {part.destination},
        part.parameters);
  }
  for (const auto& part : p.partitions) {
    add(StepKind::kQuery, "initiate", part.date, query_inputs, {part.destination}, part.parameters,
        "WRITE_TRUNCATE");
    if (p.mitigation) {
      add(StepKind::kCheck, "initiate", part.date,
          {p.check_file.string(), p.generated->previous_table.qualified(), p.staging_table}, {},
          part.parameters);
    }
  }
  add(StepKind::kBackup, "complete", "", {p.production_table}, {p.backup_table}, {}, "WRITE_EMPTY");
  if (!partitioned) {
    add(StepKind::kCopyPartition, "complete", "", {p.staging_table}, {p.production_table}, {},
        "WRITE_TRUNCATE");
  } else {
    for (const auto& part : p.partitions) {
      std::string id = part.id.empty() ? "" : "$" + part.id;
      add(StepKind::kCopyPartition, "complete", part.date, {p.staging_table + id},
          {p.production_table + id}, {}, "WRITE_TRUNCATE");
    }
  }
  add(StepKind::kDeleteStaging, "complete", "", {p.staging_table}, {});

  // The cost line.
  size_t n = p.partitions.size();
  std::string reads_text;
  if (p.mitigation) {
    reads_text = fmt::format(
        "; each partition reads the new query's upstream {} and the previous version's partition "
        "({}) once",
        p.baseline == mitigation::Baseline::kPreviousQuery ? "twice (--baseline previous-query)"
                                                           : "once",
        p.generated->previous_table.qualified());
  } else {
    reads_text = "; each partition reads what the query reads for one date";
  }
  p.cost = fmt::format(
      "{} partition{}: {} query run{} into staging{}, {} dry run{} (free){}{}; complete: 1 clone "
      "and {} copy job{} (no query cost)",
      n, n == 1 ? "" : "s", n, n == 1 ? "" : "s",
      p.mitigation
          ? fmt::format(", {} check run{} (billed to {})", n, n == 1 ? "" : "s", table.project)
          : std::string(),
      n, n == 1 ? "" : "s", reads_text, p.depends_on_past ? ", 1 seed copy" : "",
      partitioned ? n : 1, (partitioned ? n : 1) == 1 ? "" : "s");
  return p;
}

std::vector<fs::path> write_plan_files(const Plan& p) {
  // Every file is computed first and written together, so that an error leaves nothing new.
  std::vector<base::OutputFile> files;
  auto write = [&](const fs::path& file, std::string text) {
    files.push_back({file, std::move(text)});
  };
  if (p.generated) {
    write(p.checks_file, p.generated->checks_sql);
    write(p.check_file, syntax::format_generated_sql(p.generated->check_sql, "check"));
    for (const auto& v : p.generated->validation) {
      write(p.validation_dir / (v.name + ".sql"),
            syntax::format_generated_sql(v.sql, "validation query"));
    }
  }
  if (p.generated) {
    write(p.query_file, p.query_sql);
  } else if (p.query_file.filename() == "backfill_query.sql" ||
             p.query_file.filename() == "replaced_ref.sql") {
    write(p.query_file, syntax::format_generated_sql(p.query_sql, "backfill query"));
  }
  auto schema = project::load_schema(p.schema_file, p.tree);
  write(p.staging_schema_json, schema_json(schema.fields).dump(2) + "\n");
  base::write_files_atomically(files);
  std::vector<fs::path> written;
  for (const auto& f : files) written.push_back(f.path);
  return written;
}

std::string format_text(const Plan& p) {
  std::string out = fmt::format(
      "shredmit backfill plan: {}, entry {}\n"
      "dates: {} to {}{}, {} partition{} ({})\n"
      "staging table: {}\n"
      "backup table: {}\n"
      "production table: {}\n"
      "billing project: {}\n"
      "query: {}{}\n",
      p.table.qualified(), p.entry_date, p.start_date, p.end_date,
      p.excluded_dates.empty() ? std::string()
                               : fmt::format(" excluding {}", fmt::join(p.excluded_dates, ", ")),
      p.partitions.size(), p.partitions.size() == 1 ? "" : "s",
      p.partition_type.empty()
          ? std::string("unpartitioned: each date writes the whole table")
          : fmt::format("{} partitions{}, parameter {}, offset {} day{}", p.partition_type,
                        p.partition_field.empty() ? "" : " on " + p.partition_field,
                        p.date_partition_parameter ? "@" + *p.date_partition_parameter
                                                   : std::string("none"),
                        p.offset, p.offset == 1 || p.offset == -1 ? "" : "s"),
      p.staging_table, p.backup_table, p.production_table, p.billing_project, p.query_file.string(),
      p.mitigation ? fmt::format(" (shredder mitigation, baseline {})",
                                 mitigation::baseline_name(p.baseline))
                   : std::string());
  if (p.mitigation)
    out += fmt::format("checks: {} (the #fail statement: {})\n", p.checks_file.string(),
                       p.check_file.string());
  out += fmt::format("order: {}\n\npartitions:\n",
                     p.depends_on_past ? "sequential (depends_on_past), oldest first"
                                       : fmt::format("up to {} at once", p.parallelism));
  for (const auto& part : p.partitions) {
    out += fmt::format("  {}  -> {}  {}\n", part.date, part.destination,
                       fmt::join(part.parameters, " "));
  }
  out += "\nsteps:\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    out += fmt::format(
        "  {:>3}. {:<8}  {:<23}  {}{} -> {}{}\n", i + 1, s.phase, step_kind_name(s.kind),
        s.date.empty() ? "" : s.date + "  ",
        s.inputs.empty() ? std::string("-") : fmt::format("{}", fmt::join(s.inputs, ", ")),
        s.outputs.empty() ? std::string("-") : fmt::format("{}", fmt::join(s.outputs, ", ")),
        s.write_disposition.empty() ? "" : "  (" + s.write_disposition + ")");
  }
  out += "\ncost: " + p.cost + "\n";
  return out;
}

std::string format_json(const Plan& p) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& part : p.partitions) {
    partitions.push_back({{"date", part.date},
                          {"parameter_date", part.parameter_date},
                          {"partition_id", part.id},
                          {"destination", part.destination},
                          {"parameters", part.parameters}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : p.steps) {
    nlohmann::json j = {{"kind", step_kind_name(s.kind)},
                        {"phase", s.phase},
                        {"inputs", s.inputs},
                        {"outputs", s.outputs}};
    if (!s.date.empty()) j["date"] = s.date;
    if (!s.parameters.empty()) j["parameters"] = s.parameters;
    if (!s.write_disposition.empty()) j["write_disposition"] = s.write_disposition;
    steps.push_back(std::move(j));
  }
  nlohmann::json doc = {
      {"table", p.table.qualified()},
      {"entry_date", p.entry_date},
      {"start_date", p.start_date},
      {"end_date", p.end_date},
      {"excluded_dates", p.excluded_dates},
      {"staging_table", p.staging_table},
      {"backup_table", p.backup_table},
      {"production_table", p.production_table},
      {"billing_project", p.billing_project},
      {"partition_type",
       p.partition_type.empty() ? nlohmann::json() : nlohmann::json(p.partition_type)},
      {"partition_field",
       p.partition_field.empty() ? nlohmann::json() : nlohmann::json(p.partition_field)},
      {"date_partition_parameter",
       p.date_partition_parameter ? nlohmann::json(*p.date_partition_parameter) : nlohmann::json()},
      {"date_partition_offset", p.offset},
      {"shredder_mitigation", p.mitigation},
      {"depends_on_past", p.depends_on_past},
      {"parallelism", p.parallelism},
      {"query_file", p.query_file.string()},
      {"partitions", partitions},
      {"steps", steps},
      {"cost",
       {{"partitions", p.partitions.size()},
        {"query_runs", p.partitions.size()},
        {"check_runs", p.mitigation ? p.partitions.size() : 0},
        {"dry_runs", p.partitions.size()},
        {"upstream_reads_per_partition",
         p.mitigation && p.baseline == mitigation::Baseline::kPreviousQuery ? 2 : 1},
        {"previous_version_reads_per_partition", p.mitigation ? 1 : 0},
        {"summary", p.cost}}}};
  if (p.mitigation) {
    doc["baseline"] = mitigation::baseline_name(p.baseline);
    doc["checks_file"] = p.checks_file.string();
    doc["check_file"] = p.check_file.string();
    doc["validation_dir"] = p.validation_dir.string();
    doc["results_dir"] = p.results_dir.string();
    doc["previous_table"] = p.generated->previous_table.qualified();
  }
  return base::dump_json(doc, 2) + "\n";
}

std::string format_sh(const Plan& p) {
  bool partitioned = !p.partition_type.empty();
  std::string dates, ids, params;
  for (const auto& part : p.partitions) {
    dates += (dates.empty() ? "" : " ") + part.date;
    ids += (ids.empty() ? "" : " ") + sh_quote(part.id);
    std::string args;
    for (const auto& x : part.parameters) args += (args.empty() ? "" : " ") + ("--parameter=" + x);
    params += (params.empty() ? "" : " ") + sh_quote(args);
  }
  std::string out = fmt::format(
      R"SH(#!/usr/bin/env bash
# Managed backfill of {table}, entry {entry} ({start} to {end}), planned by `shredmit backfill plan`.
# Usage: bash THIS_SCRIPT [--from-date YYYY-MM-DD] [--initiate-only | --complete-only]
#   --from-date   restart the initiate phase at this partition date (staging already exists)
# Cost: {cost}
set -euo pipefail

PROJECT={project}
STAGING={staging}
BACKUP={backup}
PRODUCTION={production}
BILLING={billing}
QUERY_FILE={query}
CHECK_FILE={check}
VALIDATION_DIR={validation}
RESULTS_DIR=${{RESULTS_DIR:-{results}}}
SCHEMA_FILE={schema}
PARALLELISM={parallelism}
DATES=({dates})
PARTITION_IDS=({ids})
PARAMETERS=({params})

from_date=""
phase=all
while [ $# -gt 0 ]; do
  case "$1" in
    --from-date) from_date="$2"; shift 2 ;;
    --from-date=*) from_date="${{1#*=}}"; shift ;;
    --initiate-only) phase=initiate; shift ;;
    --complete-only) phase=complete; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -n "$from_date" ] && ! [[ "$from_date" =~ ^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$ ]]; then
  echo "--from-date takes YYYY-MM-DD, got '$from_date'" >&2
  exit 2
fi

bq_table() {{ local t="$1"; echo "${{t%%.*}}:${{t#*.}}"; }}

table_exists() {{ bq show --format=none "$(bq_table "$1")" >/dev/null 2>&1; }}

# run_partition INDEX DRY_RUN: the query of one partition into staging, then its check.
run_partition() {{
  local i="$1" dry="$2" destination="$STAGING"
  local -a parameters
  read -r -a parameters <<< "${{PARAMETERS[$i]}}"
  if [ -n "${{PARTITION_IDS[$i]}}" ]; then destination="$STAGING\$${{PARTITION_IDS[$i]}}"; fi
  local -a dry_flag=()
  if [ "$dry" = 1 ]; then dry_flag=(--dry_run); fi
  echo "${{DATES[$i]}}: $([ "$dry" = 1 ] && echo "dry run" || echo "query") -> $destination" >&2
  bq query --use_legacy_sql=false --replace --max_rows=100 --project_id="$PROJECT" \
    --format=none "${{parameters[@]}}" "${{dry_flag[@]}}" --project_id="$BILLING" \
    --destination_table="$(bq_table "$destination")" < "$QUERY_FILE"
  if [ -n "$CHECK_FILE" ]; then
    echo "${{DATES[$i]}}: check" >&2
    bq query --use_legacy_sql=false --project_id="$PROJECT" "${{parameters[@]}}" \
      "${{dry_flag[@]}}" < "$CHECK_FILE"
  fi
  if [ -n "$VALIDATION_DIR" ]; then validate_partition "$i" "$dry"; fi
}}

# validate_partition INDEX DRY_RUN: after the check passed, the validation queries of one
# partition (dry-run in the first pass), their results saved as bq's JSON in
# $RESULTS_DIR/DATE/, and the report `shredmit report` renders from them beside them.
validate_partition() {{
  local i="$1" dry="$2" f name
  local out="$RESULTS_DIR/${{DATES[$i]}}"
  local -a parameters
  read -r -a parameters <<< "${{PARAMETERS[$i]}}"
  for f in "$VALIDATION_DIR"/*.sql; do
    name=$(basename "$f" .sql)
    if [ "$dry" = 1 ]; then
      bq query --use_legacy_sql=false --project_id="$PROJECT" "${{parameters[@]}}" --dry_run \
        < "$f"
      continue
    fi
    mkdir -p "$out"
    echo "${{DATES[$i]}}: validation $name -> $out/$name.json" >&2
    bq query --use_legacy_sql=false --project_id="$PROJECT" "${{parameters[@]}}" --format=json \
      --max_rows=1000000 < "$f" > "$out/$name.json"
  done
  if [ "$dry" = 0 ] && command -v shredmit >/dev/null; then
    shredmit report --results "$out" --table "$PRODUCTION" > "$out/report.md" || true
    shredmit report --results "$out" --table "$PRODUCTION" --format html > "$out/report.html" \
      || true
    echo "${{DATES[$i]}}: $(head -n 3 "$out/report.md" | tail -n 1)" >&2
  fi
}}

# run_pass DRY_RUN: every partition from --from-date on, PARALLELISM at a time.
run_pass() {{
  local dry="$1" running=0 failed=0 i
  for i in "${{!DATES[@]}}"; do
    if [ -n "$from_date" ] && [[ "${{DATES[$i]}}" < "$from_date" ]]; then continue; fi
    if [ "$PARALLELISM" -le 1 ]; then
      run_partition "$i" "$dry"
      continue
    fi
    run_partition "$i" "$dry" &
    running=$((running + 1))
    if [ "$running" -ge "$PARALLELISM" ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
  done
  while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  if [ "$failed" -ne 0 ]; then
    echo "some partitions failed; fix the cause and rerun with --from-date <first failed date>" >&2
    exit 1
  fi
}}

initiate() {{
  if [ -z "$from_date" ]; then
    if table_exists "$STAGING"; then
      echo "the staging table $STAGING already exists: resume with --from-date YYYY-MM-DD," >&2
      echo "or remove it with: bq rm -f -t $(bq_table "$STAGING")" >&2
      exit 1
    fi
    bq mk --table --schema="$SCHEMA_FILE" {partitioning}{clustering}--expiration=2592000 \
      "$(bq_table "$STAGING")"
{seed}  fi
  run_pass 1
  run_pass 0
}}

complete() {{
  if table_exists "$BACKUP"; then
    echo "the backup table $BACKUP already exists, so complete already ran (or failed midway)." >&2
    echo "check $PRODUCTION, then remove the backup with: bq rm -f -t $(bq_table "$BACKUP")" >&2
    exit 1
  fi
  bq cp --clone=true --no_clobber --expiration=2592000 "$(bq_table "$PRODUCTION")" \
    "$(bq_table "$BACKUP")"
{copies}  bq rm -f -t "$(bq_table "$STAGING")"
}}

if [ "$phase" != complete ]; then initiate; fi
if [ "$phase" != initiate ]; then complete; fi
echo "backfill of $PRODUCTION, entry {entry}: done" >&2
)SH",
      fmt::arg("table", p.table.qualified()), fmt::arg("entry", p.entry_date),
      fmt::arg("start", p.start_date), fmt::arg("end", p.end_date), fmt::arg("cost", p.cost),
      fmt::arg("project", sh_quote(p.table.project)),
      fmt::arg("staging", sh_quote(p.staging_table)), fmt::arg("backup", sh_quote(p.backup_table)),
      fmt::arg("production", sh_quote(p.production_table)),
      fmt::arg("billing", sh_quote(p.billing_project)),
      fmt::arg("query", sh_quote(p.query_file.string())),
      fmt::arg("check", sh_quote(p.check_file.string())),
      fmt::arg("validation", sh_quote(p.validation_dir.string())),
      fmt::arg("results", sh_quote(p.results_dir.string())),
      fmt::arg("schema", sh_quote(p.staging_schema_json.string())),
      fmt::arg("parallelism", p.parallelism), fmt::arg("dates", dates), fmt::arg("ids", ids),
      fmt::arg("params", params),
      fmt::arg("partitioning",
               partitioned
                   ? fmt::format("--time_partitioning_type={} {}",
                                 p.partition_type == "month" ? "MONTH" : "DAY",
                                 p.partition_field.empty() ? std::string()
                                                           : "--time_partitioning_field=" +
                                                                 sh_quote(p.partition_field) + " ")
                   : std::string()),
      fmt::arg("clustering",
               p.clustering_fields.empty()
                   ? std::string()
                   : fmt::format("--clustering_fields={} ",
                                 sh_quote(fmt::format("{}", fmt::join(p.clustering_fields, ","))))),
      fmt::arg("seed",
               [&] {
                 if (!p.seed_partition) return std::string();
                 std::string id =
                     compact(*parse_date(*p.seed_partition), p.partition_type == "month");
                 return fmt::format(
                     "    bq cp -f \"$(bq_table \"$PRODUCTION\")\\${}\" "
                     "\"$(bq_table \"$STAGING\")\\${}\"\n",
                     id, id);
               }()),
      fmt::arg("copies", [&] {
        if (!partitioned) {
          return std::string(
              "  bq cp -f \"$(bq_table \"$STAGING\")\" \"$(bq_table \"$PRODUCTION\")\"\n");
        }
        return std::string(
            "  for id in \"${PARTITION_IDS[@]}\"; do\n"
            "    echo \"copy $STAGING\\$$id -> $PRODUCTION\\$$id\" >&2\n"
            "    bq cp -f \"$(bq_table \"$STAGING\")\\$$id\" \"$(bq_table "
            "\"$PRODUCTION\")\\$$id\"\n"
            "  done\n");
      }()));
  return out;
}

}  // namespace shredmit::backfill
