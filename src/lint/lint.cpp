// shredmit lint: rules SM001-SM012 over bigquery-etl table folders (see lint.h).
#include "lint.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <tuple>

#include "analysis/analysis.h"

namespace shredmit::lint {
namespace {

namespace fs = std::filesystem;
using analysis::Role;
using analysis::Type;
using project::UserError;

const std::vector<Rule> kRules = {
    {"SM001", "explicit-group-by",
     "The final SELECT groups by an explicit list of its dimensions: no missing GROUP BY, GROUP "
     "BY ALL, ordinals, ROLLUP/CUBE/GROUPING SETS, or ungrouped columns.",
     Severity::kError, false},
    {"SM002", "schema-present", "A table set up for shredder mitigation has a schema.yaml.",
     Severity::kError, false},
    {"SM003", "field-descriptions",
     "Every schema field, nested fields included, has a description (written or included).",
     Severity::kError, false},
    {"SM004", "no-id-level-columns",
     "Neither the schema nor the query output has an id-level column such as client_id.",
     Severity::kError, false},
    {"SM005", "schema-matches-query",
     "The query's output columns and the schema's top-level fields are the same, with types the "
     "query does not contradict.",
     Severity::kError, true},
    {"SM006", "previous-version-present",
     "A table set up for shredder mitigation at version N >= 2 has its version N-1 folder.",
     Severity::kError, false},
    {"SM007", "backfill-matches-label",
     "An Initiate backfill entry asks for shredder mitigation exactly when the metadata has the "
     "shredder_mitigation label.",
     Severity::kError, true},
    {"SM008", "files-parse",
     "query.sql, schema.yaml (with its includes), metadata.yaml and backfill.yaml parse.",
     Severity::kError, true},
    {"SM009", "metric-kinds",
     "Each metric common to both versions is a count or a declared signed sum, which subtraction "
     "recovers (generate refuses AVG, MIN, MAX, ratios, APPROX_* and window aggregates); "
     "COUNT(DISTINCT ...) over added or removed dimensions and tables whose only common metrics "
     "are signed are warned about.",
     Severity::kError, false},
    {"SM010", "consistent-null-placeholder",
     "A STRING dimension common to both versions maps NULL to '??' in both or in neither.",
     Severity::kWarning, false},
    {"SM011", "renamed-when-redefined",
     "A column whose defining expression changed between versions has a new name, so it is "
     "recalculated.",
     Severity::kWarning, false},
    {"SM012", "valid-backfill-entries",
     "backfill.yaml entries have ISO dates in order, excluded dates inside the range, no future "
     "entry date, a known status, a reason and watchers.",
     Severity::kError, true},
};

// ------------------------------------------------------------------ backfill entries

// bigquery-etl's is_email_or_github_identity (bigquery_etl/query_scheduling/utils.py).
bool is_email_or_github_identity(const std::string& s) {
  static const std::regex kEmail(R"(^[^@]+@[^@]+\.[^@]+)");
  static const std::regex kGithub(R"(^[@mozilla]+/[a-zA-Z0-9]+)");
  return std::regex_search(s, kEmail) || std::regex_search(s, kGithub);
}

// ------------------------------------------------------------------ one table

class TableLinter {
 public:
  TableLinter(const TableRef& table, const Options& options, Report& report)
      : table_(table), options_(options), report_(report) {}

