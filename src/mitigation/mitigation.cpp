// Shredder-mitigation query and checks generation (see mitigation.h).
#include "mitigation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "base/diagnostics.h"
#include "syntax/format.h"

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;
using analysis::AggregateQuery;
using analysis::MetricKind;
using analysis::OutputColumn;
using analysis::Role;
using analysis::Type;
using base::join;

// FLOAT64 totals closer than this times the larger of their magnitudes and 1 are equal: BigQuery
// sums in no fixed order, so the same rows can give totals that differ in the last bits. Below 1
// the tolerance is absolute, because a signed sum that cancels to about 0 (refunds against
// charges) carries the rounding error of its summands, not of its total.
constexpr const char* kFloatTolerance = "1e-9";

// The FLOAT64 tolerance for totals a and b: 1e-9 * GREATEST(ABS(a), ABS(b), 1).
std::string float_tolerance(const std::string& a, const std::string& b) {
  return fmt::format("{} * GREATEST(ABS({}), ABS({}), 1)", kFloatTolerance, a, b);
}

// A column name as SQL (backticked when needed).
std::string sql_name(const std::string& name) {
  return syntax::print(syntax::Identifier{name, false, {}});
}

// A table as a backticked path.
std::string sql_table(const std::string& qualified) {
  return syntax::print(syntax::Identifier{qualified, true, {}});
}

// A STRING literal.
std::string sql_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// One version of the table, read and analysed.
struct Version {
  project::TableId id;
  fs::path dir;
  std::string query_file;
  project::TableQuery source;  // query.sql: the query and its CREATE TEMP FUNCTION preamble
  const syntax::Query* query = nullptr;
  project::Schema schema;
  project::Metadata metadata;
  AggregateQuery analysis;
};

fs::path require_file(const fs::path& dir, const char* name, const std::string& fix) {
  fs::path file = dir / name;
  if (!fs::exists(file)) throw base::Error(file.string(), 0, 0, "file not found; " + fix);
  return file;
}

// Reads one version. For the new version (previous == false) the metadata is read first and its
// shredder_mitigation label checked before the query: the label is the switch that allows the
// process, so an unlabelled table is refused as such whatever else is wrong with it.
Version load_version(const project::SqlTree& tree, const project::TableId& id, bool previous) {
  Version v;
  v.id = id;
  v.dir = tree.table_dir(id);
  if (!fs::is_directory(v.dir)) {
    throw base::Error(v.dir.string(), 0, 0,
                      previous ? fmt::format("the previous version {} is missing; shredder "
                                             "mitigation compares against it: restore its folder "
                                             "or pass the right version",
                                             id.table())
                               : fmt::format("table folder not found; check the table name and "
                                             "--sql-dir"));
  }
  fs::path metadata_path = require_file(v.dir, "metadata.yaml", "add the table's metadata.yaml");
  v.metadata = project::load_metadata(metadata_path);
  if (!previous && !v.metadata.shredder_mitigation) {
    throw base::Error(v.metadata.file, v.metadata.label.line, v.metadata.label.column,
                      "the table is not set up for shredder mitigation: add the label "
                      "`shredder_mitigation: true` under `labels:` once its query and schema "
                      "follow the requirements (seed 004, consideration 1)");
  }
  require_file(v.dir, "query.sql", "shredder mitigation needs the query of both versions");
  v.source = project::read_table_query(v.dir);
  v.query_file = v.source.file;
  v.query = v.source.query;
  fs::path schema_path =
      require_file(v.dir, "schema.yaml",
                   "shredder mitigation needs every column's type and description: add schema.yaml "
                   "(`bqetl query schema update` writes one)");
  v.schema = project::load_schema(schema_path, tree);
  v.analysis = analysis::analyze_aggregate(*v.query, v.schema, v.query_file);
  return v;
}

std::string names_of(const std::vector<ClassifiedColumn>& cols) {
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);
  return names.empty() ? "(none)" : join(names, ", ");
}

// Refuses a common metric that subtraction cannot recover, in the new or the previous version.
void require_recoverable(const Version& version, const OutputColumn& col,
                         const analysis::MetricKindInfo& kind, const Version& next) {
  if (kind.kind != MetricKind::kNotRecoverable) return;
  bool is_next = &version == &next;
  throw base::Error(
      version.query_file, col.loc.line, col.loc.column,
      fmt::format("metric '{}' {} cannot be recovered by subtraction ({}); rename it in {}'s "
                  "query and schema so that it is recomputed as a new metric (its shredded rows "
                  "are NULL), or keep its sum and count as metrics and derive it in a view",
                  col.name,
                  is_next ? "is common to both versions but"
                          : fmt::format("of the previous version {}", version.id.table()),
                  kind.reason, next.id.table()));
}

