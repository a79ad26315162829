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
    case StepKind::kCompensate:
      return "compensate";
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

namespace {

std::string times(int n) { return n == 1 ? "once" : n == 2 ? "twice" : fmt::format("{} times", n); }

// The statement names of a partition, the validation queries counted together.
std::string statement_names(const Plan& p) {
  std::vector<std::string> names;
  size_t validations = 0;
  for (const auto& st : p.statements) {
    if (st.name.rfind("validation ", 0) == 0) {
      ++validations;
    } else {
      names.push_back(st.name);
    }
  }
  if (validations > 0) {
    names.push_back(
        fmt::format("{} validation quer{}", validations, validations == 1 ? "y" : "ies"));
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

// The cost line: jobs, and reads per partition counted from the statements' SQL.
std::string cost_summary(const Plan& p) {
  size_t n = p.partitions.size(), jobs = p.statements.size();
  std::vector<std::string> upstream;
  int own = 0;
  for (const auto& r : p.reads) {
    if (!r.upstream) {
      own += r.reads;
      continue;
    }
    std::vector<std::string> by;
    for (const auto& b : r.by) {
      if (std::find(by.begin(), by.end(), b) == by.end()) by.push_back(b);
    }
    upstream.push_back(
        fmt::format("{} {} (by the {})", r.table, times(r.reads), fmt::join(by, ", ")));
  }
  std::vector<std::string> unknown;
  for (const auto& st : p.statements) {
    if (!st.reads_known) unknown.push_back(st.name);
  }
  std::string reads = upstream.empty() ? std::string("no upstream table read")
                                       : fmt::format("upstream {}", fmt::join(upstream, ", "));
  if (own > 0) {
    reads += fmt::format("; the aggregate's own partitions (the previous version's{}) scanned {}",
                         p.mitigation ? ", staging's and the first step's" : "", times(own));
  }
  if (!unknown.empty()) {
    reads +=
        fmt::format("; not counted: the reads of the {} (not a query)", fmt::join(unknown, ", "));
  }
  size_t copies = p.partition_type.empty() ? 1 : n;
  return fmt::format(
      "{} partition{}, each {} query job{} ({}) after as many dry runs (free): {} query jobs; per "
      "partition: {}{}; complete: 1 clone and {} copy job{} (no query cost); the script prints the "
      "dry runs' bytes and on-demand price (${} per TiB) before it runs a query",
      n, n == 1 ? "" : "s", jobs, jobs == 1 ? "" : "s", statement_names(p), n * jobs, reads,
      p.depends_on_past ? "; 1 seed copy" : "", copies, copies == 1 ? "" : "s",
      fmt::format("{:.2f}", p.price_per_tib));
}

}  // namespace

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
  p.price_per_tib = o.price_per_tib;
  if (!(o.price_per_tib >= 0)) throw base::Error::usage("--price-per-tib must be 0 or more");
  std::optional<fs::path> template_source;  // the query.sql the plan renders, when a template
  if (p.mitigation) {
    // The two-step form: each partition's upstream is read by the new query alone, whose rows
    // the compensation query, the checks and the validation queries then read from a table.
    mitigation::Options mo = o.mitigation;
    mo.staging_table = p.staging_table;
    mo.new_query_table = staging_table_name(table, "new_query_" + p.entry_date, o.staging_project);
    if (o.mitigation.baseline == mitigation::Baseline::kPreviousQuery) {
      mo.previous_query_table =
          staging_table_name(table, "previous_query_" + p.entry_date, o.staging_project);
    }
    mo.read_query_tables = true;
    p.generated = mitigation::generate(tree, table, mo);
    p.new_query_table = p.generated->new_query_table;
    p.previous_query_table = p.generated->previous_query_table;
    const project::SqlFile& next = *p.generated->new_query.sql;
    p.query_sql = next.sql;
    p.query_file = next.templated ? out_dir / "backfill_query.sql" : fs::path(next.path);
    if (!p.previous_query_table.empty()) {
      const project::SqlFile& prev = *p.generated->previous_query.sql;
      p.previous_query_sql = prev.sql;
      p.previous_query_file =
          prev.templated ? out_dir / "backfill_previous_query.sql" : fs::path(prev.path);
      p.previous_schema_json = out_dir / "backfill_previous_query_schema.json";
    }
    p.compensation_file = out_dir / "shredder_mitigation_compensation.sql";
    p.checks_file = out_dir / "shredder_mitigation_checks.sql";
    p.check_file = out_dir / "shredder_mitigation_checks.fail.sql";
    p.validation_dir = out_dir / "shredder_mitigation_validation";
    p.results_dir = out_dir / "validation_results";
    for (const auto& w : p.generated->warnings) p.warnings.push_back(w);
    if (next.templated) template_source = next.path;
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
    if (parsed.templated) template_source = source;
  }
  if (template_source) {
    p.warnings.push_back(
        fmt::format("note: {} is a Jinja template; the plan runs it rendered, as {}",
                    template_source->string(), p.query_file.string()));
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

  // What each partition runs, and what each statement reads, counted from its SQL.
  std::string project = table.project;
  auto statement = [&](std::string name, const fs::path& file, const std::string& sql,
                       std::string destination) {
    p.statements.push_back(Statement{std::move(name), file, std::move(destination), {}, true});
    Statement& st = p.statements.back();
    try {
      syntax::Script script = syntax::parse_statements(sql);
      for (const auto& x : script.statements) {
        if (x->kind == syntax::StatementKind::kCreateFunction) continue;
        if (x->kind != syntax::StatementKind::kQuery) {
          st.reads_known = false;
          continue;
        }
        resolve::Resolution resolution(*x->as<syntax::QueryStatement>().query);
        for (auto [path, n] : resolution.table_scans()) {
          std::string name = engine::qualified_table(path, project).value_or(path);
          auto it = std::find_if(st.reads.begin(), st.reads.end(),
                                 [&](const auto& r) { return base::same_name(r.first, name); });
          if (it == st.reads.end()) {
            st.reads.emplace_back(name, n);
          } else {
            it->second += n;
          }
        }
      }
    } catch (const syntax::SyntaxError&) {
      st.reads_known = false;  // a script shredmit does not parse: its reads are not listed
    }
    if (!st.reads_known) st.reads.clear();
  };
  if (p.mitigation) {
    const auto& g = *p.generated;
    statement("new query", p.query_file, p.query_sql, p.new_query_table);
    if (!p.previous_query_table.empty()) {
      statement("previous query", p.previous_query_file, p.previous_query_sql,
                p.previous_query_table);
    }
    statement("compensation", p.compensation_file, g.compensation_sql, p.staging_table);
    statement("check", p.check_file, g.check_sql, "");
    for (const auto& v : g.validation) {
      statement("validation " + v.name, p.validation_dir / (v.name + ".sql"), v.sql, "");
    }
  } else {
    statement("query", p.query_file, p.query_sql, p.staging_table);
  }
  std::set<std::string> own = {syntax::to_lower(p.staging_table)};
  for (const auto* t : {&p.new_query_table, &p.previous_query_table}) {
    if (!t->empty()) own.insert(syntax::to_lower(*t));
  }
  if (p.generated) own.insert(syntax::to_lower(p.generated->previous_table.qualified()));
  for (const auto& st : p.statements) {
    for (const auto& [name, n] : st.reads) {
      auto it = std::find_if(p.reads.begin(), p.reads.end(),
                             [&](const TableReads& r) { return base::same_name(r.table, name); });
      if (it == p.reads.end()) {
        p.reads.push_back(TableReads{name, 0, !own.count(syntax::to_lower(name)), {}});
        it = p.reads.end() - 1;
      }
      it->reads += n;
      if (n > 0) it->by.push_back(st.name);
    }
  }
  std::stable_sort(p.reads.begin(), p.reads.end(), [](const TableReads& a, const TableReads& b) {
    return a.upstream != b.upstream ? a.upstream : a.reads > b.reads;
  });
  auto reads_of = [&](const std::string& name) {
    std::vector<std::string> out;
    for (const auto& st : p.statements) {
      if (st.name != name) continue;
      for (const auto& [t, n] : st.reads) {
        if (n > 0) out.push_back(t);
      }
    }
    return out;
  };

  // Steps, in the order `bqetl backfill initiate` and `complete` run them.
  auto add = [&](StepKind kind, std::string phase, std::string date,
                 std::vector<std::string> inputs, std::vector<std::string> outputs,
                 std::vector<std::string> parameters = {}, std::string disposition = {}) {
    p.steps.push_back(Step{kind, std::move(phase), std::move(date), std::move(inputs),
                           std::move(outputs), std::move(parameters), std::move(disposition)});
  };
  std::vector<std::string> created = {p.staging_table};
  if (p.mitigation) {
    add(StepKind::kGenerate, "initiate", "",
        {(dir / "query.sql").string(),
         (tree.table_dir(p.generated->previous_table) / "query.sql").string()},
        {p.compensation_file.string(), p.checks_file.string(), p.check_file.string()});
    created.push_back(p.new_query_table);
    if (!p.previous_query_table.empty()) created.push_back(p.previous_query_table);
  }
  add(StepKind::kCreateStaging, "initiate", "",
      {p.schema_file.string(), (dir / "metadata.yaml").string()}, created);
  if (p.depends_on_past) {
    add(StepKind::kRewriteReferences, "initiate", "", {table.qualified()}, {p.query_file.string()});
    if (p.seed_partition) {
      std::string id = compact(*parse_date(*p.seed_partition), month);
      add(StepKind::kSeedPreviousPartition, "initiate", *p.seed_partition,
          {table.qualified() + "$" + id}, {p.staging_table + "$" + id}, {}, "WRITE_TRUNCATE");
    }
  }
  auto with_file = [](const fs::path& file, std::vector<std::string> tables) {
    tables.insert(tables.begin(), file.string());
    return tables;
  };
  auto in = [](const std::string& t, const std::string& id) {
    return id.empty() ? t : t + "$" + id;
  };
  std::vector<std::string> statement_files;
  for (const auto& st : p.statements) statement_files.push_back(st.file.string());
  for (const auto& part : p.partitions) {
    add(StepKind::kDryRun, "initiate", part.date, statement_files, {}, part.parameters);
  }
  for (const auto& part : p.partitions) {
    if (!p.mitigation) {
      add(StepKind::kQuery, "initiate", part.date, with_file(p.query_file, reads_of("query")),
          {part.destination}, part.parameters, "WRITE_TRUNCATE");
      continue;
    }
    add(StepKind::kQuery, "initiate", part.date, with_file(p.query_file, reads_of("new query")),
        {in(p.new_query_table, part.id)}, part.parameters, "WRITE_TRUNCATE");
    if (!p.previous_query_table.empty()) {
      add(StepKind::kQuery, "initiate", part.date,
          with_file(p.previous_query_file, reads_of("previous query")),
          {in(p.previous_query_table, part.id)}, part.parameters, "WRITE_TRUNCATE");
    }
    add(StepKind::kCompensate, "initiate", part.date,
        with_file(p.compensation_file, reads_of("compensation")), {part.destination},
        part.parameters, "WRITE_TRUNCATE");
    add(StepKind::kCheck, "initiate", part.date, with_file(p.check_file, reads_of("check")), {},
        part.parameters);
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
  add(StepKind::kDeleteStaging, "complete", "", created, {});
  p.cost = cost_summary(p);
  return p;
}

std::vector<fs::path> write_plan_files(const Plan& p) {
  // Every file is computed first and written together, so that an error leaves nothing new.
  std::vector<base::OutputFile> files;
  auto write = [&](const fs::path& file, std::string text) {
    files.push_back({file, std::move(text)});
  };
  if (p.generated) {
    write(p.compensation_file, p.generated->compensation_sql);
    write(p.checks_file, p.generated->checks_sql);
    write(p.check_file, syntax::format_generated_sql(p.generated->check_sql, "check"));
    for (const auto& v : p.generated->validation) {
      write(p.validation_dir / (v.name + ".sql"),
            syntax::format_generated_sql(v.sql, "validation query"));
    }
  }
  // A query file the plan rendered or rewrote; a query.sql as written is run from its folder.
  if (p.query_file.filename() == "backfill_query.sql" ||
      p.query_file.filename() == "replaced_ref.sql") {
    write(p.query_file, syntax::format_generated_sql(p.query_sql, "backfill query"));
  }
  if (p.previous_query_file.filename() == "backfill_previous_query.sql") {
    write(p.previous_query_file, syntax::format_generated_sql(p.previous_query_sql, "query"));
  }
  auto schema = project::load_schema(p.schema_file, p.tree);
  write(p.staging_schema_json, schema_json(schema.fields).dump(2) + "\n");
  if (!p.previous_schema_json.empty()) {
    const auto& previous = p.generated->previous_table;
    auto previous_schema = project::load_schema(p.tree.table_dir(previous) / "schema.yaml", p.tree);
    write(p.previous_schema_json, schema_json(previous_schema.fields).dump(2) + "\n");
  }
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
  if (p.mitigation) {
    out += fmt::format("new query rows: {}\n", p.new_query_table);
    if (!p.previous_query_table.empty()) {
      out += fmt::format("previous query rows: {}\n", p.previous_query_table);
    }
    out += fmt::format("compensation: {}\n", p.compensation_file.string());
    out += fmt::format("checks: {} (the #fail statement: {})\n", p.checks_file.string(),
                       p.check_file.string());
  }
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
  out += "\neach partition runs (tables read per run, counted from the SQL):\n";
  for (const auto& st : p.statements) {
    std::vector<std::string> reads;
    for (const auto& [t, n] : st.reads) reads.push_back(n == 1 ? t : fmt::format("{} x{}", t, n));
    out += fmt::format("  {:<30} {}{}\n", st.name,
                       !st.reads_known ? std::string("(not counted: not a query)")
                       : reads.empty() ? std::string("-")
                                       : fmt::format("{}", fmt::join(reads, ", ")),
                       st.destination.empty() ? "" : " -> " + st.destination);
  }
  out += "\nreads per partition:\n";
  for (const auto& r : p.reads) {
    out +=
        fmt::format("  {:>3}  {}{}\n", r.reads, r.table, r.upstream ? "" : "  (the aggregate's)");
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
  nlohmann::json statements = nlohmann::json::array();
  for (const auto& st : p.statements) {
    nlohmann::json reads_of = nlohmann::json::array();
    for (const auto& [t, n] : st.reads) reads_of.push_back({{"table", t}, {"reads", n}});
    statements.push_back({{"name", st.name},
                          {"file", st.file.string()},
                          {"destination", st.destination.empty() ? nlohmann::json()
                                                                 : nlohmann::json(st.destination)},
                          {"reads", st.reads_known ? reads_of : nlohmann::json()}});
  }
  nlohmann::json reads = nlohmann::json::array();
  nlohmann::json upstream = nlohmann::json::object();
  for (const auto& r : p.reads) {
    reads.push_back(
        {{"table", r.table}, {"reads", r.reads}, {"upstream", r.upstream}, {"by", r.by}});
    if (r.upstream) upstream[r.table] = r.reads;
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
      {"statements", statements},
      {"cost",
       {{"partitions", p.partitions.size()},
        {"jobs_per_partition", p.statements.size()},
        {"query_runs", p.partitions.size() * p.statements.size()},
        {"check_runs", p.mitigation ? p.partitions.size() : 0},
        {"dry_runs", p.partitions.size() * p.statements.size()},
        {"reads_per_partition", reads},
        {"upstream_reads_per_partition", upstream},
        {"price_per_tib", p.price_per_tib},
        {"bytes", nullptr},
        {"bytes_note",
         "known from BigQuery's dry runs only: the bash script sums their totalBytesProcessed "
         "before it runs a query"},
        {"summary", p.cost}}}};
  if (p.mitigation) {
    doc["baseline"] = mitigation::baseline_name(p.baseline);
    doc["checks_file"] = p.checks_file.string();
    doc["compensation_file"] = p.compensation_file.string();
    doc["new_query_table"] = p.new_query_table;
    if (!p.previous_query_table.empty()) doc["previous_query_table"] = p.previous_query_table;
    doc["check_file"] = p.check_file.string();
    doc["validation_dir"] = p.validation_dir.string();
    doc["results_dir"] = p.results_dir.string();
    doc["previous_table"] = p.generated->previous_table.qualified();
  }
  return base::dump_json(doc, 2) + "\n";
}

std::string format_sh(const Plan& p) {
  // The script may run from any folder: its files are named by absolute paths.
  auto absolute = [](const fs::path& f) {
    return f.empty() ? std::string() : fs::absolute(f).lexically_normal().string();
  };
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
# Usage: bash THIS_SCRIPT [--from-date YYYY-MM-DD] [--initiate-only | --complete-only] [--yes]
#                         [--max-bytes N[KiB|MiB|GiB|TiB]] [--price-per-tib USD]
#   --from-date      restart the initiate phase at this partition date (staging already exists)
#   --yes            run the queries without asking after the dry runs' cost estimate
#   --max-bytes      stop before the first query when the estimate is above this many bytes
#   --price-per-tib  the on-demand price the estimate is priced at (default {price})
# Exit status: 0 done, 1 a step failed, 2 bad arguments, 3 stopped before the first query (not
# confirmed, or the estimate is above --max-bytes; the tables this run created are removed).
# Cost: {cost}
set -euo pipefail

PROJECT={project}
STAGING={staging}
BACKUP={backup}
PRODUCTION={production}
BILLING={billing}
QUERY_FILE={query}
QUERY_TABLE={query_table}
PREVIOUS_QUERY_FILE={previous_query}
PREVIOUS_QUERY_TABLE={previous_query_table}
COMPENSATION_FILE={compensation}
CHECK_FILE={check}
VALIDATION_DIR={validation}
RESULTS_DIR=${{RESULTS_DIR:-{results}}}
SCHEMA_FILE={schema}
PREVIOUS_SCHEMA_FILE={previous_schema}
PARALLELISM={parallelism}
DATES=({dates})
PARTITION_IDS=({ids})
PARAMETERS=({params})
PRICE_PER_TIB={price}
# BigQuery bills at least 10 MiB per on-demand query.
MIN_BILLED_BYTES=10485760

from_date=""
phase=all
yes=0
max_bytes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from-date) from_date="${{2:-}}"; shift 2 || shift ;;
    --from-date=*) from_date="${{1#*=}}"; shift ;;
    --initiate-only) phase=initiate; shift ;;
    --complete-only) phase=complete; shift ;;
    --yes|-y) yes=1; shift ;;
    --max-bytes) max_bytes="${{2:-}}"; shift 2 || shift ;;
    --max-bytes=*) max_bytes="${{1#*=}}"; shift ;;
    --price-per-tib) PRICE_PER_TIB="${{2:-}}"; shift 2 || shift ;;
    --price-per-tib=*) PRICE_PER_TIB="${{1#*=}}"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -n "$from_date" ] && ! [[ "$from_date" =~ ^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$ ]]; then
  echo "--from-date takes YYYY-MM-DD, got '$from_date'" >&2
  exit 2