  void run() {
    fs::path metadata_path = table_.dir / "metadata.yaml";
    fs::path backfill_path = table_.dir / "backfill.yaml";
    if (exists(metadata_path)) {
      try {
        metadata_ = project::load_metadata(metadata_path);
      } catch (const UserError& e) {
        add_error("SM008", e);
      }
    }
    if (exists(backfill_path)) {
      try {
        backfill_ = project::load_backfill(backfill_path);
      } catch (const UserError& e) {
        add_error("SM008", e);
      }
    }
    bool labelled = metadata_ && metadata_->shredder_mitigation;
    const project::BackfillEntry* requested = nullptr;
    if (backfill_) {
      for (const auto& e : backfill_->entries) {
        if (e.mitigation && !requested && syntax::to_lower(e.status.text) == "initiate") {
          requested = &e;
        }
      }
    }
    mitigation_ = labelled || requested != nullptr;
    if (!mitigation_ && !options_.all_tables) return;
    ++report_.checked;
    if (labelled) {
      trigger_file_ = metadata_->file;
      trigger_ = metadata_->label;
    } else if (requested) {
      trigger_file_ = backfill_->file;
      trigger_ = requested->shredder_mitigation.key;
    }

    if (backfill_) check_backfill();
    auto query = read_query(table_.dir);
    auto schema = read_schema(table_.dir);
    if (query && query->statement && schema) check_schema_matches(*query, *schema);
    if (!mitigation_) return;
    if (!exists(table_.dir / "query.sql")) {
      bool view = exists(table_.dir / "view.sql");
      report_.skipped.push_back(
          {table_.dir.string(),
           view ? "a view with the shredder_mitigation label; the mitigation rules apply to "
                  "tables written by a query.sql"
                : "set up for shredder mitigation but has no query.sql (generated by "
                  "sql_generators or written in Python); run `bqetl query generate` and lint "
                  "the generated folder"});
      return;
    }

    if (!exists(table_.dir / "schema.yaml")) {
      add("SM002", trigger_file_, trigger_,
          "table is set up for shredder mitigation but has no schema.yaml; add one with every "
          "column's name, type and description (`bqetl query schema update` writes it)");
    }
    if (schema) {
      check_descriptions(*schema, schema->fields, "");
      check_id_level_schema(*schema, schema->fields, "");
    }
    std::optional<analysis::AggregateQuery> analysis;
    if (query && query->statement) {
      analysis = analysis::inspect_aggregate(*query->statement, schema ? *schema : empty_schema_,
                                             query->file);
      check_aggregate(*analysis, query->file);
      check_id_level_query(*analysis, query->file);
    }
    bool compared = check_previous(query ? &*query : nullptr, analysis ? &*analysis : nullptr);
    if (!compared && analysis) check_metrics_alone(*query, *analysis);
  }

 private:
  struct QueryFile {
    std::string file;
    std::shared_ptr<project::SqlFile> sql;
    const syntax::Query* statement = nullptr;  // the last statement, when it is a query
  };

  static bool exists(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
  }

  void add(std::string_view rule_id, const std::string& file, project::Position at,
           std::string message, std::optional<Severity> severity = std::nullopt) {
    const Rule& r = rule(rule_id);
    report_.findings.push_back(Finding{std::string(r.id), severity.value_or(r.severity), file,
                                       at.line > 0 ? at.line : 1, at.column > 0 ? at.column : 1,
                                       std::move(message)});
  }

  void add(std::string_view rule_id, const std::string& file, syntax::Location at,
           std::string message, std::optional<Severity> severity = std::nullopt) {
    add(rule_id, file, project::Position{at.line, at.column}, std::move(message), severity);
  }

  void add_error(std::string_view rule_id, const UserError& e) {
    add(rule_id, e.file, project::Position{e.line, e.column}, e.what());
  }

  // Reads, renders and parses dir/query.sql; SM008 when that fails.
  std::optional<QueryFile> read_query(const fs::path& dir) {
    fs::path path = dir / "query.sql";
    if (!exists(path)) return std::nullopt;
    QueryFile q;
    q.file = path.string();
    try {
      q.sql = std::make_shared<project::SqlFile>(project::parse_sql_file(path, options_.render));
    } catch (const project::OfflineError&) {
      report_.skipped.push_back(
          {q.file, "it needs metric-hub definitions, which shredmit does not download"});
      return std::nullopt;
    } catch (const UserError& e) {
      add_error("SM008", e);
      return std::nullopt;
    }
    const auto& statements = q.sql->script.statements;
    if (!statements.empty() && statements.back()->kind == syntax::StatementKind::kQuery) {
      q.statement = statements.back()->as<syntax::QueryStatement>().query.get();
    }
    return q;
  }

  // Reads dir/schema.yaml with its includes; SM008 when that fails, nullopt when it is absent.
  std::optional<project::Schema> read_schema(const fs::path& dir) {
    fs::path path = dir / "schema.yaml";
    if (!exists(path)) return std::nullopt;
    try {
      return project::load_schema(path, table_.tree);
    } catch (const UserError& e) {
      add_error("SM008", e);
      return std::nullopt;
    }
  }

  // ---------------------------------------------------------------- SM005

  static bool compatible(Type query_type, const project::SchemaField& field) {
    Type schema_type = analysis::type_from_schema(field);
    if (schema_type == Type::kUnknown || query_type == Type::kUnknown) return true;
    return schema_type == query_type;
  }