Classification classify(const Version& previous, const Version& next, const Options& options) {
  for (const auto& name : options.signed_metrics) {
    const OutputColumn* col = next.analysis.find(name);
    if (col == nullptr || col->role != Role::kMetric) {
      std::vector<std::string> metrics;
      for (const auto& c : next.analysis.columns) {
        if (c.role == Role::kMetric) metrics.push_back(c.name);
      }
      throw base::Error::usage(
          fmt::format("--signed-metric {}: {} has no metric named {}; its metrics are "
                      "{}",
                      name, next.id.table(), name, join(metrics, ", ")));
    }
  }
  const analysis::Lineage& next_lineage = *next.analysis.lineage;
  const analysis::Lineage& previous_lineage = *previous.analysis.lineage;
  Classification c;
  for (const auto& col : next.analysis.columns) {
    const OutputColumn* old = previous.analysis.find(col.name);
    bool is_dim = col.role == Role::kDimension;
    if (old != nullptr && old->role != col.role) {
      throw base::Error(next.query_file, col.loc.line, col.loc.column,
                        fmt::format("column '{}' is a {} in {} but a {} in {}; rename it so that "
                                    "it is recalculated as a new column",
                                    col.name, is_dim ? "dimension" : "metric", next.id.table(),
                                    is_dim ? "metric" : "dimension", previous.id.table()));
    }
    if (old != nullptr && old->type != col.type) {
      throw base::Error(next.query_file, col.loc.line, col.loc.column,
                        fmt::format("column '{}' is {} in {} but {} in {}; keep its type or rename "
                                    "it so that it is recalculated",
                                    col.name, analysis::type_name(col.type), next.id.table(),
                                    analysis::type_name(old->type), previous.id.table()));
    }
    ClassifiedColumn classified{col.name, col.type, {}};
    if (is_dim) {
      if (old != nullptr && !analysis::is_groupable(col.type)) {
        throw base::Error(next.query_file, col.loc.line, col.loc.column,
                          fmt::format("dimension '{}' has type {}, which BigQuery cannot group by",
                                      col.name, analysis::type_name(col.type)));
      }
      (old != nullptr ? c.common_dimensions : c.added_dimensions).push_back(classified);
      continue;
    }
    bool declared = analysis::has_name(options.signed_metrics, col.name);
    classified.kind = analysis::metric_kind(col, next_lineage, declared);
    if (old == nullptr) {
      c.new_metrics.push_back(classified);
      continue;
    }
    require_recoverable(next, col, classified.kind, next);
    require_recoverable(previous, *old, analysis::metric_kind(*old, previous_lineage, declared),
                        next);
    c.common_metrics.push_back(classified);
  }
  for (const auto& col : previous.analysis.columns) {
    if (next.analysis.find(col.name) != nullptr) continue;
    (col.role == Role::kDimension ? c.removed_dimensions : c.removed_metrics)
        .push_back(ClassifiedColumn{col.name, col.type, {}});
  }
  if (c.common_dimensions.empty()) {
    throw base::Error(next.query_file, next.analysis.final_select->loc.line,
                      next.analysis.final_select->loc.column,
                      fmt::format("no dimension is common to {} and {}; shredder mitigation keeps "
                                  "totals per common dimension: keep at least one dimension's name",
                                  next.id.table(), previous.id.table()));
  }
  if (c.common_metrics.empty()) {
    throw base::Error(next.query_file, next.analysis.final_select->loc.line,
                      next.analysis.final_select->loc.column,
                      fmt::format("no metric is common to {} and {}; there is no total to keep: "
                                  "keep at least one metric's name",
                                  next.id.table(), previous.id.table()));
  }
  return c;
}

// The warnings and notes printed with the classification.
std::vector<std::string> warnings_for(const Classification& c, Baseline baseline) {
  std::vector<std::string> out;
  for (const auto& m : c.common_metrics) {
    if (!m.kind.distinct) continue;
    if (!c.added_dimensions.empty()) {
      out.push_back(fmt::format(
          "warning: metric '{}' counts distinct values; its new totals add up over the added "
          "dimension(s) {} only if each client has one value of them per group. Where a client "
          "has several, the new totals exceed the previous ones and the checks report an "
          "increase: keep it per common dimension or rename it so that it is recomputed",
          m.name, names_of(c.added_dimensions)));
    }
    if (!c.removed_dimensions.empty()) {
      out.push_back(fmt::format(
          "warning: metric '{}' counts distinct values; the previous totals add it up over the "
          "removed dimension(s) {}, counting a client once per value of them, so the "
          "compensation can exceed the deleted clients' share and the checks cannot see it: "
          "rename it so that it is recomputed",
          m.name, names_of(c.removed_dimensions)));
    }
  }
  bool all_signed =
      std::all_of(c.common_metrics.begin(), c.common_metrics.end(),
                  [](const ClassifiedColumn& m) { return m.kind.kind == MetricKind::kSigned; });
  if (all_signed) {
    out.push_back(
        "warning: every common metric is signed, so late data cannot be told from deletion and "
        "the checks cannot reveal it; keep a count metric (COUNT(*)) in the table");
  }
  std::vector<std::string> assumed;
  for (const auto& m : c.common_metrics) {
    if (m.kind.kind == MetricKind::kCount && !m.kind.non_negative) assumed.push_back(m.name);
  }
  if (!assumed.empty()) {
    out.push_back(fmt::format(
        "note: {} {} treated as {} that deletion can only lower; pass --signed-metric NAME for "
        "any that can be negative (a net amount, corrections)",
        join(assumed, ", "), assumed.size() == 1 ? "is" : "are",
        assumed.size() == 1 ? "a count" : "counts"));
  }
  if (baseline == Baseline::kPreviousQuery) {
    out.push_back(
        "note: --baseline previous-query runs the previous version's query as well: the "
        "mitigation query and the checks read the upstream tables twice");
  }
  return out;
}