fi
if ! [[ "$PRICE_PER_TIB" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "--price-per-tib takes a price in dollars such as 6.25, got '$PRICE_PER_TIB'" >&2
  exit 2
fi
if [ -n "$max_bytes" ]; then
  if ! [[ "$max_bytes" =~ ^([0-9]+)(KiB|MiB|GiB|TiB)?$ ]]; then
    echo "--max-bytes takes a number of bytes, optionally followed by KiB, MiB, GiB or TiB," >&2
    echo "got '$max_bytes'" >&2
    exit 2
  fi
  case "${{BASH_REMATCH[2]}}" in
    KiB) max_bytes=$((BASH_REMATCH[1] * 1024)) ;;
    MiB) max_bytes=$((BASH_REMATCH[1] * 1048576)) ;;
    GiB) max_bytes=$((BASH_REMATCH[1] * 1073741824)) ;;
    TiB) max_bytes=$((BASH_REMATCH[1] * 1099511627776)) ;;
  esac
fi

COST_DIR=$(mktemp -d)
trap 'rm -rf "$COST_DIR"' EXIT
created_tables=()

bq_table() {{ local t="$1"; echo "${{t%%.*}}:${{t#*.}}"; }}

table_exists() {{ bq show --format=none "$(bq_table "$1")" >/dev/null 2>&1; }}