  void check_schema_matches(const QueryFile& q, const project::Schema& schema) {
    auto columns = analysis::output_columns(*q.statement);
    if (!columns) return;  // `*` or unnamed columns: the output is not known without BigQuery
    std::set<std::string> output;
    for (const auto& c : *columns) {
      output.insert(syntax::to_lower(c.name));
      const project::SchemaField* field = schema.find(c.name);
      if (field == nullptr) {
        add("SM005", q.file, c.loc,
            fmt::format("output column '{}' is not in schema.yaml; add it with its type and "
                        "description",
                        c.name));
        continue;
      }
      Type proven = analysis::proven_type(*c.expr);
      if (!compatible(proven, *field)) {
        add("SM005", q.file, c.loc,
            fmt::format("output column '{}' is {} but schema.yaml (line {}) declares {}{}; fix "
                        "the expression or the schema",
                        c.name, analysis::type_name(proven), field->line,
                        field->mode == "REPEATED" ? "REPEATED " : "",
                        field->type.empty() ? "no type" : field->type));
      }
    }
    for (const auto& f : schema.fields) {
      if (!output.count(syntax::to_lower(f.name))) {
        add("SM005", schema.file, project::Position{f.line, f.column},
            fmt::format("schema field '{}' is not an output column of {}; remove it or add the "
                        "column to the query",
                        f.name, fs::path(q.file).filename().string()));
      }
    }
  }

  // ---------------------------------------------------------------- SM003, SM004

  void check_descriptions(const project::Schema& schema,
                          const std::vector<project::SchemaField>& fields,
                          const std::string& prefix) {
    for (const auto& f : fields) {
      std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
      if (!f.description) {
        add("SM003", schema.file, project::Position{f.line, f.column},
            fmt::format("schema field '{}' has no description{}; describe it (and the date it "
                        "became available, if it is new)",
                        path, f.included ? " (it comes through an include)" : ""));
      }
      check_descriptions(schema, f.fields, path);
    }
  }

  bool is_id_level(const std::string& name) const {
    std::string key = syntax::to_lower(name);
    for (const auto& c : options_.id_level_columns) {
      if (syntax::to_lower(c) == key) return true;
    }
    return false;
  }

  void check_id_level_schema(const project::Schema& schema,
                             const std::vector<project::SchemaField>& fields,
                             const std::string& prefix) {
    for (const auto& f : fields) {
      std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
      if (is_id_level(f.name)) {
        add("SM004", schema.file, project::Position{f.line, f.column},
            fmt::format("schema field '{}' is an id-level column; an aggregate set up for "
                        "shredder mitigation must not keep client-level identifiers: remove it",
                        path));
      }
      check_id_level_schema(schema, f.fields, path);
    }
  }

  void check_id_level_query(const analysis::AggregateQuery& a, const std::string& file) {
    for (const auto& c : a.columns) {
      if (is_id_level(c.name)) {
        add("SM004", file, c.loc,
            fmt::format("output column '{}' is an id-level column; aggregate it away (for "
                        "example COUNT(DISTINCT ...) in an upstream table) and remove it",
                        c.name));
      }
    }
  }

  // ---------------------------------------------------------------- SM001, SM009

  void check_aggregate(const analysis::AggregateQuery& a, const std::string& file) {
    for (const auto& p : a.problems) {
      switch (p.kind) {
        case analysis::ProblemKind::kGroupBy:
        case analysis::ProblemKind::kUngrouped:
          add("SM001", file, p.loc, p.message);
          break;
        case analysis::ProblemKind::kShape:
          // A set operation as the final query means there is no final GROUP BY.
          if (a.final_select == nullptr) add("SM001", file, p.loc, p.message);
          break;
        case analysis::ProblemKind::kMetricType: {
          // A schema type the expression contradicts is SM005's finding, not this one.
          auto c = std::find_if(a.columns.begin(), a.columns.end(),
                                [&](const analysis::OutputColumn& c) { return c.loc == p.loc; });
          if (c != a.columns.end() && c->expr &&
              analysis::is_numeric(analysis::proven_type(*c->expr))) {
            break;
          }
          add("SM009", file, p.loc, p.message);
          break;
        }
      }
    }
  }

  bool declared_signed(const std::string& name) const {
    return analysis::has_name(options_.signed_metrics, name);
  }

  // SM009 on a version without a previous version to compare with: a metric that subtraction
  // cannot recover is refused by `generate` once the version is bumped and it becomes common.
  void check_metrics_alone(const QueryFile& query, const analysis::AggregateQuery& a) {
    if (a.final_select == nullptr) return;
    analysis::Lineage lineage(*query.statement);
    for (const auto& c : a.columns) {
      if (c.role != Role::kMetric || c.expr == nullptr) continue;
      if (c.type != Type::kUnknown && !analysis::is_numeric(c.type)) continue;  // kMetricType
      auto kind = analysis::metric_kind(*c.expr, lineage, declared_signed(c.name));
      if (kind.kind != analysis::MetricKind::kNotRecoverable) continue;
      add("SM009", query.file, c.loc,
          fmt::format("metric '{}' cannot be recovered by subtraction ({}); `shredmit generate` "
                      "refuses it once the next version keeps its name: keep its sum and count "
                      "as metrics and derive it in a view",
                      c.name, kind.reason),
          Severity::kWarning);
    }
  }