// Builds the SQL texts. Helper columns start with a prefix no output column of either version
// starts with, so that they never shadow a user's column.
class Builder {
 public:
  Builder(const Version& previous, const Version& next, const Classification& c,
          const Mitigation& m)
      : previous_(previous), next_(next), c_(c), m_(m) {
    std::vector<std::string> names;
    for (const auto* v : {&previous, &next}) {
      for (const auto& col : v->analysis.columns) names.push_back(syntax::to_lower(col.name));
    }
    while (std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.rfind(prefix_, 0) == 0; })) {
      prefix_ += "_";
    }
    base_ = m.baseline == Baseline::kNewQuery ? "new" : "rerun";
  }

  std::string query() const {
    std::vector<std::string> final_items, shredded_final_items;
    for (const auto& col : next_.analysis.columns) {
      std::string name = sql_name(col.name);
      final_items.push_back(name);
      bool restore = col.role == Role::kDimension && is_common_dimension(col.name) &&
                     col.type == Type::kString && col.expr != nullptr &&
                     analysis::maps_null_to_placeholder(*col.expr);
      shredded_final_items.push_back(restore ? fmt::format("IFNULL({0}, '??') AS {0}", name)
                                             : name);
    }
    auto ctes = mitigation_ctes();
    ctes.emplace_back("shredded", shredded());
    return fmt::format("{} SELECT {} FROM new_version UNION ALL SELECT {} FROM shredded",
                       with(ctes), join(final_items, ", "), join(shredded_final_items, ", "));
  }

  // The mismatch CTEs of the checks: ..., compared, expected, flagged, mismatches.
  std::vector<std::pair<std::string, std::string>> check_ctes() const {
    std::string filter = partition_filter();
    std::vector<std::pair<std::string, std::string>> ctes = {
        {"previous_agg", aggregate(sql_table(previous_.id.qualified()), filter)},
        {"backfilled_agg", aggregate(sql_table(m_.staging_table), filter)}};
    std::vector<std::string> sides = {"previous", "backfilled"};
    if (m_.baseline == Baseline::kPreviousQuery) {
      ctes.emplace_back("new_version", syntax::print(*next_.query));
      ctes.emplace_back("new_agg", aggregate("new_version", ""));
      ctes.emplace_back("previous_rerun", syntax::print(*previous_.query));
      ctes.emplace_back("previous_rerun_agg", aggregate("previous_rerun", ""));
      sides = {"previous", "backfilled", "new", "rerun"};
    }
    ctes.emplace_back("compared", compared(sides));
    ctes.emplace_back("expected", expected());
    ctes.emplace_back("flagged", flagged());
    ctes.emplace_back("mismatches", mismatches());
    return ctes;
  }

  std::string mismatches_query() const {
    return fmt::format(
        "{} SELECT dimensions, metric, kind, previous, expected, backfilled, difference FROM "
        "mismatches ORDER BY priority, dimensions, metric",
        with(check_ctes()));
  }

  std::string check() const {
    std::string what = fmt::format(
        " per common dimension group and metric of the backfilled {} differ from {} for {} ",
        m_.staging_table, previous_.id.table(), m_.partition_field);
    std::string legend =
        "increase: late data or a column redefined upstream, rename it (seed 004); new group: a "
        "value the previous version lacks, often NULL against \"??\"; null mismatch: NULL in one "
        "only; held back: not compensated because a count grew in its group; decrease: a "
        "mitigation defect, please report it";
    std::string line = m_.baseline == Baseline::kNewQuery
                           ? "CONCAT(dimensions, ' ', metric, ': previous ', previous, ', "
                             "backfilled ', backfilled, ', difference ', difference, ' (', kind, "
                             "')')"
                           : "CONCAT(dimensions, ' ', metric, ': previous ', previous, ', "
                             "expected ', expected, ', backfilled ', backfilled, ', difference ', "
                             "difference, ' (', kind, ')')";
    return fmt::format(
        "{} SELECT IF((SELECT COUNT(*) FROM mismatches) > 0, ERROR(CONCAT('shredder mitigation "
        "check failed: ', CAST((SELECT COUNT(*) FROM mismatches) AS STRING), {}, CAST(@{} AS "
        "STRING), ' (', ARRAY_TO_STRING(ARRAY(SELECT CONCAT(kind, ' ', metric, ' ', CAST(COUNT(*) "
        "AS STRING)) AS counted FROM mismatches GROUP BY kind, metric ORDER BY MIN(priority), "
        "metric), ', '), '); first 20: ', ARRAY_TO_STRING(ARRAY(SELECT {} AS listed FROM "
        "mismatches ORDER BY priority, dimensions, metric LIMIT 20), '; '), '. ', {})), NULL)",
        with(check_ctes()), sql_string(" totals" + what), m_.partition_field, line,
        sql_string(legend));
  }

  std::string report() const {
    std::vector<std::string> selects;
    auto ctes = mitigation_ctes();
    ctes.emplace_back(
        "emitted", fmt::format("SELECT *, {} AS {} FROM compensation", emit(), helper("emitted")));
    for (const auto& m : c_.common_metrics) {
      std::string name = sql_name(m.name), previous = helper("previous_" + m.name);
      std::string compensated = fmt::format("SUM(IF({}, {}, NULL))", helper("emitted"), name);
      selects.push_back(fmt::format(
          "SELECT {} AS metric, {} AS kind, SUM({}) AS previous_total, {} AS compensated, "
          "SAFE_DIVIDE({}, SUM({})) AS compensated_share, COUNTIF({} AND NOT {}) AS groups_lost, "
          "COUNTIF({} AND {}) AS groups_held_back FROM emitted",
          sql_string(m.name), sql_string(std::string(analysis::metric_kind_name(m.kind.kind))),
          previous, compensated, compensated, previous, helper("in_previous"),
          helper("in_" + base_), helper("in_previous"), helper("count_grew")));
    }
    return fmt::format("{} {}", with(ctes), join(selects, " UNION ALL "));
  }

 private:
  bool is_common_dimension(const std::string& name) const {
    return std::any_of(c_.common_dimensions.begin(), c_.common_dimensions.end(),
                       [&](const ClassifiedColumn& d) { return d.name == name; });
  }

  std::string helper(const std::string& name) const { return sql_name(prefix_ + name); }

  static std::string with(const std::vector<std::pair<std::string, std::string>>& ctes) {
    std::vector<std::string> parts;
    for (const auto& [name, sql] : ctes) parts.push_back(fmt::format("{} AS ({})", name, sql));
    return "WITH " + join(parts, ", ");
  }

  std::string partition_filter() const {
    return fmt::format("{} = @{}", sql_name(m_.partition_field), m_.partition_field);
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& d : c_.common_dimensions) out.push_back(sql_name(d.name));
    return out;
  }

  // SELECT <common dimension keys>, SUM(<common metrics>) FROM <source> [WHERE ...] GROUP BY
  // keys. STRING dimensions are grouped on NULLIF(x, '??'): '??' and NULL are one group.
  std::string aggregate(const std::string& source, const std::string& where) const {
    std::vector<std::string> items, group;
    for (const auto& d : c_.common_dimensions) {
      std::string name = sql_name(d.name);
      std::string key = d.type == Type::kString ? fmt::format("NULLIF({}, '??')", name) : name;
      items.push_back(key == name ? key : key + " AS " + name);
      group.push_back(key);
    }
    for (const auto& m : c_.common_metrics) {
      items.push_back(fmt::format("SUM({0}) AS {0}", sql_name(m.name)));
    }
    std::string sql = fmt::format("SELECT {} FROM {}", join(items, ", "), source);
    if (!where.empty()) sql += " WHERE " + where;
    return sql + " GROUP BY " + join(group, ", ");
  }

  // One row per common dimension group of any side, with each side's presence
  // (_in_<side>) and totals (_<side>_<metric>). The sides are regrouped from a UNION ALL:
  // GROUP BY puts NULLs in one group for every groupable type, so matching is NULL-safe and no
  // sentinel value is ever compared or emitted.
  std::string compared(const std::vector<std::string>& sides) const {
    static const std::map<std::string, std::string> kCte = {{"previous", "previous_agg"},
                                                            {"new", "new_agg"},
                                                            {"rerun", "previous_rerun_agg"},
                                                            {"backfilled", "backfilled_agg"}};
    std::vector<std::string> items = keys(), unions;
    for (const auto& side : sides) {
      items.push_back(
          fmt::format("COUNTIF({} = '{}') > 0 AS {}", helper("side"), side, helper("in_" + side)));
    }
    for (const auto& m : c_.common_metrics) {
      for (const auto& side : sides) {
        items.push_back(fmt::format("SUM(IF({} = '{}', {}, NULL)) AS {}", helper("side"), side,
                                    sql_name(m.name), helper(side + "_" + m.name)));
      }
    }
    std::vector<std::string> columns = keys();
    for (const auto& m : c_.common_metrics) columns.push_back(sql_name(m.name));
    for (const auto& side : sides) {
      unions.push_back(fmt::format("SELECT {}, '{}' AS {} FROM {}", join(columns, ", "), side,
                                   helper("side"), kCte.at(side)));
    }
    return fmt::format("SELECT {} FROM ({}) AS sides GROUP BY {}", join(items, ", "),
                       join(unions, " UNION ALL "), join(keys(), ", "));
  }

  static bool is_float(const ClassifiedColumn& m) { return m.type == Type::kFloat64; }

  // The compensation of one common metric, from its previous total p and baseline total n.
  std::string compensation(const ClassifiedColumn& m) const {
    std::string p = helper("previous_" + m.name);
    std::string n = fmt::format("IFNULL({}, 0)", helper(base_ + "_" + m.name));
    std::string diff = fmt::format("{} - {}", p, n);
    std::string tolerance = float_tolerance(p, n);
    bool signed_metric = m.kind.kind == MetricKind::kSigned;
    if (signed_metric && !is_float(m)) return diff;
    std::string condition = signed_metric ? fmt::format("ABS({}) > {}", diff, tolerance)
                            : is_float(m) ? fmt::format("{} > {}", diff, tolerance)
                                          : fmt::format("{} > {}", p, n);
    return fmt::format("CASE WHEN {} THEN {} WHEN {} IS NOT NULL THEN 0 END", condition, diff, p);
  }

  // True when some count metric's baseline total exceeds its previous total.
  std::string count_grew() const {
    std::vector<std::string> grew;
    for (const auto& m : c_.common_metrics) {
      if (m.kind.kind != MetricKind::kCount) continue;
      std::string p = helper("previous_" + m.name);
      std::string n = fmt::format("IFNULL({}, 0)", helper(base_ + "_" + m.name));
      grew.push_back(is_float(m) ? fmt::format("{} - {} > {}", n, p, float_tolerance(p, n))
                                 : fmt::format("{} > {}", n, p));
    }
    return any_true(grew);
  }

  // TRUE when some condition is TRUE, FALSE when all are FALSE or NULL: a CASE, one line per
  // condition once printed.
  static std::string any_true(const std::vector<std::string>& conditions) {
    if (conditions.empty()) return "FALSE";
    std::string out = "CASE";
    for (const auto& c : conditions) out += fmt::format(" WHEN {} THEN TRUE", c);
    return out + " ELSE FALSE END";
  }

  // The rows of `compensation` that become shredded rows.
  std::string emit() const {
    std::vector<std::string> any = {"NOT " + helper("in_" + base_)};
    for (const auto& m : c_.common_metrics) any.push_back(sql_name(m.name) + " != 0");
    return fmt::format("{} AND NOT {} AND ({})", helper("in_previous"), helper("count_grew"),
                       join(any, " OR "));
  }

  std::vector<std::pair<std::string, std::string>> mitigation_ctes() const {
    std::string previous_agg = aggregate(sql_table(previous_.id.qualified()), partition_filter());
    std::vector<std::pair<std::string, std::string>> ctes = {
        {"new_version", syntax::print(*next_.query)}};
    if (m_.baseline == Baseline::kNewQuery) {
      ctes.emplace_back("new_agg", aggregate("new_version", ""));
      ctes.emplace_back("previous_agg", previous_agg);
      ctes.emplace_back("compared", compared({"previous", "new"}));
    } else {
      ctes.emplace_back("previous_rerun", syntax::print(*previous_.query));
      ctes.emplace_back("previous_rerun_agg", aggregate("previous_rerun", ""));
      ctes.emplace_back("previous_agg", previous_agg);
      ctes.emplace_back("compared", compared({"previous", "rerun"}));
    }
    std::vector<std::string> items = keys();
    items.push_back(helper("in_previous"));
    items.push_back(helper("in_" + base_));
    items.push_back(count_grew() + " AS " + helper("count_grew"));
    for (const auto& m : c_.common_metrics) {
      items.push_back(fmt::format("{} AS {}", compensation(m), sql_name(m.name)));
    }
    for (const auto& m : c_.common_metrics) items.push_back(helper("previous_" + m.name));
    ctes.emplace_back("compensation", fmt::format("SELECT {} FROM compared", join(items, ", ")));
    return ctes;
  }

  std::string shredded() const {
    std::vector<std::string> items;
    auto typed_null = [](Type t) {
      return fmt::format("CAST(NULL AS {})", analysis::type_name(t));
    };
    for (const auto& col : next_.analysis.columns) {
      std::string name = sql_name(col.name);
      bool common =
          col.role == Role::kDimension
              ? is_common_dimension(col.name)
              : std::any_of(c_.common_metrics.begin(), c_.common_metrics.end(),
                            [&](const ClassifiedColumn& m) { return m.name == col.name; });
      items.push_back(common ? name : typed_null(col.type) + " AS " + name);
    }
    return fmt::format("SELECT {} FROM compensation WHERE {}", join(items, ", "), emit());
  }

  // Per group and metric: the previous total, the expected backfilled total (new-query: the
  // previous total; previous-query: the previous total plus the intended change, new minus
  // rerun), the backfilled total, and for FLOAT64 the magnitude the tolerance is relative to.
  std::string expected() const {
    std::vector<std::string> items = keys();
    items.push_back(helper("in_previous"));
    items.push_back(helper("in_backfilled"));
    bool rerun = m_.baseline == Baseline::kPreviousQuery;
    for (const auto& m : c_.common_metrics) {
      std::string p = helper("previous_" + m.name), b = helper("backfilled_" + m.name);
      std::string n = helper("new_" + m.name), r = helper("rerun_" + m.name);
      // previous-query: a group the previous version lacks is expected to get the intended
      // change alone; a NULL previous total stays NULL, so the new query's total is expected.
      std::string in_previous = helper("in_previous");
      std::string e = rerun ? fmt::format(
                                  "CASE WHEN NOT {3} THEN IFNULL({1}, 0) - IFNULL({2}, "
                                  "0) WHEN {0} IS NULL THEN {1} ELSE {0} + IFNULL({1}, "
                                  "0) - IFNULL({2}, 0) END",
                                  p, n, r, in_previous)
                            : p;
      // previous-query: a group or total the backfill lacks counts as 0 where a number is
      // expected.
      std::string actual =
          rerun ? fmt::format("IF({2} AND {0} IS NULL, {1}, IFNULL({1}, 0))", p, b, in_previous)
                : b;
      items.push_back(p);
      items.push_back(fmt::format("{} AS {}", e, helper("expected_" + m.name)));
      items.push_back(fmt::format("{} AS {}", actual, helper("actual_" + m.name)));
      if (is_float(m)) {
        std::vector<std::string> magnitudes = {p, b};
        if (rerun) magnitudes = {p, b, n, r};
        for (auto& x : magnitudes) x = fmt::format("ABS(IFNULL({}, 0))", x);
        items.push_back(fmt::format("GREATEST({}, 1) AS {}", join(magnitudes, ", "),
                                    helper("scale_" + m.name)));
      }
    }
    return fmt::format("SELECT {} FROM compared", join(items, ", "));
  }

  // actual - expected beyond the tolerance (`sign` 1) or below it (`sign` -1); NULL when either
  // is NULL.
  std::string beyond(const ClassifiedColumn& m, int sign) const {
    std::string e = helper("expected_" + m.name), a = helper("actual_" + m.name);
    if (sign < 0) std::swap(e, a);
    if (!is_float(m)) return fmt::format("{} > {}", a, e);
    return fmt::format("{} - {} > {} * {}", a, e, kFloatTolerance, helper("scale_" + m.name));
  }

  // `expected` with whether some count metric of the group is above its expected total.
  std::string flagged() const {
    std::vector<std::string> increases;
    for (const auto& m : c_.common_metrics) {
      if (m.kind.kind == MetricKind::kCount) increases.push_back(beyond(m, 1));
    }
    return fmt::format("SELECT *, {} AS {} FROM expected", any_true(increases),
                       helper("count_increase"));
  }

  std::string mismatches() const {
    std::vector<std::string> selects;
    std::string dimensions = fmt::format("TO_JSON_STRING(STRUCT({}))", join(keys(), ", "));
    auto text = [](const std::string& x) {
      return fmt::format("IFNULL(CAST({} AS STRING), 'NULL')", x);
    };
    for (const auto& m : c_.common_metrics) {
      std::string p = helper("previous_" + m.name), e = helper("expected_" + m.name),
                  a = helper("actual_" + m.name);
      std::string kind = fmt::format("CASE WHEN NOT {} THEN 'new group' ", helper("in_previous"));
      if (m_.baseline == Baseline::kNewQuery) {
        kind += fmt::format("WHEN NOT {} THEN 'decrease' ", helper("in_backfilled"));
      }
      kind += fmt::format(
          "WHEN ({0} IS NULL) != ({1} IS NULL) THEN 'null mismatch' WHEN {2} THEN 'increase' "
          "WHEN {3} THEN 'held back' ELSE 'decrease' END",
          e, a, beyond(m, 1), helper("count_increase"));
      std::string differs = is_float(m)
                                ? fmt::format("({0} IS NULL) != ({1} IS NULL) OR {2} OR {3}", e, a,
                                              beyond(m, 1), beyond(m, -1))
                                : fmt::format("{} IS DISTINCT FROM {}", e, a);
      selects.push_back(fmt::format(
          "SELECT {} AS dimensions, {} AS metric, {} AS kind, {} AS previous, {} AS expected, {} "
          "AS backfilled, {} AS difference FROM flagged WHERE {}",
          dimensions, sql_string(m.name), kind, text(p), text(e), text(a),
          text(fmt::format("{} - {}", a, e)), differs));
    }
    return fmt::format(
        "SELECT dimensions, metric, kind, previous, expected, backfilled, difference, CASE kind "
        "WHEN 'increase' THEN 1 WHEN 'new group' THEN 2 WHEN 'null mismatch' THEN 3 WHEN 'held "
        "back' THEN 4 ELSE 5 END AS priority FROM ({}) AS per_metric",
        join(selects, " UNION ALL "));
  }

  const Version& previous_;
  const Version& next_;
  const Classification& c_;
  const Mitigation& m_;
  std::string prefix_ = "_";
  std::string base_;
};