# human BYTES: 1.23 GiB
human() {{
  awk -v b="$1" 'BEGIN {{ split("B KiB MiB GiB TiB PiB", u, " "); i = 1
    while (b >= 1024 && i < 6) {{ b /= 1024; i++ }}
    if (i == 1) printf "%d B", b; else printf "%.2f %s", b, u[i] }}'
}}

# price BYTES: $0.01 at PRICE_PER_TIB
price() {{ awk -v b="$1" -v p="$PRICE_PER_TIB" 'BEGIN {{ printf "$%.2f", b / 1099511627776 * p }}'; }}

# run_statement INDEX DRY_RUN FILE [bq query flags...]: one statement of one partition. A dry
# run records the bytes BigQuery says it would process in $COST_DIR/INDEX.
run_statement() {{
  local i="$1" dry="$2" file="$3" json bytes
  shift 3
  local -a parameters
  read -r -a parameters <<< "${{PARAMETERS[$i]}}"
  if [ "$dry" = 1 ]; then
    json=$(bq query --use_legacy_sql=false "${{parameters[@]}}" "$@" --dry_run --format=json \
      < "$file")
    bytes=$(printf '%s' "$json" | tr -d ' \n' | grep -o '"totalBytesProcessed":"[0-9]*"' \
      | head -n 1 | tr -dc '0-9') || true
    echo "${{bytes:-0}}" >> "$COST_DIR/$i"
  else
    bq query --use_legacy_sql=false "${{parameters[@]}}" "$@" < "$file"
  fi
}}