  // SM009 on the metrics of a version and its previous version: what `generate` refuses is an
  // error, COUNT(DISTINCT ...) over changed dimensions and signed-only totals are warnings.
  void check_metrics(const QueryFile& query, const analysis::AggregateQuery& a,
                     const analysis::Lineage& lineage, const QueryFile& previous,
                     const analysis::AggregateQuery& p, const analysis::Lineage& previous_lineage) {
    std::vector<std::string> added, removed;
    for (const auto& c : a.columns) {
      if (c.role == Role::kDimension && p.find(c.name) == nullptr) added.push_back(c.name);
    }
    for (const auto& c : p.columns) {
      if (c.role == Role::kDimension && a.find(c.name) == nullptr) removed.push_back(c.name);
    }
    const analysis::OutputColumn* first_common = nullptr;
    bool all_signed = true;
    for (const auto& c : a.columns) {
      if (c.role != Role::kMetric || c.expr == nullptr) continue;
      if (c.type != Type::kUnknown && !analysis::is_numeric(c.type)) continue;  // kMetricType
      const analysis::OutputColumn* old = p.find(c.name);
      if (old == nullptr || old->role != Role::kMetric) continue;  // new metrics are NULL
      bool declared = declared_signed(c.name);
      auto kind = analysis::metric_kind(*c.expr, lineage, declared);
      if (kind.kind == analysis::MetricKind::kNotRecoverable) {
        add("SM009", query.file, c.loc,
            fmt::format("metric '{}' is common to both versions but cannot be recovered by "
                        "subtraction ({}); `shredmit generate` refuses it: rename it so that it "
                        "is recomputed as a new metric, or keep its sum and count as metrics",
                        c.name, kind.reason));
        continue;
      }
      if (old->expr != nullptr) {
        auto previous_kind = analysis::metric_kind(*old->expr, previous_lineage, declared);
        if (previous_kind.kind == analysis::MetricKind::kNotRecoverable) {
          add("SM009", query.file, c.loc,
              fmt::format("metric '{}' cannot be recovered by subtraction in {} (line {}: {}); "
                          "`shredmit generate` refuses it: rename it so that it is recomputed "
                          "as a new metric",
                          c.name, previous.file, old->loc.line, previous_kind.reason));
          continue;
        }
      }
      if (first_common == nullptr) first_common = &c;
      all_signed = all_signed && kind.kind == analysis::MetricKind::kSigned;
      if (kind.distinct && (!added.empty() || !removed.empty())) {
        auto list = [](const char* what, const std::vector<std::string>& names) {
          std::string out;
          for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : what) + names[i];
          return out;
        };
        std::string changed = list("added ", added);
        if (!removed.empty()) changed += (changed.empty() ? "" : "; ") + list("removed ", removed);
        add("SM009", query.file, c.loc,
            fmt::format("metric '{}' counts distinct values and the dimensions changed ({}): its "
                        "totals add up over them only if each client has one value of them per "
                        "group; keep the dimensions or rename the metric so that it is recomputed",
                        c.name, changed),
            Severity::kWarning);
      }
    }
    if (first_common != nullptr && all_signed) {
      add("SM009", query.file, first_common->loc,
          "every metric common to both versions is declared signed, so late data cannot be "
          "told from deletion and the checks cannot reveal it: keep a count metric such as "
          "COUNT(*)",
          Severity::kWarning);
    }
  }

  // ---------------------------------------------------------------- SM006, SM010, SM011