// `--` comment lines. Control characters in a line (a quoted column name may hold a newline)
// become spaces, so that a comment never ends early and leaks text into the SQL.
std::string comment_block(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    std::string clean = line;
    for (char& ch : clean) {
      if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
    }
    out += "-- " + clean + "\n";
  }
  return out;
}

// Parses generated SQL back and prints it in house style; a failure is a shredmit bug.
std::string reformat(const std::string& sql, const char* what) {
  try {
    return syntax::print(*syntax::parse_query(sql));
  } catch (const syntax::SyntaxError& e) {
    throw base::Error::internal(fmt::format("the generated {} does not parse at {}:{}: {}", what,
                                            e.loc.line, e.loc.column, e.what()));
  }
}

// The CREATE TEMP FUNCTION statements the mitigation query needs before its WITH: the new
// version's. With --baseline previous-query a query with temporary functions is refused: the
// check embeds both queries, and bigquery-etl's runner runs each #fail statement as a job of its
// own, where a temporary function of another statement is not defined.
std::string function_preamble(const Version& previous, const Version& next, Baseline baseline) {
  if (baseline == Baseline::kPreviousQuery) {
    for (const Version* v : {&next, &previous}) {
      if (v->source.functions.empty()) continue;
      const syntax::CreateFunction& f = *v->source.functions.front();
      throw base::Error(v->query_file, f.loc.line, f.loc.column,
                        "--baseline previous-query needs queries without CREATE TEMP FUNCTION: "
                        "the check embeds them and bigquery-etl runs each check statement alone; "
                        "use the default baseline, or call a persistent UDF instead");
    }
  }
  std::string out;
  for (const syntax::CreateFunction* f : next.source.functions) out += syntax::print(*f) + ";\n\n";
  return out;
}

