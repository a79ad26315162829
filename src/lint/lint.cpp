// shredmit lint: rules SM001-SM011 and the backfill rules over bigquery-etl table folders (see
// lint.h).
#include "lint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
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
#include "backfill/backfill.h"
#include "base/text.h"
#include "mitigation/mitigation.h"
#include "syntax/format.h"
#include "templating/templating.h"

namespace shredmit::lint {
namespace {

namespace fs = std::filesystem;
using analysis::Role;
using analysis::Type;

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
     "A table whose backfill.yaml has an Initiate entry asking for shredder mitigation is at "
     "version N >= 2 and has its version N-1 folder (with --strict: every labelled table of "
     "version 2 or more has it).",
     Severity::kError, false},
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
    {"SM013", "comparable-versions",
     "The version and its previous version share a dimension and a metric, each common column "
     "keeps its role and type, and each common dimension can be grouped.",
     Severity::kError, false},
    {"SM014", "partitioning",
     "The table is partitioned by day or month on a DATE, TIMESTAMP or DATETIME dimension of "
     "both versions, the same column in both, and the backfill binds a date parameter.",
     Severity::kError, false},
    {"SM015", "label-spelling",
     "No label key is a near miss of shredder_mitigation (shredder-mitigation, "
     "shreder_mitigation): bigquery-etl reads only the exact key, so such a table is not set up "
     "for mitigation. Runs on every table.",
     Severity::kWarning, false},
    {"SM016", "generated-files-current",
     "The shredder_mitigation_*.sql files in a table folder are not older than the query.sql "
     "and schema.yaml of the version and its previous version they were generated from. Runs "
     "on every table.",
     Severity::kWarning, false},
};

// ------------------------------------------------------------------ one table

std::string unreadable_message(const std::error_code& ec) {
  return "folder cannot be read (" + ec.message() + "); fix its permissions so it can be checked";
}

class TableLinter {
 public:
  TableLinter(const TableRef& table, const Options& options, Report& report)
      : table_(table), options_(options), report_(report) {}