  // SM006, SM009 against the previous version, SM010 and SM011. Returns whether the metrics were
  // compared with a previous version's (otherwise SM009 judges this version alone).
  bool check_previous(const QueryFile* query, const analysis::AggregateQuery* analysis) {
    static const std::regex kVersioned(R"(^(.+)_v([0-9]+)$)");
    std::string name = table_.dir.filename().string();
    if (name.empty()) name = table_.dir.parent_path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, kVersioned)) return false;
    int version = std::stoi(m[2]);
    if (version < 2) return false;
    std::string previous_name = fmt::format("{}_v{}", std::string(m[1]), version - 1);
    fs::path previous_dir = table_.dir.parent_path() / previous_name;
    std::error_code ec;
    if (!fs::is_directory(previous_dir, ec)) {
      add("SM006", trigger_file_, trigger_,
          fmt::format("the previous version {} is missing; shredder mitigation recomputes "
                      "totals against it: restore its folder, or remove the label for a first "
                      "version",
                      previous_name));
      return false;
    }
    if (query == nullptr || analysis == nullptr || analysis->final_select == nullptr) return false;
    auto previous = read_query(previous_dir);
    if (!previous || !previous->statement) return false;
    auto previous_schema = read_schema(previous_dir);
    auto previous_analysis = analysis::inspect_aggregate(
        *previous->statement, previous_schema ? *previous_schema : empty_schema_, previous->file);
    check_aggregate(previous_analysis, previous->file);
    if (previous_analysis.final_select == nullptr) return false;