// PROJECT.DATASET.TABLE: a project id (letters, digits, '-'), a dataset and a table name.
bool is_table_path(const std::string& text) {
  static const std::regex kPath(R"(^[A-Za-z0-9-]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$)");
  return std::regex_match(text, kPath);
}

}  // namespace

std::string_view baseline_name(Baseline b) {
  return b == Baseline::kNewQuery ? "new-query" : "previous-query";
}

Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table,
                    const Options& options) {
  fs::path new_dir = tree.table_dir(new_table);
  if (new_table.version < 2) {
    throw base::Error(new_dir.string(), 0, 0,
                      fmt::format("{} is version {}; shredder mitigation applies from version 2 "
                                  "on, against the previous version: bump the version first",
                                  new_table.table(), new_table.version));
  }
  if (!options.staging_table.empty() && !is_table_path(options.staging_table)) {
    throw base::Error::usage(fmt::format("--staging-table takes PROJECT.DATASET.TABLE, got '{}'",
                                         options.staging_table));
  }
  Version next = load_version(tree, new_table, false);
  Version previous = load_version(tree, new_table.with_version(new_table.version - 1), true);

  Mitigation m;
  m.new_table = new_table;
  m.previous_table = previous.id;
  m.new_query = next.source;
  m.previous_query = previous.source;
  m.baseline = options.baseline;
  m.staging_table = options.staging_table.empty() ? new_table.qualified() : options.staging_table;
  m.classification = classify(previous, next, options);
  auto partition = previous.metadata.partition_field;
  if (!partition) partition = next.metadata.partition_field;
  if (!partition) {
    throw base::Error(previous.metadata.file, 0, 0,
                      "no bigquery.time_partitioning.field: the mitigation reads one partition of "
                      "the previous version; add the partition field to metadata.yaml");
  }
  m.partition_field = *partition;
  m.warnings = warnings_for(m.classification, m.baseline);

  const auto& c = m.classification;
  Builder builder(previous, next, c, m);
  std::string preamble = function_preamble(previous, next, m.baseline);
  std::string baseline_text =
      m.baseline == Baseline::kNewQuery
          ? "the new query's"
          : fmt::format("the previous query's ({} re-run on today's data)", previous.id.table());
  std::vector<std::string> count_names, signed_names;
  for (const auto& x : c.common_metrics) {
    (x.kind.kind == MetricKind::kSigned ? signed_names : count_names).push_back(x.name);
  }
  m.query_sql =
      comment_block({
          fmt::format("Shredder mitigation query for {}, generated by shredmit from {} "
                      "and {}.",
                      new_table.qualified(), new_table.table(), previous.id.table()),
          fmt::format("Run it for one partition: {} = @{}.", m.partition_field, m.partition_field),
          fmt::format("Baseline: {}; per common dimension group, previous totals are "
                      "compared with {} totals.",
                      baseline_name(m.baseline), baseline_text),
          "Common dimensions: " + names_of(c.common_dimensions),
          "Added dimensions (NULL in shredded rows): " + names_of(c.added_dimensions),
          "Count metrics (previous minus baseline where positive, in groups where no "
          "count grew): " +
              (count_names.empty() ? "(none)" : join(count_names, ", ")),
          "Signed metrics (previous minus baseline): " +
              (signed_names.empty() ? "(none)" : join(signed_names, ", ")),
          "New metrics (NULL in shredded rows): " + names_of(c.new_metrics),
      }) +
      preamble + reformat(builder.query(), "mitigation query") + "\n";
  m.query_sql = syntax::format_generated_sql(m.query_sql, "mitigation query");

  m.check_sql = reformat(builder.check(), "check");
  // Used by simulate and the tests, not written: its CTEs are the check's, parsed above.
  m.mismatches_sql = builder.mismatches_query();
  m.report_sql = reformat(builder.report(), "report");
  std::vector<std::string> expected =
      m.baseline == Baseline::kNewQuery
          ? std::vector<std::string>{fmt::format("for @{} must be the same in {},",
                                                 m.partition_field, previous.id.table())}
          : std::vector<std::string>{
                fmt::format("for @{} must be those of {} plus the intended change:",
                            m.partition_field, previous.id.table()),
                fmt::format("the new query's totals minus those of {}'s query re-run on today's "
                            "data,",
                            previous.id.table())};
  std::vector<std::string> check_comment = {
      "Shredder mitigation checks for " + new_table.qualified() + ",", "generated by shredmit.",
      "The first statement fails the backfill: per common dimension group, the totals of the",
      "common metrics in the backfilled " + m.staging_table};
  check_comment.insert(check_comment.end(), expected.begin(), expected.end());
  check_comment.push_back(
      "FLOAT64 ones within 1e-9 x max(|totals|, 1). Its ERROR counts the mismatches per kind");
  check_comment.push_back("and metric and lists the first 20.");
  // bigquery-etl's runner runs the statements whose text contains the #fail marker: only the
  // check has it.
  m.checks_sql = comment_block(check_comment) + "#fail\n" + m.check_sql + ";\n\n" +
                 comment_block({
                     "Report, not a check: bigquery-etl's runner skips it. Per common metric: the "
                     "previous",
                     "total, the amount the mitigation adds back and its share, the groups the "
                     "baseline lost",
                     "and the groups held back because a count grew there.",
                 }) +
                 m.report_sql + ";\n";
  m.checks_sql = syntax::format_generated_sql(m.checks_sql, "mitigation checks");
  return m;
}