  void run() {
    if (!table_.unreadable.empty()) {
      add("SM008", table_.dir.string(), {}, table_.unreadable);
      return;
    }
    std::error_code ec;
    fs::directory_iterator listing(table_.dir, ec);
    if (ec) {
      add("SM008", table_.dir.string(), {}, unreadable_message(ec));
      return;
    }
    fs::path metadata_path = table_.dir / "metadata.yaml";
    fs::path backfill_path = table_.dir / "backfill.yaml";
    if (exists(metadata_path)) {
      try {
        metadata_ = project::load_metadata(metadata_path);
      } catch (const base::Error& e) {
        add_error("SM008", e);
      }
    }
    if (exists(backfill_path)) {
      try {
        backfill_ = project::load_backfill(backfill_path);
      } catch (const base::Error& e) {
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
    requested_ = requested;
    mitigation_ = labelled || requested != nullptr;
    if (metadata_) check_label_spelling(*metadata_);
    check_generated_files();
    // The backfill rules run on every backfill.yaml, as bigquery-etl's pre-commit hook does.
    if (backfill_) check_backfill();
    if (!mitigation_ && !options_.all_tables) return;
    ++report_.checked;

    if (!mitigation_) {
      // --all-tables on a table not set up for mitigation: the schema must match the query.
      auto query = read_query(table_.dir);
      auto schema = read_schema(table_.dir);
      if (query && query->statement && schema) {
        for (const auto& r :
             analysis::check_schema_matches(*query->statement, query->file, *schema)) {
          add("SM005", r.file, r.at, r.message);
        }
      }
      return;
    }
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
    analysis::PreconditionOptions po;
    po.id_level_columns = options_.id_level_columns;
    po.signed_metrics = options_.signed_metrics;
    po.render = options_.render;
    analysis::Preconditions pre = analysis::check_preconditions(table_.tree, table_.dir, po);
    if (pre.next.needs_network) {
      report_.skipped.push_back(
          {pre.next.query ? pre.next.query->file : (table_.dir / "query.sql").string(),
           "it needs metric-hub definitions, which shredmit does not download"});
      return;
    }
    for (const auto& r : pre.refusals) report_refusal(r);
    warn(pre);
  }

 private:
  // The lint rule that reports each kind of precondition: the same reason, in the same words and
  // at the same place, as generate and backfill validate give it.
  void report_refusal(const analysis::Refusal& r) {
    using analysis::Precondition;
    const char* rule = nullptr;
    switch (r.kind) {
      case Precondition::kLabel:
        // An entry asking for mitigation without the label is BF015's finding.
        return;
      case Precondition::kVersion:
        // A labelled version 1 is how a table gets set up; only a backfill asking for
        // mitigation needs version 2 now.
        if (!requested_) return;
        rule = "SM006";
        break;
      case Precondition::kPrevious:
        // Deployed tables whose older folders were deleted long ago keep their label; only a
        // backfill that asks for mitigation needs the previous version now (--strict: always).
        if (!requested_ && !options_.strict) return;
        rule = "SM006";
        break;
      case Precondition::kFiles:
        rule = "SM008";
        break;
      case Precondition::kSchemaMissing:
        rule = "SM002";
        break;
      case Precondition::kShape:
        rule = "SM001";
        break;
      case Precondition::kDescriptions:
        rule = "SM003";
        break;
      case Precondition::kIdLevel:
        rule = "SM004";
        break;
      case Precondition::kSchemaMatch:
        rule = "SM005";
        break;
      case Precondition::kMetricKind:
        rule = "SM009";
        break;
      case Precondition::kComparable:
        rule = "SM013";
        break;
      case Precondition::kPartition:
        rule = "SM014";
        break;
    }
    add(rule, r.file, r.at, r.message);
  }

  // The warnings of a table set up for mitigation: SM009's metric kinds, SM010 and SM011.
  void warn(const analysis::Preconditions& pre) {
    const analysis::TableVersion& next = pre.next;
    if (!next.aggregate || next.aggregate->final_select == nullptr) return;
    const QueryFile query{next.query->file, *next.query, next.query->query};
    const analysis::TableVersion& previous = pre.previous;
    if (previous.exists() && previous.aggregate && previous.aggregate->final_select != nullptr) {
      const QueryFile previous_query{previous.query->file, *previous.query, previous.query->query};
      check_metrics(query, *next.aggregate, *next.aggregate->lineage, *previous.aggregate,
                    *previous.aggregate->lineage);
      check_versions(query, *next.aggregate, previous_query, *previous.aggregate);
    } else {
      check_metrics_alone(query, *next.aggregate);
    }
  }

 private:
  struct QueryFile {
    std::string file;
    project::TableQuery source;
    const syntax::Query* statement = nullptr;  // the table's query
  };

  // Whether something is at `p`. A path that cannot be examined (permission denied, a loop of
  // symbolic links) counts as present, so that reading it reports the error as a finding.
  static bool exists(const fs::path& p) {
    std::error_code ec;
    fs::file_status status = fs::symlink_status(p, ec);
    return status.type() != fs::file_type::not_found && (ec || fs::exists(status));
  }

  void add(std::string_view rule_id, const std::string& file, base::Location at,
           std::string message, std::optional<Severity> severity = std::nullopt) {
    const Rule& r = rule(rule_id);
    report_.findings.push_back(Finding{std::string(r.id), severity.value_or(r.severity), file,
                                       at.line > 0 ? at.line : 1, at.column > 0 ? at.column : 1,
                                       std::move(message)});
  }

  void add_error(std::string_view rule_id, const base::Error& e) {
    add(rule_id, e.file, e.span.begin, e.what());
  }

  // Reads, renders and parses dir/query.sql; SM008 when that fails.
  std::optional<QueryFile> read_query(const fs::path& dir) {
    fs::path path = dir / "query.sql";
    if (!exists(path)) return std::nullopt;
    QueryFile q;
    q.file = path.string();
    try {
      q.source = project::read_table_query(dir, options_.render);
    } catch (const project::OfflineError&) {
      report_.skipped.push_back(
          {q.file, "it needs metric-hub definitions, which shredmit does not download"});
      return std::nullopt;
    } catch (const base::Error& e) {
      add_error("SM008", e);
      return std::nullopt;
    }
    q.statement = q.source.query;
    return q;
  }

  // Reads dir/schema.yaml with its includes; SM008 when that fails, nullopt when it is absent.
  std::optional<project::Schema> read_schema(const fs::path& dir) {
    fs::path path = dir / "schema.yaml";
    if (!exists(path)) return std::nullopt;
    try {
      return project::load_schema(path, table_.tree);
    } catch (const base::Error& e) {
      add_error("SM008", e);
      return std::nullopt;
    }
  }

  // ---------------------------------------------------------------- SM009

  bool declared_signed(const std::string& name) const {
    return analysis::has_name(options_.signed_metrics, name);
  }

  // SM009 on a version without a previous version to compare with: a metric that subtraction
  // cannot recover is refused by `generate` once the version is bumped and it becomes common.
  void check_metrics_alone(const QueryFile& query, const analysis::AggregateQuery& a) {
    if (a.final_select == nullptr) return;
    const analysis::Lineage& lineage = *a.lineage;
    for (const auto& c : a.columns) {
      if (c.role != Role::kMetric || c.expr == nullptr) continue;
      if (c.type != Type::kUnknown && !analysis::is_numeric(c.type)) continue;  // kMetricType
      auto kind = analysis::metric_kind(c, lineage, declared_signed(c.name));
      if (kind.kind != analysis::MetricKind::kNotRecoverable) continue;
      add("SM009", query.file, c.loc,
          fmt::format("metric '{}' cannot be recovered by subtraction ({}); `shredmit generate` "
                      "refuses it once the next version keeps its name: keep its sum and count "
                      "as metrics and derive it in a view",
                      c.name, kind.reason),
          Severity::kWarning);
    }
  }

  // SM009's warnings on the metrics of a version and its previous version: COUNT(DISTINCT ...)
  // over changed dimensions and signed-only totals (what `generate` refuses is a precondition).
  void check_metrics(const QueryFile& query, const analysis::AggregateQuery& a,
                     const analysis::Lineage& lineage, const analysis::AggregateQuery& p,
                     const analysis::Lineage& previous_lineage) {
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
      auto kind = analysis::metric_kind(c, lineage, declared);
      // A metric subtraction cannot recover is the preconditions' SM009 error.
      if (kind.kind == analysis::MetricKind::kNotRecoverable) continue;
      if (old->expr != nullptr && analysis::metric_kind(*old, previous_lineage, declared).kind ==
                                      analysis::MetricKind::kNotRecoverable) {
        continue;
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

  // ---------------------------------------------------------------- SM010, SM011

  void check_versions(const QueryFile& query, const analysis::AggregateQuery& next,
                      const QueryFile& previous, const analysis::AggregateQuery& prior) {
    const analysis::Lineage& new_lineage = *next.lineage;
    const analysis::Lineage& previous_lineage = *prior.lineage;
    for (const auto& c : next.columns) {
      const analysis::OutputColumn* p = prior.find(c.name);
      if (p == nullptr) continue;
      if (c.role == Role::kDimension && p->role == Role::kDimension) {
        bool string_type = c.type == Type::kString || p->type == Type::kString ||
                           c.type == Type::kUnknown || p->type == Type::kUnknown;
        bool new_maps = maps_to_placeholder(new_lineage, c.name);
        bool previous_maps = maps_to_placeholder(previous_lineage, c.name);
        if (string_type && new_maps != previous_maps) {
          add("SM010", query.file, c.loc,
              fmt::format("dimension '{}' maps NULL to '??' in {} but not in {}; totals for "
                          "NULL will not match: apply the same NULL handling in both versions "
                          "(seed 004, consideration 3)",
                          c.name, new_maps ? "this version" : previous.file,
                          new_maps ? previous.file : "this version"));
        }
      }
      std::string new_definition = new_lineage.definition(c.name);
      std::string previous_definition = previous_lineage.definition(c.name);
      if (!new_definition.empty() && !previous_definition.empty() &&
          new_definition != previous_definition) {
        add("SM011", query.file, c.loc,
            fmt::format("column '{}' keeps its name but its definition changed since {} "
                        "(line {}); the mitigation will not recalculate it: rename it in the "
                        "query and schema (seed 004, consideration 2)",
                        c.name, previous.file, p->loc.line));
      }
    }
  }

  static bool maps_to_placeholder(const analysis::Lineage& lineage, const std::string& column) {
    for (const syntax::Expr* e : lineage.chain(column)) {
      if (analysis::maps_null_to_placeholder(*e)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- backfill.yaml

  // SM015: a label key a few edits from shredder_mitigation (seed 004 itself writes
  // `shredder-mitigation: true` once) is another label to BigQuery and bigquery-etl.
  void check_label_spelling(const project::Metadata& m) {
    static const std::string kLabel = "shredder_mitigation";
    for (const auto& [key, at] : m.label_keys) {
      if (key == kLabel || base::edit_distance(key, kLabel) > 3) continue;
      add("SM015", m.file, at,
          fmt::format("label '{}' is not '{}', the label bigquery-etl reads, so the table is not "
                      "set up for shredder mitigation; rename the key to {}",
                      key, kLabel, kLabel));
    }
  }

  // SM016: a generated file older than an input was generated before that input changed. A
  // second of slack: a fresh checkout writes a folder's files within milliseconds, in name
  // order, and a file system may keep whole seconds.
  void check_generated_files() {
    std::vector<fs::path> inputs = {table_.dir / "query.sql", table_.dir / "schema.yaml"};
    std::string name = table_.dir.filename().string();
    if (auto split = project::TableId::split_version(name); split && split->second > 1) {
      fs::path previous =
          table_.dir.parent_path() / fmt::format("{}_v{}", split->first, split->second - 1);
      inputs.push_back(previous / "query.sql");
      inputs.push_back(previous / "schema.yaml");
    }
    for (std::string_view generated : mitigation::kFileNames) {
      fs::path file = table_.dir / generated;
      std::error_code ec;
      auto written = fs::last_write_time(file, ec);
      if (ec) continue;
      for (const fs::path& input : inputs) {
        auto changed = fs::last_write_time(input, ec);
        if (ec || changed <= written + std::chrono::seconds(1)) continue;
        add("SM016", file.string(), {1, 1},
            fmt::format("{} is older than {}, which changed after it was generated; run "
                        "`shredmit generate {}` again (or delete the file if it is not used)",
                        generated, input.string(), table_.dir.string()));
        break;
      }
    }
  }

  // The backfill rules (backfill::validate) on the table's backfill.yaml. generate's
  // preconditions are left to the SM rules, which locate each problem in its own file.
  void check_backfill() {
    backfill::ValidateOptions vo;
    vo.today = options_.today;
    vo.mitigation_preconditions = false;
    vo.mitigation.signed_metrics = options_.signed_metrics;
    for (auto& f : backfill::validate(table_.dir / "backfill.yaml", table_.tree, vo)) {
      report_.findings.push_back(std::move(f));
    }
  }

  const TableRef& table_;
  const Options& options_;
  Report& report_;
  std::optional<project::Metadata> metadata_;
  std::optional<project::Backfill> backfill_;
  bool mitigation_ = false;
  // The first Initiate entry of backfill.yaml with shredder_mitigation: true, or null.
  const project::BackfillEntry* requested_ = nullptr;
};

// ------------------------------------------------------------------ worker processes

nlohmann::json to_json(const Report& r) {
  nlohmann::json findings = nlohmann::json::parse(base::format_json(r.findings));
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
// at 1.65x (measured on the public tree; docs/lint.md).
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
        nlohmann::json result;
        try {
          lint_range(tables, static_cast<size_t>(w), static_cast<size_t>(jobs), options, part);
          result = to_json(part);
        } catch (const std::exception& e) {
          result = {{"internal_error", e.what()}};
        }
        // Paths need not be UTF-8 (folder names are bytes); invalid bytes become U+FFFD.
        std::string data = base::dump_json(result);
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
    auto result = nlohmann::json::parse(data);
    if (result.contains("internal_error")) {
      failure = result["internal_error"].get<std::string>();
      continue;
    }
    merge(report, result);
  }
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace

const std::vector<Rule>& rules() { return kRules; }

const Rule& rule(std::string_view id) {
  for (const auto& r : kRules) {
    if (r.id == id) return r;
  }
  for (const auto& r : backfill::rules()) {
    if (r.id == id) return r;
  }
  throw std::out_of_range("unknown lint rule " + std::string(id));
}

size_t Report::errors() const { return base::count_errors(findings); }

size_t Report::warnings() const { return base::count_warnings(findings); }

size_t Report::suppressed() const { return base::count_suppressed(findings); }

std::vector<TableRef> select_tables(const std::vector<std::string>& paths) {
  std::map<std::string, TableRef> found;
  auto add_table = [&](const fs::path& dir, const project::SqlTree& tree,
                       const std::string& unreadable) {
    std::string key = fs::absolute(dir).lexically_normal().string();
    found.emplace(key, TableRef{dir, tree, unreadable});
  };
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      throw base::Error::usage("no such file or directory: " + p +
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
      throw base::Error::usage(p +
                               " is not inside a bigquery-etl sql/ folder; give sql/, "
                               "sql/<project>/<dataset>/<table> or a file in a table folder");
    }
    // The sql/ folder as the user reaches it, so that findings keep relative paths.
    fs::path user_sql = given;
    for (size_t i = 0; i < below.size(); ++i) user_sql = user_sql.parent_path();
    if (user_sql.empty()) user_sql = sql_dir;
    project::SqlTree tree = project::SqlTree::from_sql_dir(user_sql);
    if (below.size() >= 3) {
      fs::path dir = user_sql / below[0] / below[1] / below[2];
      add_table(dir, tree, "");
      continue;
    }
    // Every folder at depth 3 below sql/ under the given folder.
    std::vector<fs::path> level = {given};
    for (size_t depth = below.size(); depth < 3; ++depth) {
      std::vector<fs::path> next;
      for (const auto& d : level) {
        fs::directory_iterator it(d, ec), end;
        if (ec) {
          add_table(d, tree, unreadable_message(ec));
          continue;
        }
        for (; it != end; it.increment(ec)) {
          fs::path path = it->path();
          std::error_code entry_ec;
          if (!it->is_directory(entry_ec)) {
            if (entry_ec) add_table(path, tree, unreadable_message(entry_ec));
            continue;
          }
          std::string name = path.filename().string();
          if (base::invalid_utf8_offset(name) != std::string_view::npos) {
            add_table(path, tree,
                      "folder name is not valid UTF-8; rename it (bigquery-etl's project, dataset "
                      "and table names are ASCII)");
          } else {
            next.push_back(path);
          }
        }
        if (ec) add_table(d, tree, unreadable_message(ec));
      }
      level = std::move(next);
    }
    for (const auto& d : level) add_table(d, tree, "");
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
  base::sort_findings(report.findings);
  apply_noqa(report);
  std::sort(report.skipped.begin(), report.skipped.end());
  report.skipped.erase(std::unique(report.skipped.begin(), report.skipped.end()),
                       report.skipped.end());
  return report;
}

std::string format_text(const Report& report) {
  std::string out = base::format_text_lines(report.findings);
  for (const auto& s : report.skipped)
    out += fmt::format("{}: note: not checked: {}\n", s.path, s.reason);
  out += fmt::format("shredmit lint: {} error{}, {} warning{} in {} table{} ({} checked)",
                     report.errors(), report.errors() == 1 ? "" : "s", report.warnings(),
                     report.warnings() == 1 ? "" : "s", report.tables,
                     report.tables == 1 ? "" : "s", report.checked);
  size_t noqa = 0, baseline = 0;
  for (const auto& f : report.findings) {
    noqa += f.suppression == Suppression::kNoqa;
    baseline += f.suppression == Suppression::kBaseline;
  }
  if (noqa + baseline > 0) {
    std::vector<std::string> parts;
    if (noqa) parts.push_back(fmt::format("{} by noqa", noqa));
    if (baseline) parts.push_back(fmt::format("{} by the baseline", baseline));
    out += fmt::format("; {} suppressed ({})", noqa + baseline, fmt::join(parts, ", "));
  }
  return out + "\n";
}

namespace {

// Whether an SM001 message (analysis's kGroupBy problem) is about GROUP BY ALL or an ordinal,
// the two that `lint --fix` rewrites.
bool is_group_by_all_or_ordinal(std::string_view message) {
  return message.starts_with("GROUP BY ALL") || message.starts_with("GROUP BY ordinal");
}

// Whether `lint --fix` has a rewrite for the finding (see fixes()).
bool fixable(const Finding& f) {
  return f.rule == "SM001" && fs::path(f.file).filename() == "query.sql" &&
         is_group_by_all_or_ordinal(f.message);
}

// JSON's "suppressed": null, "noqa" or "baseline".
nlohmann::ordered_json suppression_name(Suppression s) {
  if (s == Suppression::kNone) return nullptr;
  return s == Suppression::kNoqa ? "noqa" : "baseline";
}

}  // namespace

std::string format_json(const Report& report) {
  std::map<std::string_view, std::string_view> names;
  for (const auto& r : kRules) names[r.id] = r.name;
  for (const auto& r : backfill::rules()) names[r.id] = r.name;
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const auto& f : report.findings) {
    auto name = names.find(f.rule);
    findings.push_back({{"rule", f.rule},
                        {"rule_name", name == names.end() ? "" : std::string(name->second)},
                        {"severity", f.severity == Severity::kError ? "error" : "warning"},
                        {"file", f.file},
                        {"line", f.line},
                        {"column", f.column},
                        {"message", f.message},
                        {"fixable", fixable(f)},
                        {"suppressed", suppression_name(f.suppression)}});
  }
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const auto& x : report.skipped) skipped.push_back({{"path", x.path}, {"reason", x.reason}});
  nlohmann::ordered_json doc = {{"findings", std::move(findings)},
                                {"summary",
                                 {{"errors", report.errors()},
                                  {"warnings", report.warnings()},
                                  {"suppressed", report.suppressed()},
                                  {"tables", report.tables},
                                  {"checked", report.checked}}},
                                {"skipped", std::move(skipped)}};
  return base::dump_json(doc, 2) + "\n";
}

std::string format_github(const Report& report) { return base::format_github(report.findings); }

std::string format_sarif(const Report& report) {
  std::vector<Rule> all = kRules;
  all.insert(all.end(), backfill::rules().begin(), backfill::rules().end());
  return base::format_sarif(report.findings, all);
}

namespace {

struct Edit {
  size_t offset;
  size_t length;
  std::string text;
};

// The dimension expressions GROUP BY ALL groups by, joined by `separator`, or nothing when a
// select item is a star.
std::optional<std::string> grouped_expressions(const analysis::AggregateQuery& a,
                                               const std::string& separator) {
  std::vector<std::string> out;
  for (const auto& item : a.final_select->items)
    if (item.kind != syntax::SelectItem::Kind::kExpression) return std::nullopt;
  for (const auto& c : a.columns) {
    if (c.role != Role::kDimension || c.expr == nullptr || c.constant) continue;
    out.push_back(syntax::print(*c.expr));
  }
  if (out.empty()) return std::nullopt;
  return base::join(out, separator);
}

// The edits that fix the GROUP BY of `text` (a query.sql that is not a template), or nothing.
std::vector<Edit> group_by_edits(const std::string& text) {
  std::vector<Edit> edits;
  syntax::Script script = syntax::parse_statements(text);
  if (script.statements.empty()) return edits;
  const syntax::Statement& last = *script.statements.back();
  if (last.kind != syntax::StatementKind::kQuery) return edits;
  const syntax::Query& query = *last.as<syntax::QueryStatement>().query;
  analysis::AggregateQuery a = analysis::inspect_aggregate(query, project::Schema{});
  const syntax::Select* select = a.final_select;
  if (select == nullptr || !select->group_by) return edits;
  const syntax::GroupBy& group_by = *select->group_by;
  if (group_by.all) {
    // The ALL token follows the GROUP BY keywords.
    size_t group = templating::offset_of(text, group_by.loc);
    std::vector<syntax::FormatToken> tokens = syntax::format_tokens(text.substr(group));
    if (tokens.size() < 2 || tokens[0].text != "GROUP BY" || tokens[1].text != "ALL") return edits;
    size_t all = group + tokens[1].offset;
    // ALL alone on its line (the house style): one expression per line at its indentation.
    size_t line_start = text.rfind('\n', all == 0 ? 0 : all - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    std::string indent = text.substr(line_start, all - line_start);
    bool own_line = indent.find_first_not_of(" \t") == std::string::npos;
    auto replacement = grouped_expressions(a, own_line ? ",\n" + indent : ", ");
    if (!replacement) return edits;
    edits.push_back({all, 3, *replacement});
    return edits;
  }
  for (const auto& item : group_by.items) {
    if (item.kind != syntax::GroupingItem::Kind::kExpression) continue;
    const syntax::Expr& e = *item.exprs[0];
    if (e.kind != syntax::ExprKind::kLiteral ||
        e.as<syntax::Literal>().literal_kind != syntax::LiteralKind::kInteger)
      continue;
    const std::string& spelling = e.as<syntax::Literal>().spelling;
    size_t n = 0;
    auto [end, ec] = std::from_chars(spelling.data(), spelling.data() + spelling.size(), n);
    if (ec != std::errc() || n == 0 || n > select->items.size()) return {};
    const syntax::SelectItem& target = select->items[n - 1];
    for (size_t i = 0; i < n; ++i)
      if (select->items[i].kind != syntax::SelectItem::Kind::kExpression) return {};
    size_t at = templating::offset_of(text, item.loc);
    if (text.compare(at, spelling.size(), spelling) != 0) return {};
    edits.push_back({at, spelling.size(), syntax::print(*target.expr)});
  }
  return edits;
}

bool still_has_group_by_finding(const std::string& text) {
  syntax::Script script = syntax::parse_statements(text);
  const syntax::Query& query = *script.statements.back()->as<syntax::QueryStatement>().query;
  analysis::AggregateQuery a = analysis::inspect_aggregate(query, project::Schema{});
  for (const auto& p : a.problems) {
    if (p.kind == analysis::ProblemKind::kGroupBy && is_group_by_all_or_ordinal(p.message))
      return true;
  }
  return false;
}

}  // namespace

std::vector<FileFix> fixes(const Report& report) {
  // The query.sql files with a fixable SM001 finding, and how many.
  std::map<std::string, int> files;
  for (const auto& f : report.findings)
    if (fixable(f)) ++files[f.file];
  std::vector<FileFix> out;
  for (const auto& [file, count] : files) {
    FileFix fix;
    fix.file = file;
    fix.before = base::read_text_file(file);
    if (templating::is_template(fix.before)) continue;
    std::vector<Edit> edits;
    try {
      edits = group_by_edits(fix.before);
    } catch (const std::exception&) {
      continue;  // a query that does not parse is SM008's finding, not a fix
    }
    if (edits.empty()) continue;
    fix.after = fix.before;
    std::sort(edits.begin(), edits.end(),
              [](const Edit& a, const Edit& b) { return a.offset > b.offset; });
    for (const auto& e : edits) fix.after.replace(e.offset, e.length, e.text);
    // A file in house style stays in it: the expressions spliced in can make a line too long
    // to keep, which `format --check` (run next to lint in CI) would then report.
    if (syntax::format_sql(fix.before) == fix.before) fix.after = syntax::format_sql(fix.after);
    try {
      if (still_has_group_by_finding(fix.after)) continue;
    } catch (const std::exception&) {
      continue;
    }
    fix.fixed = count;
    out.push_back(std::move(fix));
  }
  return out;
}

std::vector<Finding> remaining_after(const Report& report, const std::vector<FileFix>& fixes) {
  std::set<std::string> fixed;
  for (const auto& f : fixes) fixed.insert(f.file);
  std::vector<Finding> out;
  for (const auto& f : report.findings)
    if (!(fixable(f) && fixed.count(f.file))) out.push_back(f);
  return out;
}

}  // namespace shredmit::lint