    analysis::Lineage new_lineage(*query->statement);
    analysis::Lineage previous_lineage(*previous->statement);
    check_metrics(*query, *analysis, new_lineage, *previous, previous_analysis, previous_lineage);
    for (const auto& c : analysis->columns) {
      const analysis::OutputColumn* p = previous_analysis.find(c.name);
      if (p == nullptr) continue;
      if (c.role == Role::kDimension && p->role == Role::kDimension) {
        bool string_type = c.type == Type::kString || p->type == Type::kString ||
                           c.type == Type::kUnknown || p->type == Type::kUnknown;
        bool new_maps = maps_to_placeholder(new_lineage, c.name);
        bool previous_maps = maps_to_placeholder(previous_lineage, c.name);
        if (string_type && new_maps != previous_maps) {
          add("SM010", query->file, c.loc,
              fmt::format("dimension '{}' maps NULL to '??' in {} but not in {}; totals for "
                          "NULL will not match: apply the same NULL handling in both versions "
                          "(seed 004, consideration 3)",
                          c.name, new_maps ? "this version" : previous->file,
                          new_maps ? previous->file : "this version"));
        }
      }
      std::string new_definition = new_lineage.definition(c.name);
      std::string previous_definition = previous_lineage.definition(c.name);
      if (!new_definition.empty() && !previous_definition.empty() &&
          new_definition != previous_definition) {
        add("SM011", query->file, c.loc,
            fmt::format("column '{}' keeps its name but its definition changed since {} "
                        "(line {}); the mitigation will not recalculate it: rename it in the "
                        "query and schema (seed 004, consideration 2)",
                        c.name, previous->file, p->loc.line));
      }
    }
    return true;
  }

  static bool maps_to_placeholder(const analysis::Lineage& lineage, const std::string& column) {
    for (const syntax::Expr* e : lineage.chain(column)) {
      if (analysis::maps_null_to_placeholder(*e)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- SM007, SM012

  void check_backfill() {
    const project::Backfill& b = *backfill_;
    std::set<std::string> seen;
    std::string previous_date;
    for (const auto& e : b.entries) {
      const std::string& date = e.entry_date.text;
      auto bad = [&](const project::YamlValue& v, const std::string& message) {
        add("SM012", b.file, v.present ? v.key : e.entry_date.key,
            fmt::format("backfill entry {}: {}", date, message));
      };
      if (!project::is_iso_date(date)) {
        bad(e.entry_date, "the entry date is not an ISO date (YYYY-MM-DD)");
      } else {
        if (!options_.today.empty() && date > options_.today) {
          bad(e.entry_date, fmt::format("the entry date is in the future (today is {}); date the "
                                        "entry when it is written",
                                        options_.today));
        }
        if (!seen.insert(date).second) {
          bad(e.entry_date, "another entry has the same date; merge them or change the date");
        } else if (!previous_date.empty() && project::is_iso_date(previous_date) &&
                   date > previous_date) {
          bad(e.entry_date, "entries must be sorted newest first; move this entry up");
        }
      }
      previous_date = date;
      if (!e.entry_is_mapping) {
        bad(e.entry_date,
            "the entry must be a mapping with start_date, end_date, reason, "
            "watchers and status");
        continue;
      }
      auto date_field = [&](const project::YamlValue& v, const char* name) {
        if (!v.present || v.text.empty()) {
          bad(v, fmt::format("{} is missing; add it as YYYY-MM-DD", name));
          return false;
        }
        if (!project::is_iso_date(v.text)) {
          bad(v, fmt::format("{} '{}' is not an ISO date (YYYY-MM-DD)", name, v.text));
          return false;
        }
        return true;
      };
      bool start_ok = date_field(e.start_date, "start_date");
      bool end_ok = date_field(e.end_date, "end_date");
      if (start_ok && end_ok && e.start_date.text > e.end_date.text) {
        bad(e.start_date, fmt::format("start_date {} is after end_date {}; swap them",
                                      e.start_date.text, e.end_date.text));
      }
      if (end_ok && project::is_iso_date(date) && e.end_date.text > date) {
        bad(e.end_date,
            fmt::format("end_date {} is after the entry date {}", e.end_date.text, date));
      }
      if (e.excluded_dates.present && !e.excluded_dates.text.empty()) {
        bad(e.excluded_dates, "excluded_dates must be a list of dates");
      }
      std::set<std::string> excluded;
      std::string last_excluded;
      for (const auto& x : e.excluded_date_items) {
        if (!project::is_iso_date(x.text)) {
          bad(x, fmt::format("excluded date '{}' is not an ISO date (YYYY-MM-DD)", x.text));
          continue;
        }
        if (start_ok && end_ok && !(e.start_date.text < x.text && x.text < e.end_date.text)) {
          bad(x, fmt::format("excluded date {} is not strictly between start_date {} and "
                             "end_date {}",
                             x.text, e.start_date.text, e.end_date.text));
        }
        if (!excluded.insert(x.text).second) {
          bad(x, fmt::format("excluded date {} is listed twice", x.text));
        } else if (!last_excluded.empty() && x.text < last_excluded) {
          bad(x, "excluded_dates must be sorted oldest first");
        }
        last_excluded = x.text;
      }
      static const std::string kDefaultReason =
          "Please provide a reason for the backfill and links to any related bugzilla or jira "
          "tickets";
      if (!e.reason.present || e.reason.text.empty()) {
        bad(e.reason, "reason is missing; say why the backfill is needed, with its bug link");
      } else if (e.reason.text == kDefaultReason) {
        bad(e.reason, "reason is still the placeholder; say why the backfill is needed");
      }
      if (!e.watchers.present || e.watcher_items.empty()) {
        bad(e.watchers, "watchers is missing or empty; list the emails to notify");
      }
      std::set<std::string> watchers;
      for (const auto& w : e.watcher_items) {
        if (!is_email_or_github_identity(w.text)) {
          bad(w, fmt::format("watcher '{}' is not an email address or a GitHub identity", w.text));
        } else if (w.text == "nobody@mozilla.com") {
          bad(w, "watcher nobody@mozilla.com is the placeholder; list a real email");
        }
        if (!watchers.insert(w.text).second) {
          bad(w, fmt::format("watcher '{}' is listed twice", w.text));
        }
      }
      std::string status = syntax::to_lower(e.status.text);
      if (!e.status.present || status.empty()) {
        bad(e.status, "status is missing; use Initiate, Complete or Cancelled");
      } else if (status != "initiate" && status != "complete" && status != "cancelled") {
        bad(e.status,
            fmt::format("unknown status '{}'; use Initiate, Complete or Cancelled", e.status.text));
      }
      if (e.shredder_mitigation.present && !e.mitigation) {
        // Anything but a YAML boolean is a mistake: bigquery-etl reads "false" as true.
        bool is_false =
            e.shredder_mitigation.is_scalar &&
            (e.shredder_mitigation.text == "false" || e.shredder_mitigation.text == "False" ||
             e.shredder_mitigation.text == "FALSE" || e.shredder_mitigation.text == "no" ||
             e.shredder_mitigation.text == "off");
        if (!is_false) {
          bad(e.shredder_mitigation,
              fmt::format("shredder_mitigation must be true or false, got '{}'",
                          e.shredder_mitigation.text));
        }
      }
      // SM007: bigquery-etl checks Initiate entries against the label (validate.py).
      if (status == "initiate" && metadata_) {
        bool label = metadata_->shredder_mitigation;
        if (label != e.mitigation) {
          project::Position at =
              e.shredder_mitigation.present ? e.shredder_mitigation.key : e.entry_date.key;
          add("SM007", b.file, at,
              label ? fmt::format("backfill entry {} does not ask for shredder mitigation but "
                                  "{} has the shredder_mitigation label; add "
                                  "`shredder_mitigation: true` to the entry",
                                  date, metadata_->file)
                    : fmt::format("backfill entry {} asks for shredder mitigation but {} has no "
                                  "`shredder_mitigation: true` label; add the label (once the "
                                  "table is set up) or set the entry's shredder_mitigation to "
                                  "false",
                                  date, metadata_->file));
        }
      }
    }
  }

  const TableRef& table_;
  const Options& options_;
  Report& report_;
  std::optional<project::Metadata> metadata_;
  std::optional<project::Backfill> backfill_;
  bool mitigation_ = false;
  std::string trigger_file_;
  project::Position trigger_;
  const project::Schema empty_schema_;
};

// ------------------------------------------------------------------ worker processes

nlohmann::json to_json(const Report& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"rule", f.rule},
                        {"severity", severity_name(f.severity)},
                        {"file", f.file},
                        {"line", f.line},
                        {"column", f.column},
                        {"message", f.message}});
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& x : r.skipped) skipped.push_back({x.path, x.reason});
  return {{"findings", findings}, {"checked", r.checked}, {"skipped", skipped}};
}