std::string format_classification(const Mitigation& m) {
  std::string out = fmt::format(
      "shredmit: {} against previous version {}, partition {}, baseline {}, checks read {}\n",
      m.new_table.qualified(), m.previous_table.table(), m.partition_field,
      baseline_name(m.baseline), m.staging_table);
  auto section = [&out](const char* kind, const char* role,
                        const std::vector<ClassifiedColumn>& cols, bool metric) {
    for (const auto& c : cols) {
      std::string line = fmt::format("  {:<8} {:<10} {:<32} {:<10}", kind, role, c.name,
                                     analysis::type_name(c.type));
      if (metric) {
        line += fmt::format(" {} ({})", analysis::metric_kind_name(c.kind.kind), c.kind.reason);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  };
  const auto& c = m.classification;
  section("COMMON", "dimension", c.common_dimensions, false);
  section("ADDED", "dimension", c.added_dimensions, false);
  section("REMOVED", "dimension", c.removed_dimensions, false);
  section("COMMON", "metric", c.common_metrics, true);
  section("NEW", "metric", c.new_metrics, true);
  section("REMOVED", "metric", c.removed_metrics, false);
  for (const auto& w : m.warnings) out += "shredmit: " + w + "\n";
  return out;
}

std::string format_json(const Mitigation& m, const std::vector<fs::path>& files) {
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  auto section = [&](const char* role, const char* status,
                     const std::vector<ClassifiedColumn>& cols, bool kind) {
    for (const auto& c : cols) {
      nlohmann::ordered_json column = {{"name", c.name},
                                       {"role", role},
                                       {"status", status},
                                       {"type", analysis::type_name(c.type)}};
      if (kind) {
        column["metric_kind"] = analysis::metric_kind_name(c.kind.kind);
        column["metric_kind_reason"] = c.kind.reason;
      }
      columns.push_back(std::move(column));
    }
  };
  const auto& c = m.classification;
  section("dimension", "common", c.common_dimensions, false);
  section("dimension", "added", c.added_dimensions, false);
  section("dimension", "removed", c.removed_dimensions, false);
  section("metric", "common", c.common_metrics, true);
  section("metric", "new", c.new_metrics, true);
  section("metric", "removed", c.removed_metrics, false);
  nlohmann::ordered_json written = nlohmann::ordered_json::array();
  for (const auto& f : files) written.push_back(f.generic_string());
  nlohmann::ordered_json doc = {{"table", m.new_table.qualified()},
                                {"previous_version", m.previous_table.qualified()},
                                {"partition_field", m.partition_field},
                                {"baseline", baseline_name(m.baseline)},
                                {"staging_table", m.staging_table},
                                {"columns", std::move(columns)},
                                {"warnings", m.warnings},
                                {"files", std::move(written)}};
  return base::dump_json(doc, 2) + "\n";
}

std::vector<fs::path> write_files(const Mitigation& m, const fs::path& dir) {
  std::vector<fs::path> paths = {dir / "shredder_mitigation_query.sql",
                                 dir / "shredder_mitigation_checks.sql"};
  base::write_files_atomically({{paths[0], m.query_sql}, {paths[1], m.checks_sql}});
  return paths;
}

}  // namespace shredmit::mitigation