# into TABLE INDEX: the partition of TABLE that partition INDEX writes.
into() {{
  local destination="$1"
  if [ -n "${{PARTITION_IDS[$2]}}" ]; then destination="$1\$${{PARTITION_IDS[$2]}}"; fi
  echo "$destination"
}}

# run_partition INDEX DRY_RUN: the statements of one partition, in order: the query (for a
# shredder mitigation, the new query into QUERY_TABLE, the previous query into
# PREVIOUS_QUERY_TABLE, then the compensation query into staging), the check, the validation.
run_partition() {{
  local i="$1" dry="$2" what
  what=$([ "$dry" = 1 ] && echo "dry run" || echo "query")
  local -a write=(--replace --max_rows=100 --format=none --project_id="$BILLING")
  echo "${{DATES[$i]}}: $what -> $(into "$QUERY_TABLE" "$i")" >&2
  run_statement "$i" "$dry" "$QUERY_FILE" "${{write[@]}}" \
    --destination_table="$(bq_table "$(into "$QUERY_TABLE" "$i")")"
  if [ -n "$PREVIOUS_QUERY_FILE" ]; then
    echo "${{DATES[$i]}}: $what -> $(into "$PREVIOUS_QUERY_TABLE" "$i")" >&2
    run_statement "$i" "$dry" "$PREVIOUS_QUERY_FILE" "${{write[@]}}" \
      --destination_table="$(bq_table "$(into "$PREVIOUS_QUERY_TABLE" "$i")")"
  fi
  if [ -n "$COMPENSATION_FILE" ]; then
    echo "${{DATES[$i]}}: $what compensation -> $(into "$STAGING" "$i")" >&2
    run_statement "$i" "$dry" "$COMPENSATION_FILE" "${{write[@]}}" \
      --destination_table="$(bq_table "$(into "$STAGING" "$i")")"
  fi
  if [ -n "$CHECK_FILE" ]; then
    echo "${{DATES[$i]}}: $([ "$dry" = 1 ] && echo "dry run ")check" >&2
    run_statement "$i" "$dry" "$CHECK_FILE" --project_id="$PROJECT"
  fi
  if [ -n "$VALIDATION_DIR" ]; then validate_partition "$i" "$dry"; fi
}}