void merge(Report& into, const nlohmann::json& j) {
  for (const auto& f : j.at("findings")) {
    into.findings.push_back(
        Finding{f.at("rule"), f.at("severity") == "error" ? Severity::kError : Severity::kWarning,
                f.at("file"), f.at("line"), f.at("column"), f.at("message")});
  }
  into.checked += j.at("checked").get<size_t>();
  for (const auto& s : j.at("skipped")) into.skipped.push_back({s.at(0), s.at(1)});
}

void lint_range(const std::vector<TableRef>& tables, size_t first, size_t step,
                const Options& options, Report& report) {
  for (size_t i = first; i < tables.size(); i += step) {
    TableLinter(tables[i], options, report).run();
  }
}

// Lints tables first, first+jobs, ... in each of `jobs` forked processes; each sends its report
// back as JSON through a pipe. Processes rather than threads: the ANTLR 4.9 runtime takes one
// process-wide lock for every DFA lookup, so threads parse at 1.25x the speed of one, processes
// at 1.65x (issue 4 measurements in the README).
void lint_in_processes(const std::vector<TableRef>& tables, const Options& options, int jobs,
                       Report& report) {
  struct Worker {
    pid_t pid;
    int fd;
  };
  std::vector<Worker> workers;
  for (int w = 0; w < jobs; ++w) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      close(fds[0]);
      int status = 0;
      try {
        Report part;
        lint_range(tables, static_cast<size_t>(w), static_cast<size_t>(jobs), options, part);
        std::string data = to_json(part).dump();
        size_t written = 0;
        while (written < data.size()) {
          ssize_t n = write(fds[1], data.data() + written, data.size() - written);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            status = 3;
            break;
          }
          written += static_cast<size_t>(n);
        }
      } catch (...) {
        status = 3;
      }
      close(fds[1]);
      _exit(status);
    }
    close(fds[1]);
    workers.push_back({pid, fds[0]});
  }
  std::string failure;
  for (const auto& w : workers) {
    std::string data;
    char buffer[65536];
    while (true) {
      ssize_t n = read(w.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data.append(buffer, static_cast<size_t>(n));
    }
    close(w.fd);
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      failure = fmt::format("lint worker process {} failed (status {})", w.pid, status);
      continue;
    }
    merge(report, nlohmann::json::parse(data));
  }
  if (!failure.empty()) throw std::runtime_error(failure);
}

// ------------------------------------------------------------------ formats

std::string github_escape(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view severity_name(Severity s) { return s == Severity::kError ? "error" : "warning"; }

const std::vector<Rule>& rules() { return kRules; }

const Rule& rule(std::string_view id) {
  for (const auto& r : kRules) {
    if (r.id == id) return r;
  }
  throw std::out_of_range("unknown lint rule " + std::string(id));
}

size_t Report::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kError;
  }));
}

size_t Report::warnings() const { return findings.size() - errors(); }

std::vector<TableRef> select_tables(const std::vector<std::string>& paths) {
  std::map<std::string, TableRef> found;
  auto add_table = [&](const fs::path& dir, const project::SqlTree& tree) {
    std::string key = fs::absolute(dir).lexically_normal().string();
    found.emplace(key, TableRef{dir, tree});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      throw UserError("<command line>", 0, 0,
                      "no such file or directory: " + p +
                          "; give a sql/ tree, a table folder or a file in one");
    }
    // Find the enclosing sql/ folder: depth 0 is sql/ itself, 3 a table folder.
    fs::path given = fs::path(p).lexically_normal();
    if (given.filename().empty()) given = given.parent_path();
    fs::path absolute = fs::absolute(given).lexically_normal();
    std::vector<std::string> below;  // path components under sql/, outermost first
    fs::path cursor = absolute;
    fs::path sql_dir;
    while (!cursor.empty() && cursor != cursor.root_path()) {
      if (cursor.filename() == "sql") {
        sql_dir = cursor;
        break;
      }
      below.insert(below.begin(), cursor.filename().string());
      cursor = cursor.parent_path();
    }
    if (sql_dir.empty()) {
      throw UserError("<command line>", 0, 0,
                      p + " is not inside a bigquery-etl sql/ folder; give sql/, "
                          "sql/<project>/<dataset>/<table> or a file in a table folder");
    }
    // The sql/ folder as the user reaches it, so that findings keep relative paths.
    fs::path user_sql = given;
    for (size_t i = 0; i < below.size(); ++i) user_sql = user_sql.parent_path();
    if (user_sql.empty()) user_sql = sql_dir;
    project::SqlTree tree = project::SqlTree::from_sql_dir(user_sql);
    if (below.size() >= 3) {
      fs::path dir = user_sql / below[0] / below[1] / below[2];
      add_table(dir, tree);
      continue;
    }
    // Every folder at depth 3 below sql/ under the given folder.
    std::vector<fs::path> level = {given};
    for (size_t depth = below.size(); depth < 3; ++depth) {
      std::vector<fs::path> next;
      for (const auto& d : level) {
        for (const auto& entry : fs::directory_iterator(d, ec)) {
          if (entry.is_directory(ec)) next.push_back(entry.path());
        }
      }
      level = std::move(next);
    }
    for (const auto& d : level) add_table(d, tree);
  }
  std::vector<TableRef> tables;
  for (auto& [key, t] : found) tables.push_back(std::move(t));
  return tables;
}

Report lint(const std::vector<TableRef>& tables, const Options& options) {
  Report report;
  report.tables = tables.size();
  int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(tables.size())));
  if (jobs == 1) {
    lint_range(tables, 0, 1, options, report);
  } else {
    lint_in_processes(tables, options, jobs, report);
  }
  auto key = [](const Finding& f) { return std::tie(f.file, f.line, f.column, f.rule, f.message); };
  std::sort(report.findings.begin(), report.findings.end(),
            [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
  report.findings.erase(
      std::unique(report.findings.begin(), report.findings.end(),
                  [&](const Finding& a, const Finding& b) { return key(a) == key(b); }),
      report.findings.end());
  std::sort(report.skipped.begin(), report.skipped.end());
  report.skipped.erase(std::unique(report.skipped.begin(), report.skipped.end()),
                       report.skipped.end());
  return report;
}

std::string format_text(const Report& report) {
  std::string out;
  for (const auto& f : report.findings) {
    out += fmt::format("{}:{}:{}: {}: [{}] {}\n", f.file, f.line, f.column,
                       severity_name(f.severity), f.rule, f.message);
  }
  for (const auto& s : report.skipped)
    out += fmt::format("{}: note: not checked: {}\n", s.path, s.reason);
  out += fmt::format("shredmit lint: {} error{}, {} warning{} in {} table{} ({} checked)\n",
                     report.errors(), report.errors() == 1 ? "" : "s", report.warnings(),
                     report.warnings() == 1 ? "" : "s", report.tables,
                     report.tables == 1 ? "" : "s", report.checked);
  return out;
}

std::string format_json(const Report& report) {
  return to_json(report).at("findings").dump(2) + "\n";
}

std::string format_github(const Report& report) {
  std::string out;
  for (const auto& f : report.findings) {
    out += fmt::format("::{} file={},line={},col={},title={}::{}\n", severity_name(f.severity),
                       github_escape(f.file, true), f.line, f.column, f.rule,
                       github_escape(f.message, false));
  }
  return out;
}

std::string format_sarif(const Report& report) {
  nlohmann::json rules_json = nlohmann::json::array();
  std::map<std::string, size_t> index;
  for (const auto& r : kRules) {
    index[std::string(r.id)] = rules_json.size();
    rules_json.push_back({{"id", r.id},
                          {"name", r.name},
                          {"shortDescription", {{"text", r.summary}}},
                          {"defaultConfiguration",
                           {{"level", r.severity == Severity::kError ? "error" : "warning"}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : report.findings) {
    results.push_back({{"ruleId", f.rule},
                       {"ruleIndex", index.at(f.rule)},
                       {"level", severity_name(f.severity)},
                       {"message", {{"text", f.message}}},
                       {"locations",
                        {{{"physicalLocation",
                           {{"artifactLocation", {{"uri", fs::path(f.file).generic_string()}}},
                            {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}}}}});
  }
  nlohmann::json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                          {"version", "2.1.0"},
                          {"runs",
                           {{{"tool", {{"driver", {{"name", "shredmit"}, {"rules", rules_json}}}}},
                             {"results", results}}}}};
  return sarif.dump(2) + "\n";
}

}  // namespace shredmit::lint