# validate_partition INDEX DRY_RUN: after the check passed, the validation queries of one
# partition (dry-run in the first pass), their results saved as bq's JSON in
# $RESULTS_DIR/DATE/, and the report `shredmit report` renders from them beside them.
validate_partition() {{
  local i="$1" dry="$2" f name
  local out="$RESULTS_DIR/${{DATES[$i]}}"
  for f in "$VALIDATION_DIR"/*.sql; do
    name=$(basename "$f" .sql)
    if [ "$dry" = 1 ]; then
      run_statement "$i" 1 "$f" --project_id="$PROJECT"
      continue
    fi
    mkdir -p "$out"
    echo "${{DATES[$i]}}: validation $name -> $out/$name.json" >&2
    run_statement "$i" 0 "$f" --project_id="$PROJECT" --format=json --max_rows=1000000 \
      > "$out/$name.json"
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

# estimate: the dry runs' bytes per partition and in total, priced on demand; sets TOTAL_BYTES.
estimate() {{
  local i b bytes billed count partitions=0 total_billed=0
  TOTAL_BYTES=0
  echo "cost estimate from the dry runs (on demand at \$$PRICE_PER_TIB per TiB, at least 10 MiB" >&2
  echo "billed per query; a reservation bills slots, not bytes):" >&2
  for i in "${{!DATES[@]}}"; do
    [ -f "$COST_DIR/$i" ] || continue
    bytes=0 billed=0 count=0
    while read -r b; do
      bytes=$((bytes + b))
      billed=$((billed + (b > MIN_BILLED_BYTES ? b : MIN_BILLED_BYTES)))
      count=$((count + 1))
    done < "$COST_DIR/$i"
    echo "  ${{DATES[$i]}}: $(human "$bytes") in $count queries, $(price "$billed")" >&2
    TOTAL_BYTES=$((TOTAL_BYTES + bytes))
    total_billed=$((total_billed + billed))
    partitions=$((partitions + 1))
  done
  echo "  total: $(human "$TOTAL_BYTES") ($TOTAL_BYTES bytes) over $partitions partitions," \
    "$(price "$total_billed")" >&2
}}

# confirm: go on only within --max-bytes and with --yes or a yes on the terminal; otherwise
# remove the tables this run created and exit 3.
confirm() {{
  local answer=""
  if [ -n "$max_bytes" ] && [ "$TOTAL_BYTES" -gt "$max_bytes" ]; then
    echo "the estimate, $TOTAL_BYTES bytes, is above --max-bytes $max_bytes: no query was run" >&2
    stop
  fi
  if [ "$yes" = 1 ]; then return; fi
  if [ -t 0 ]; then
    read -r -p "run the queries? [y/N] " answer || true
    case "$answer" in y|Y|yes) return ;; esac
    echo "not confirmed: no query was run" >&2
  else
    echo "not confirmed: no query was run; pass --yes to run without asking" >&2
  fi
  stop
}}

# create_table TABLE SCHEMA_FILE [--force]: a table partitioned and clustered as the table,
# expiring in 30 days, which stop removes.
create_table() {{
  bq mk "${{@:3}}" --table --schema="$2" {partitioning}{clustering}--expiration=2592000 \
    "$(bq_table "$1")"
  created_tables+=("$1")
}}

stop() {{
  local t
  for t in "${{created_tables[@]}}"; do bq rm -f -t "$(bq_table "$t")"; done
  exit 3
}}

initiate() {{
  if [ -z "$from_date" ]; then
    if table_exists "$STAGING"; then
      echo "the staging table $STAGING already exists: resume with --from-date YYYY-MM-DD," >&2
      echo "or remove it with: bq rm -f -t $(bq_table "$STAGING")" >&2
      exit 1
    fi
    create_table "$STAGING" "$SCHEMA_FILE"
    # The first step's tables: --force, as a stopped run may have left them.
    if [ "$QUERY_TABLE" != "$STAGING" ]; then create_table "$QUERY_TABLE" "$SCHEMA_FILE" --force; fi
    if [ -n "$PREVIOUS_QUERY_TABLE" ]; then
      create_table "$PREVIOUS_QUERY_TABLE" "$PREVIOUS_SCHEMA_FILE" --force
    fi
{seed}  fi
  run_pass 1
  estimate
  confirm
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
  if [ "$QUERY_TABLE" != "$STAGING" ]; then bq rm -f -t "$(bq_table "$QUERY_TABLE")"; fi
  if [ -n "$PREVIOUS_QUERY_TABLE" ]; then bq rm -f -t "$(bq_table "$PREVIOUS_QUERY_TABLE")"; fi
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
      fmt::arg("query", sh_quote(absolute(p.query_file))),
      fmt::arg("query_table", sh_quote(p.mitigation ? p.new_query_table : p.staging_table)),
      fmt::arg("previous_query", sh_quote(absolute(p.previous_query_file))),
      fmt::arg("previous_query_table", sh_quote(p.previous_query_table)),
      fmt::arg("compensation", sh_quote(absolute(p.compensation_file))),
      fmt::arg("previous_schema", sh_quote(absolute(p.previous_schema_json))),
      fmt::arg("price", fmt::format("{:.2f}", p.price_per_tib)),
      fmt::arg("check", sh_quote(absolute(p.check_file))),
      fmt::arg("validation", sh_quote(absolute(p.validation_dir))),
      fmt::arg("results", sh_quote(absolute(p.results_dir))),
      fmt::arg("schema", sh_quote(absolute(p.staging_schema_json))),
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
