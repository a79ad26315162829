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

// One version of the table as check_preconditions read it, with its name.
struct Version {
  project::TableId id;
  const analysis::TableVersion& v;
  const std::string& query_file() const { return v.query->file; }
  const syntax::Query& query() const { return *v.query->query; }
  const std::vector<const syntax::CreateFunction*>& functions() const { return v.query->functions; }
  const AggregateQuery& analysis() const { return *v.aggregate; }
};

std::string names_of(const std::vector<ClassifiedColumn>& cols) {
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);
  return names.empty() ? "(none)" : join(names, ", ");
}

// --signed-metric must name a metric of the new version: a usage error otherwise.
void check_signed_metrics(const Options& options, const analysis::TableVersion& next) {
  if (!next.aggregate) return;
  for (const auto& name : options.signed_metrics) {
    const OutputColumn* col = next.aggregate->find(name);
    if (col != nullptr && col->role == Role::kMetric) continue;
    std::vector<std::string> metrics;
    for (const auto& c : next.aggregate->columns) {
      if (c.role == Role::kMetric) metrics.push_back(c.name);
    }
    throw base::Error::usage(
        fmt::format("--signed-metric {}: {} has no metric named {}; its "
                    "metrics are {}",
                    name, next.name, name, join(metrics, ", ")));
  }
}

// The warnings and notes printed with the classification.
// `read_query_tables`: the statements run in the two-step form, whose reads the plan counts.
std::vector<std::string> warnings_for(const Classification& c, Baseline baseline,
                                      bool read_query_tables) {
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
  if (baseline == Baseline::kPreviousQuery && !read_query_tables) {
    out.push_back(
        "note: --baseline previous-query runs the previous version's query as well: the "
        "mitigation query reads the upstream tables three times (the new query for its rows and "
        "for its groups' spellings, the previous query once) and the checks twice");
  }
  return out;
}

// Builds the SQL texts. Helper columns start with a prefix no output column of either version
// starts with, so that they never shadow a user's column.
// The queries the statements embed: the new query as written (after its CREATE TEMP FUNCTION
// preamble in the mitigation query), and the new and previous queries as a statement that runs
// alone embeds them. A dry run swaps them for tables of their declared schemas.
struct Embedded {
  std::string new_query;
  std::optional<std::string> new_standalone;       // nullopt: cannot be inlined
  std::optional<std::string> previous_standalone;  // nullopt: cannot be inlined
};

class Builder {
 public:
  Builder(const Version& previous, const Version& next, const Classification& c,
          const Mitigation& m, Embedded embedded)
      : previous_(previous), next_(next), c_(c), m_(m), embedded_(std::move(embedded)) {
    std::vector<std::string> names;
    for (const auto* v : {&previous, &next}) {
      for (const auto& col : v->analysis().columns) names.push_back(syntax::to_lower(col.name));
    }
    while (std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.rfind(prefix_, 0) == 0; })) {
      prefix_ += "_";
    }
    base_ = m.baseline == Baseline::kNewQuery ? "new" : "rerun";
  }

  // The query of `v` as a statement that runs alone can embed it: its temporary functions
  // inlined (syntax::print_inlined). nullopt when one cannot be inlined (JavaScript).
  static std::optional<std::string> standalone(const Version& v) {
    if (v.functions().empty()) return syntax::print(v.query());
    return syntax::print_inlined(v.query(), v.functions());
  }

  std::string query() const {
    std::vector<std::string> final_items;
    for (const auto& col : next_.analysis().columns) final_items.push_back(sql_name(col.name));
    auto ctes = mitigation_ctes(false);
    ctes.emplace_back("shredded", shredded());
    return fmt::format("{} SELECT {} FROM new_version UNION ALL SELECT {} FROM shredded",
                       with(ctes), join(final_items, ", "), join(final_items, ", "));
  }

  // The mismatch CTEs of the checks: ..., compared, expected, flagged, mismatches.
  std::vector<std::pair<std::string, std::string>> check_ctes() const {
    std::string filter = partition_filter();
    std::vector<std::pair<std::string, std::string>> ctes = {
        {"previous_agg", aggregate(sql_table(previous_.id.qualified()), filter, false)},
        {"backfilled_agg", aggregate(sql_table(m_.staging_table), filter, false)}};
    std::vector<std::string> sides = {"previous", "backfilled"};
    if (m_.baseline == Baseline::kPreviousQuery) {
      ctes.emplace_back("new_version", *embedded_.new_standalone);
      ctes.emplace_back("new_agg", aggregate("new_version", "", false));
      ctes.emplace_back("previous_rerun", *embedded_.previous_standalone);
      ctes.emplace_back("previous_rerun_agg", aggregate("previous_rerun", "", false));
      sides = {"previous", "backfilled", "new", "rerun"};
    }
    if (!string_dimensions().empty()) {
      ctes.emplace_back("backfilled_spellings", spellings(filter));
    }
    ctes.emplace_back("compared", compared(sides, false));
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
        m_.staging_table, previous_.id.table(), m_.partitioning.parameter);
    std::string legend =
        "increase: late data or a column redefined upstream, rename it (seed 004); new group: a "
        "value the previous version lacks, often NULL against \"??\"; null mismatch: NULL in one "
        "only; two spellings: a group stored both as NULL and as \"??\", apply one NULL handling "
        "(seed 004, consideration 3); held back: not compensated because a count grew in its "
        "group; decrease: a mitigation defect, please report it";
    std::string totals =
        m_.baseline == Baseline::kNewQuery
            ? "CONCAT(dimensions, ' ', metric, ': previous ', previous, ', backfilled ', "
              "backfilled, ', difference ', difference, ' (', kind, ')')"
            : "CONCAT(dimensions, ' ', metric, ': previous ', previous, ', expected ', expected, "
              "', backfilled ', backfilled, ', difference ', difference, ' (', kind, ')')";
    std::string line = fmt::format(
        "IF(kind = 'two spellings', CONCAT(dimensions, ' ', metric, ': stored as NULL and as "
        "\\'??\\' (two spellings)'), {})",
        totals);
    return fmt::format(
        "{} SELECT IF((SELECT COUNT(*) FROM mismatches) > 0, ERROR(CONCAT('shredder mitigation "
        "check failed: ', CAST((SELECT COUNT(*) FROM mismatches) AS STRING), {}, CAST(@{} AS "
        "STRING), ' (', ARRAY_TO_STRING(ARRAY(SELECT CONCAT(kind, ' ', metric, ' ', CAST(COUNT(*) "
        "AS STRING)) AS counted FROM mismatches GROUP BY kind, metric ORDER BY MIN(priority), "
        "metric), ', '), '); first 20: ', ARRAY_TO_STRING(ARRAY(SELECT {} AS listed FROM "
        "mismatches ORDER BY priority, dimensions, metric LIMIT 20), '; '), '. ', {})), NULL)",
        with(check_ctes()), sql_string(" totals" + what), m_.partitioning.parameter, line,
        sql_string(legend));
  }

  // The validation statements (seed 004's validations after a backfill), each with a fixed
  // result shape documented in mitigation.h. `dimension_totals`: per common dimension, value and
  // common metric, the previous, the new query's (upstream's) and the backfilled totals.
  std::string dimension_totals() const {
    std::vector<std::pair<std::string, std::string>> ctes;
    std::string sides = fmt::format(
        "SELECT 'previous' AS {0}, * FROM previous_rows UNION ALL SELECT 'backfilled' AS {0}, * "
        "FROM backfilled_rows",
        helper("side"));
    if (embedded_.new_standalone) {
      ctes.emplace_back("new_version", *embedded_.new_standalone);
      ctes.emplace_back("upstream_rows",
                        fmt::format("SELECT {} FROM new_version", join(common_columns(), ", ")));
      sides +=
          fmt::format(" UNION ALL SELECT 'upstream' AS {}, * FROM upstream_rows", helper("side"));
    }
    ctes.emplace_back("previous_rows", partition_rows(previous_.id.qualified()));
    ctes.emplace_back("backfilled_rows", partition_rows(m_.staging_table));
    ctes.emplace_back("sides", sides);
    ctes.emplace_back("cells", cells("sides", c_.common_dimensions));
    return fmt::format(
        "{} SELECT {}, {} AS previous, {} AS upstream, {} AS backfilled, IFNULL({}, 0) - "
        "IFNULL({}, 0) AS difference FROM {} GROUP BY dimension, value, metric ORDER BY "
        "dimension, value, metric",
        with(ctes), unnested_keys(), side_sum("previous"),
        embedded_.new_standalone ? side_sum("upstream") : "CAST(NULL AS FLOAT64)",
        side_sum("backfilled"), side_sum("backfilled"), side_sum("previous"), unnested());
  }

  // `added_dimension_totals`: per added dimension (a renamed one among them), value and common
  // metric, the total upstream gives (the new query alone) and the backfilled one; the NULL
  // row's expected growth is the shredded amount, the previous partition's total minus the new
  // query's. nullopt when there is no added dimension or the new query cannot run alone.
  std::optional<std::string> added_dimension_totals() const {
    if (c_.added_dimensions.empty() || !embedded_.new_standalone) return std::nullopt;
    std::string filter = partition_filter();
    std::vector<std::string> columns, metrics = metric_amounts(true);
    for (const auto& d : c_.added_dimensions) columns.push_back(sql_name(d.name));
    for (const auto& m : c_.common_metrics) columns.push_back(sql_name(m.name));
    std::vector<std::pair<std::string, std::string>> ctes = {
        {"new_version", *embedded_.new_standalone},
        {"upstream_rows", fmt::format("SELECT {} FROM new_version", join(columns, ", "))},
        {"backfilled_rows", fmt::format("SELECT {} FROM {} WHERE {}", join(columns, ", "),
                                        sql_table(m_.staging_table), filter)},
        {"sides", fmt::format("SELECT 'upstream' AS {0}, * FROM upstream_rows UNION ALL SELECT "
                              "'backfilled' AS {0}, * FROM backfilled_rows",
                              helper("side"))},
        {"cells", cells("sides", c_.added_dimensions)},
        {"totals",
         fmt::format("SELECT {}, {} AS upstream, {} AS backfilled FROM {} GROUP BY "
                     "dimension, value, metric",
                     unnested_keys(), side_sum("upstream"), side_sum("backfilled"), unnested())},
        // The shredded amount per metric: what deletion removed from the partition.
        {"shredded_amount",
         fmt::format("SELECT p.metric, IFNULL(p.amount, 0) - IFNULL(n.amount, 0) AS amount FROM "
                     "(SELECT x.* FROM (SELECT [{}] AS t FROM {} WHERE {}), UNNEST(t) AS x) AS p "
                     "LEFT JOIN (SELECT x.* FROM (SELECT [{}] AS t FROM new_version), UNNEST(t) "
                     "AS x) AS n USING (metric)",
                     join(metrics, ", "), sql_table(previous_.id.qualified()), filter,
                     join(metrics, ", "))}};
    return fmt::format(
        "{} SELECT totals.dimension, totals.value, totals.metric, totals.upstream, "
        "totals.backfilled, IFNULL(totals.backfilled, 0) - IFNULL(totals.upstream, 0) AS "
        "difference, IF(totals.value IS NULL, shredded_amount.amount, 0) AS expected_difference "
        "FROM totals LEFT JOIN shredded_amount USING (metric) ORDER BY dimension, value, metric",
        with(ctes));
  }

  // `spellings`: per common STRING dimension, how many rows of the previous and of the
  // backfilled partition hold NULL and how many '??' (seed 004, consideration 3: one NULL
  // handling). nullopt without common STRING dimensions.
  std::optional<std::string> spellings_count() const {
    if (string_dimensions().empty()) return std::nullopt;
    std::string filter = partition_filter();
    std::vector<std::string> columns, cells;
    for (const auto& d : string_dimensions()) {
      columns.push_back(sql_name(d));
      cells.push_back(
          fmt::format("STRUCT({} AS dimension, {} AS value)", sql_string(d), sql_name(d)));
    }
    auto side = [&](const char* name, const std::string& table) {
      return fmt::format("SELECT '{}' AS {}, {} FROM {} WHERE {}", name, helper("side"),
                         join(columns, ", "), sql_table(table), filter);
    };
    auto count = [&](const char* name, const char* test) {
      return fmt::format("COUNTIF({} = '{}' AND d.value {})", helper("side"), name, test);
    };
    return fmt::format(
        "WITH sides AS ({} UNION ALL {}) SELECT d.dimension AS dimension, {} AS "
        "previous_null_rows, {} AS previous_placeholder_rows, {} AS backfilled_null_rows, {} AS "
        "backfilled_placeholder_rows FROM sides, UNNEST([{}]) AS d GROUP BY dimension ORDER BY "
        "dimension",
        side("previous", previous_.id.qualified()), side("backfilled", m_.staging_table),
        count("previous", "IS NULL"), count("previous", "= '??'"), count("backfilled", "IS NULL"),
        count("backfilled", "= '??'"), join(cells, ", "));
  }

  // `row_differences`: the rows of the previous partition not in the backfilled one and the
  // reverse, over the common columns (SELECT ... EXCEPT DISTINCT both ways).
  std::string row_differences() const {
    std::string previous = partition_rows(previous_.id.qualified());
    std::string backfilled = partition_rows(m_.staging_table);
    return fmt::format(
        "SELECT (SELECT COUNT(*) FROM ({} EXCEPT DISTINCT {})) AS previous_only, (SELECT "
        "COUNT(*) FROM ({} EXCEPT DISTINCT {})) AS backfilled_only",
        previous, backfilled, backfilled, previous);
  }

  // nullopt when the new query cannot be embedded in a statement that runs alone.
  std::optional<std::string> report() const {
    if (!embedded_.new_standalone) return std::nullopt;
    std::vector<std::string> selects;
    auto ctes = mitigation_ctes(true);
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
  // The common dimensions and metrics, as columns of either version's table.
  std::vector<std::string> common_columns() const {
    std::vector<std::string> out;
    for (const auto& d : c_.common_dimensions) out.push_back(sql_name(d.name));
    for (const auto& m : c_.common_metrics) out.push_back(sql_name(m.name));
    return out;
  }

  // One row per source row: its side, an array of (dimension, value as text; NULL and '??' are
  // one value of a STRING dimension, as the checks group them) and an array of (metric, amount
  // as FLOAT64), to be unnested into one cell per dimension value and metric.
  std::string cells(const std::string& source, const std::vector<ClassifiedColumn>& dims) const {
    std::vector<std::string> dimensions;
    for (const auto& d : dims) {
      std::string name = sql_name(d.name);
      std::string value = d.type == Type::kString  ? fmt::format("NULLIF({}, '??')", name)
                          : d.type == Type::kBytes ? fmt::format("TO_BASE64({})", name)
                                                   : fmt::format("CAST({} AS STRING)", name);
      dimensions.push_back(
          fmt::format("STRUCT({} AS dimension, {} AS value)", sql_string(d.name), value));
    }
    return fmt::format("SELECT {0}, [{1}] AS {2}, [{3}] AS {4} FROM {5}", helper("side"),
                       join(dimensions, ", "), helper("dimensions"),
                       join(metric_amounts(false), ", "), helper("metrics"), source);
  }

  // One STRUCT(metric, amount) per common metric, the amount as FLOAT64: the row's value, or
  // with `summed` its SUM over the rows.
  std::vector<std::string> metric_amounts(bool summed) const {
    std::vector<std::string> out;
    for (const auto& m : c_.common_metrics) {
      std::string amount = summed ? "SUM(" + sql_name(m.name) + ")" : sql_name(m.name);
      out.push_back(fmt::format("STRUCT({} AS metric, CAST({} AS FLOAT64) AS amount)",
                                sql_string(m.name), amount));
    }
    return out;
  }

  // The common columns of `table`'s partition.
  std::string partition_rows(const std::string& table) const {
    return fmt::format("SELECT {} FROM {} WHERE {}", join(common_columns(), ", "), sql_table(table),
                       partition_filter());
  }

  std::string unnested() const {
    return fmt::format("cells, UNNEST(cells.{}) AS d, UNNEST(cells.{}) AS m", helper("dimensions"),
                       helper("metrics"));
  }
  static std::string unnested_keys() {
    return "d.dimension AS dimension, d.value AS value, m.metric AS metric";
  }
  std::string side_sum(const std::string& side) const {
    return fmt::format("SUM(IF({} = '{}', m.amount, NULL))", helper("side"), side);
  }

  bool is_common_dimension(const std::string& name) const {
    return std::any_of(c_.common_dimensions.begin(), c_.common_dimensions.end(),
                       [&](const ClassifiedColumn& d) { return d.name == name; });
  }

  // The common STRING dimensions: '??' and NULL are one group of them.
  std::vector<std::string> string_dimensions() const {
    std::vector<std::string> out;
    for (const auto& d : c_.common_dimensions) {
      if (d.type == Type::kString) out.push_back(d.name);
    }
    return out;
  }

  std::string helper(const std::string& name) const { return sql_name(prefix_ + name); }

  static std::string with(const std::vector<std::pair<std::string, std::string>>& ctes) {
    std::vector<std::string> parts;
    for (const auto& [name, sql] : ctes) parts.push_back(fmt::format("{} AS ({})", name, sql));
    return "WITH " + join(parts, ", ");
  }

  std::string partition_filter() const { return mitigation::partition_filter(m_.partitioning); }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& d : c_.common_dimensions) out.push_back(sql_name(d.name));
    return out;
  }

  // The grouping keys of the common dimensions over a source: STRING dimensions are grouped on
  // NULLIF(x, '??'), so '??' and NULL are one group; `items` gets "key AS name".
  void group_keys(std::vector<std::string>& items, std::vector<std::string>& group) const {
    for (const auto& d : c_.common_dimensions) {
      std::string name = sql_name(d.name);
      std::string key = d.type == Type::kString ? fmt::format("NULLIF({}, '??')", name) : name;
      items.push_back(key == name ? key : key + " AS " + name);
      group.push_back(key);
    }
  }

  // SELECT <common dimension keys>, SUM(<common metrics>) FROM <source> [WHERE ...] GROUP BY
  // keys. With `spelled`, also the spelling each STRING group has in the source: MAX(x) is the
  // value itself, or for the NULL/'??' group '??' when some row spells it so, NULL otherwise.
  std::string aggregate(const std::string& source, const std::string& where, bool spelled) const {
    std::vector<std::string> items, group;
    group_keys(items, group);
    for (const auto& m : c_.common_metrics) {
      items.push_back(fmt::format("SUM({0}) AS {0}", sql_name(m.name)));
    }
    if (spelled) {
      for (const auto& d : string_dimensions()) {
        items.push_back(fmt::format("MAX({}) AS {}", sql_name(d), helper("spelling_" + d)));
      }
    }
    std::string sql = fmt::format("SELECT {} FROM {}", join(items, ", "), source);
    if (!where.empty()) sql += " WHERE " + where;
    return sql + " GROUP BY " + join(group, ", ");
  }

  // Per common dimension group, whether each STRING dimension is stored both as NULL and as '??'
  // in the backfilled partition while the previous version stored it one way: one group in two
  // spellings, which the checks' totals (grouped on NULLIF(x, '??')) cannot see but a dashboard
  // filtering on '??' can. A group the previous version already stored both ways is not this
  // backfill's doing and is not flagged.
  std::string spellings(const std::string& filter) const {
    std::vector<std::string> items, group, columns;
    group_keys(items, group);
    for (const auto& d : c_.common_dimensions) columns.push_back(sql_name(d.name));
    for (const auto& d : string_dimensions()) {
      std::string name = sql_name(d);
      auto both = [&](const char* side) {
        return fmt::format(
            "COUNTIF({0} = '{1}' AND {2} IS NULL) > 0 AND COUNTIF({0} = '{1}' AND {2} = '??') > 0",
            helper("side"), side, name);
      };
      items.push_back(fmt::format("{} AND NOT ({}) AS {}", both("backfilled"), both("previous"),
                                  helper("two_spellings_" + d)));
    }
    std::string sides = fmt::format(
        "SELECT {0}, 'backfilled' AS {1} FROM {2} WHERE {4} UNION ALL SELECT {0}, 'previous' AS "
        "{1} FROM {3} WHERE {4}",
        join(columns, ", "), helper("side"), sql_table(m_.staging_table),
        sql_table(previous_.id.qualified()), filter);
    return fmt::format("SELECT {} FROM ({}) AS sides GROUP BY {}", join(items, ", "), sides,
                       join(group, ", "));
  }

  // The sides whose spellings the compensation reads: the previous version's, and the new
  // query's, which the backfilled rows come from.
  static bool spelled_side(const std::string& side) { return side == "previous" || side == "new"; }

  // One row per common dimension group of any side, with each side's presence
  // (_in_<side>) and totals (_<side>_<metric>). The sides are regrouped from a UNION ALL:
  // GROUP BY puts NULLs in one group for every groupable type, so matching is NULL-safe and no
  // sentinel value is ever compared or emitted.
  std::string compared(const std::vector<std::string>& sides, bool spelled) const {
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
    std::vector<std::string> spelling_columns;
    if (spelled) {
      for (const auto& d : string_dimensions()) {
        spelling_columns.push_back(helper("spelling_" + d));
        for (const auto& side : sides) {
          if (!spelled_side(side)) continue;
          items.push_back(fmt::format("MAX(IF({} = '{}', {}, NULL)) AS {}", helper("side"), side,
                                      helper("spelling_" + d), helper(side + "_spelling_" + d)));
        }
      }
    }
    std::vector<std::string> columns = keys();
    for (const auto& m : c_.common_metrics) columns.push_back(sql_name(m.name));
    for (const auto& side : sides) {
      std::vector<std::string> side_columns = columns;
      for (const auto& s : spelling_columns) {
        side_columns.push_back(spelled_side(side) ? s : "CAST(NULL AS STRING) AS " + s);
      }
      unions.push_back(fmt::format("SELECT {}, '{}' AS {} FROM {}", join(side_columns, ", "), side,
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

  // `standalone`: for a statement that runs alone (the report), so the queries embedded have
  // their temporary functions inlined; otherwise the mitigation query, whose new_version is the
  // new query as written after its CREATE TEMP FUNCTION preamble.
  std::vector<std::pair<std::string, std::string>> mitigation_ctes(bool standalone_sql) const {
    std::string previous_agg =
        aggregate(sql_table(previous_.id.qualified()), partition_filter(), true);
    std::vector<std::pair<std::string, std::string>> ctes = {
        {"new_version", standalone_sql ? *embedded_.new_standalone : embedded_.new_query}};
    if (m_.baseline == Baseline::kNewQuery) {
      ctes.emplace_back("new_agg", aggregate("new_version", "", true));
      ctes.emplace_back("previous_agg", previous_agg);
      ctes.emplace_back("compared", compared({"previous", "new"}, true));
    } else {
      // The new query is aggregated too, for the spellings of its groups only.
      ctes.emplace_back("new_agg", aggregate("new_version", "", true));
      ctes.emplace_back("previous_rerun", *embedded_.previous_standalone);
      ctes.emplace_back("previous_rerun_agg", aggregate("previous_rerun", "", false));
      ctes.emplace_back("previous_agg", previous_agg);
      ctes.emplace_back("compared", compared({"previous", "rerun", "new"}, true));
    }
    std::vector<std::string> items = keys();
    items.push_back(helper("in_previous"));
    items.push_back(helper("in_" + base_));
    items.push_back(count_grew() + " AS " + helper("count_grew"));
    for (const auto& m : c_.common_metrics) {
      items.push_back(fmt::format("{} AS {}", compensation(m), sql_name(m.name)));
    }
    for (const auto& m : c_.common_metrics) items.push_back(helper("previous_" + m.name));
    // The spelling a shredded row carries: the one the new query's rows of its group have, which
    // the backfilled table holds, else, for a group the new query lost, the one the previous
    // table stores.
    for (const auto& d : string_dimensions()) {
      items.push_back(fmt::format("IF({}, {}, {}) AS {}", helper("in_new"),
                                  helper("new_spelling_" + d), helper("previous_spelling_" + d),
                                  helper("spelled_" + d)));
    }
    ctes.emplace_back("compensation", fmt::format("SELECT {} FROM compared", join(items, ", ")));
    return ctes;
  }

  std::string shredded() const {
    std::vector<std::string> items;
    auto typed_null = [](Type t) {
      return fmt::format("CAST(NULL AS {})", analysis::type_name(t));
    };
    for (const auto& col : next_.analysis().columns) {
      std::string name = sql_name(col.name);
      bool common =
          col.role == Role::kDimension
              ? is_common_dimension(col.name)
              : std::any_of(c_.common_metrics.begin(), c_.common_metrics.end(),
                            [&](const ClassifiedColumn& m) { return m.name == col.name; });
      if (!common) {
        items.push_back(typed_null(col.type) + " AS " + name);
      } else if (col.role == Role::kDimension && col.type == Type::kString) {
        items.push_back(helper("spelled_" + col.name) + " AS " + name);
      } else {
        items.push_back(name);
      }
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
    for (const auto& d : string_dimensions()) {
      selects.push_back(fmt::format(
          "SELECT {} AS dimensions, {} AS metric, 'two spellings' AS kind, '' AS previous, 'one "
          "spelling' AS expected, 'NULL and ??' AS backfilled, '' AS difference FROM "
          "backfilled_spellings WHERE {}",
          dimensions, sql_string(d), helper("two_spellings_" + d)));
    }
    return fmt::format(
        "SELECT dimensions, metric, kind, previous, expected, backfilled, difference, CASE kind "
        "WHEN 'increase' THEN 1 WHEN 'new group' THEN 2 WHEN 'null mismatch' THEN 3 WHEN 'two "
        "spellings' THEN 4 WHEN 'held back' THEN 5 ELSE 6 END AS priority FROM ({}) AS "
        "per_metric",
        join(selects, " UNION ALL "));
  }

  const Version& previous_;
  const Version& next_;
  const Classification& c_;
  const Mitigation& m_;
  Embedded embedded_;
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
// version's. Every other statement embeds the queries with their functions inlined (bigquery-etl
// runs each check statement as a job of its own, where a temporary function of another statement
// is not defined), so with --baseline previous-query, whose check embeds both queries, a function
// that cannot be inlined (JavaScript) is refused.
std::string function_preamble(const Version& previous, const Version& next, Baseline baseline) {
  if (baseline == Baseline::kPreviousQuery) {
    for (const Version* v : {&next, &previous}) {
      if (v->functions().empty() || Builder::standalone(*v)) continue;
      const syntax::CreateFunction* f = v->functions().front();
      for (const auto* g : v->functions()) {
        if (g->language || !g->body) f = g;
      }
      throw base::Error(v->query_file(), f->loc.line, f->loc.column,
                        "--baseline previous-query embeds the queries in the check, which "
                        "bigquery-etl runs alone, and this temporary function cannot be inlined "
                        "there (it is not a SQL function): use the default baseline, or call a "
                        "persistent UDF instead");
    }
  }
  std::string out;
  for (const syntax::CreateFunction* f : next.functions()) out += syntax::print(*f) + ";\n\n";
  return out;
}

// PROJECT.DATASET.TABLE: a project id (letters, digits, '-'), a dataset and a table name.
bool is_table_path(const std::string& text) {
  static const std::regex kPath(R"(^[A-Za-z0-9-]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$)");
  return std::regex_match(text, kPath);
}

// How the rows of one partition are selected, for the files' comments.
std::string partition_text(const analysis::Partitioning& p) {
  if (p.type == Type::kDate && !p.month) return fmt::format("{} = @{}", p.field, p.parameter);
  return fmt::format("{} in the {} of @{} ({})", p.field, p.month ? "month" : "day", p.parameter,
                     analysis::type_name(p.type));
}

void build_statements(Mitigation& m, const Version& previous, const Version& next,
                      const Embedded& embedded);

}  // namespace

std::string_view baseline_name(Baseline b) {
  return b == Baseline::kNewQuery ? "new-query" : "previous-query";
}

Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table,
                    const Options& options) {
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"--staging-table", options.staging_table},
        {"--new-query-table", options.new_query_table},
        {"--previous-query-table", options.previous_query_table}}) {
    if (!value.empty() && !is_table_path(value)) {
      throw base::Error::usage(
          fmt::format("{} takes PROJECT.DATASET.TABLE, got '{}'", flag, value));
    }
  }
  project::require_table_dir(tree, new_table);
  fs::path new_dir = tree.table_dir(new_table);
  analysis::PreconditionOptions po;
  po.id_level_columns = options.id_level_columns;
  po.signed_metrics = options.signed_metrics;
  auto pre =
      std::make_shared<analysis::Preconditions>(analysis::check_preconditions(tree, new_dir, po));
  check_signed_metrics(options, pre->next);
  if (!pre->ok()) {
    std::vector<base::Error> errors;
    for (const auto& r : pre->refusals) errors.push_back(r.error());
    throw base::Error::all(errors);
  }
  Mitigation m;
  m.preconditions = pre;
  m.new_table = new_table;
  m.previous_table = new_table.with_version(new_table.version - 1);
  m.new_query = *pre->next.query;
  m.previous_query = *pre->previous.query;
  m.baseline = options.baseline;
  m.staging_table = options.staging_table.empty() ? new_table.qualified() : options.staging_table;
  m.new_query_table =
      options.new_query_table.empty() ? m.staging_table + "_new_query" : options.new_query_table;
  if (m.baseline == Baseline::kPreviousQuery) {
    m.previous_query_table = options.previous_query_table.empty()
                                 ? m.staging_table + "_previous_query"
                                 : options.previous_query_table;
  }
  m.read_query_tables = options.read_query_tables;
  m.classification = *pre->classification;
  m.partitioning = *pre->partitioning;
  m.partition_field = m.partitioning.field;
  m.warnings = warnings_for(m.classification, m.baseline, m.read_query_tables);
  Version next{new_table, pre->next};
  Version previous{m.previous_table, pre->previous};
  Embedded embedded{syntax::print(next.query()), Builder::standalone(next),
                    Builder::standalone(previous)};
  build_statements(m, previous, next, embedded);
  if (m.report_sql.empty()) {
    m.warnings.push_back(
        "note: the checks file has no report statement: it would embed the new query, whose "
        "JavaScript temporary function cannot be inlined into a statement that runs alone");
  }
  return m;
}

namespace {

// Fills the SQL texts of `m` (the mitigation query, the check, its mismatches and the report,
// and the two files) from the classification and the embedded queries.
void build_statements(Mitigation& m, const Version& previous, const Version& next,
                      const Embedded& embedded) {
  const auto& new_table = m.new_table;
  const auto& c = m.classification;
  Builder builder(previous, next, c, m, embedded);
  // The same statements over the partitions the two-step form's first step wrote.
  auto read = [&](const std::string& table, const Version& v) {
    std::vector<std::string> columns;
    for (const auto& col : v.analysis().columns) columns.push_back(sql_name(col.name));
    return fmt::format("SELECT {} FROM {} WHERE {}", join(columns, ", "), sql_table(table),
                       partition_filter(m.partitioning));
  };
  std::string new_rows = read(m.new_query_table, next);
  Builder tables(previous, next, c, m,
                 Embedded{new_rows, new_rows,
                          m.previous_query_table.empty() ? std::nullopt
                                                         : std::optional<std::string>(read(
                                                               m.previous_query_table, previous))});
  const Builder& reader = m.read_query_tables ? tables : builder;
  std::string preamble = function_preamble(previous, next, m.baseline);
  std::string baseline_text =
      m.baseline == Baseline::kNewQuery
          ? "the new query's"
          : fmt::format("the previous query's ({} re-run on today's data)", previous.id.table());
  std::vector<std::string> count_names, signed_names;
  for (const auto& x : c.common_metrics) {
    (x.kind.kind == MetricKind::kSigned ? signed_names : count_names).push_back(x.name);
  }
  std::string selection = partition_text(m.partitioning);
  m.query_sql = comment_block({
                    fmt::format("Shredder mitigation query for {}, generated by shredmit from {} "
                                "and {}.",
                                new_table.qualified(), new_table.table(), previous.id.table()),
                    fmt::format("Run it for one partition: {}.", selection),
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

  std::vector<std::string> second_step = {
      fmt::format("Shredder mitigation, second step, for {},", new_table.qualified()),
      fmt::format("generated by shredmit. First run {}'s query.sql for one partition ({})",
                  new_table.table(), selection),
      fmt::format("into {} (WRITE_TRUNCATE){}", m.new_query_table,
                  m.previous_query_table.empty() ? "." : ",")};
  if (!m.previous_query_table.empty()) {
    second_step.push_back(fmt::format("and {}'s query.sql into {} (WRITE_TRUNCATE).",
                                      previous.id.table(), m.previous_query_table));
  }
  m.compensation_sql =
      comment_block(second_step) +
      comment_block({
          "Then run this into the table's partition (WRITE_TRUNCATE): it reads those partitions",
          "and the previous version's, not the upstream tables, and returns the rows of",
          "shredder_mitigation_query.sql, the new query's and the shredded ones. Each step can be",
          "run again alone.",
      }) +
      reformat(tables.query(), "compensation query") + "\n";
  m.compensation_sql = syntax::format_generated_sql(m.compensation_sql, "compensation query");

  m.check_sql = reformat(reader.check(), "check");
  // Used by simulate and the tests, not written: its CTEs are the check's, parsed above.
  m.mismatches_sql = reader.mismatches_query();
  auto report = reader.report();
  m.report_sql = report ? reformat(*report, "report") : std::string();
  std::vector<std::string> expected =
      m.baseline == Baseline::kNewQuery
          ? std::vector<std::string>{fmt::format("for {} must be the same in {},", selection,
                                                 previous.id.table())}
          : std::vector<std::string>{
                fmt::format("for {} must be those of {} plus the intended change:", selection,
                            previous.id.table()),
                fmt::format("the new query's totals minus those of {}'s query re-run on today's "
                            "data,",
                            previous.id.table())};
  std::vector<std::string> check_comment = {
      "Shredder mitigation checks for " + new_table.qualified() + ",", "generated by shredmit.",
      "The first statement fails the backfill: per common dimension group, the totals of the",
      "common metrics in the backfilled " + m.staging_table};
  check_comment.insert(check_comment.end(), expected.begin(), expected.end());
  check_comment.push_back(
      "FLOAT64 ones within 1e-9 x max(|totals|, 1); and a STRING group the previous version");
  check_comment.push_back(
      "stores one way may not be stored both as NULL and as '??'. Its ERROR counts the");
  check_comment.push_back("mismatches per kind and metric and lists the first 20.");
  // bigquery-etl's runner runs the statements whose text contains the #fail marker: only the
  // check has it.
  m.checks_sql = comment_block(check_comment) + "#fail\n" + m.check_sql + ";\n";
  if (!m.report_sql.empty()) {
    m.checks_sql += "\n" +
                    comment_block({
                        "Report, not a check: bigquery-etl's runner skips it. Per common metric: "
                        "the previous",
                        "total, the amount the mitigation adds back and its share, the groups the "
                        "baseline lost",
                        "and the groups held back because a count grew there.",
                    }) +
                    m.report_sql + ";\n";
  }
  m.checks_sql = syntax::format_generated_sql(m.checks_sql, "mitigation checks");

  m.validation = {{"dimension_totals", reformat(reader.dimension_totals(), "validation")}};
  if (auto added = reader.added_dimension_totals()) {
    m.validation.push_back({"added_dimension_totals", reformat(*added, "validation")});
  }
  m.validation.push_back({"row_differences", reformat(reader.row_differences(), "validation")});
  if (auto spellings = reader.spellings_count()) {
    m.validation.push_back({"spellings", reformat(*spellings, "validation")});
  }
  if (!m.report_sql.empty()) m.validation.push_back({"compensation", m.report_sql});
  std::string text = comment_block({
      "Validation queries for the backfill of " + new_table.qualified() + ", generated by",
      "shredmit: seed 004's validations, for `shredmit report`. Not checks: no #fail marker,",
      "so bigquery-etl's check runner skips them. Each names its result shape; run them for",
      "one partition (" + selection + ") after the checks pass.",
  });
  for (const auto& v : m.validation) {
    text += "\n" + comment_block({"shredmit-validation: " + v.name}) + v.sql + ";\n";
  }
  m.validation_sql = syntax::format_generated_sql(text, "validation queries");
}

}  // namespace

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
                                {"partition_type", analysis::type_name(m.partitioning.type)},
                                {"partition_unit", m.partitioning.month ? "month" : "day"},
                                {"partition_parameter", m.partitioning.parameter},
                                {"baseline", baseline_name(m.baseline)},
                                {"staging_table", m.staging_table},
                                {"columns", std::move(columns)},
                                {"warnings", m.warnings},
                                {"files", std::move(written)}};
  return base::dump_json(doc, 2) + "\n";
}

std::vector<fs::path> write_files(const Mitigation& m, const fs::path& dir) {
  std::vector<fs::path> paths;
  for (std::string_view name : kFileNames) paths.push_back(dir / name);
  base::write_files_atomically({{paths[0], m.query_sql},
                                {paths[1], m.compensation_sql},
                                {paths[2], m.checks_sql},
                                {paths[3], m.validation_sql}});
  return paths;
}

}  // namespace shredmit::mitigation

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;

}  // namespace

// The partition column isolated on the left of comparisons with constant expressions of the
// DATE parameter, which is what lets BigQuery prune partitions. A DATE day is one value; a
// TIMESTAMP or DATETIME day, and any month, is a half-open range [start, end) (TIMESTAMP(date) is
// midnight UTC, the boundary of BigQuery's TIMESTAMP partitions), so a type-correct comparison
// never needs DATE(column).
std::string partition_filter(const analysis::Partitioning& p) {
  std::string column = sql_name(p.field);
  std::string parameter = "@" + p.parameter;
  if (p.type == Type::kDate && !p.month) return fmt::format("{} = {}", column, parameter);
  std::string start = p.month ? fmt::format("DATE_TRUNC({}, MONTH)", parameter) : parameter;
  std::string end = fmt::format("DATE_ADD({}, INTERVAL 1 {})", start, p.month ? "MONTH" : "DAY");
  if (p.type == Type::kTimestamp) {
    start = "TIMESTAMP(" + start + ")";
    end = "TIMESTAMP(" + end + ")";
  } else if (p.type == Type::kDatetime) {
    start = "DATETIME(" + start + ")";
    end = "DATETIME(" + end + ")";
  }
  return fmt::format("{0} >= {1} AND {0} < {2}", column, start, end);
}

namespace {

constexpr const char* kNewQueryTable = "shredmit_dry_run.new_query";
constexpr const char* kPreviousQueryTable = "shredmit_dry_run.previous_query";

}  // namespace

DryRun dry_run(const Mitigation& m, const project::SqlTree& tree,
               const std::vector<engine::Table>& extra) {
  const analysis::Preconditions& pre = *m.preconditions;
  DryRun out;
  engine::Catalog catalog;
  auto add = [&](const std::string& name, const project::Schema& schema) {
    catalog.tables.push_back(engine::Table{name, engine::columns_from_schema(schema)});
  };
  add(m.previous_table.qualified(), *pre.previous.schema);
  add(m.new_table.qualified(), *pre.next.schema);
  if (m.staging_table != m.new_table.qualified()) add(m.staging_table, *pre.next.schema);
  add(m.new_query_table, *pre.next.schema);
  if (!m.previous_query_table.empty()) add(m.previous_query_table, *pre.previous.schema);
  add(std::string("p.") + kNewQueryTable, *pre.next.schema);
  add(std::string("p.") + kPreviousQueryTable, *pre.previous.schema);

  // The tables the queries read, where the tree has their schema, and the functions they call.
  bool previous_embedded = m.baseline == Baseline::kPreviousQuery;
  std::set<std::string> added;
  for (const auto& t : extra) {
    catalog.tables.push_back(t);
    added.insert(t.name);
  }
  for (const auto& t : catalog.tables) added.insert(t.name);
  for (const analysis::TableVersion* v : {&pre.next, &pre.previous}) {
    if (v == &pre.previous && !previous_embedded) continue;
    engine::FromTree from =
        engine::catalog_from_tree(v->query->sql->sql, tree, m.new_table.project, added);
    for (auto& t : from.catalog.tables) {
      added.insert(t.name);
      catalog.tables.push_back(std::move(t));
    }
    for (auto& f : from.catalog.functions) catalog.functions.push_back(std::move(f));
    out.unknown.insert(out.unknown.end(), from.unknown.begin(), from.unknown.end());
  }

  std::vector<engine::Parameter> parameters = {
      {m.partitioning.parameter, engine::scalar(analysis::Type::kDate)}};
  for (auto& p : engine::declared_parameters(*pre.next.metadata)) {
    if (!base::same_name(p.name, m.partitioning.parameter)) parameters.push_back(std::move(p));
  }

  // The queries alone, where everything they read is known.
  if (out.unknown.empty()) {
    for (const analysis::TableVersion* v : {&pre.next, &pre.previous}) {
      if (v == &pre.previous && !previous_embedded) continue;
      engine::Verdict verdict = engine::analyze(v->query->sql->sql, catalog, parameters);
      if (verdict.accepted()) continue;
      if (engine::cannot_check(verdict)) {
        out.unknown.push_back(verdict.message);
      } else if (!out.query_error) {
        out.query_error = base::Error(v->query->file, verdict.at.line, verdict.at.column,
                                      "GoogleSQL refuses this query: " + verdict.message +
                                          "; BigQuery would refuse it too, fix it before "
                                          "backfilling");
      }
    }
  }
  out.queries_as_tables = !out.unknown.empty() || out.query_error.has_value();

  const Mitigation* statements = &m;
  Mitigation replaced;
  if (out.queries_as_tables) {
    replaced = m;
    Version next{m.new_table, pre.next};
    Version previous{m.previous_table, pre.previous};
    std::string new_query = fmt::format("SELECT * FROM `p.{}`", kNewQueryTable);
    // The same statements as the files: no report where the files have none.
    Embedded embedded{new_query,
                      m.report_sql.empty() ? std::nullopt : std::optional<std::string>(new_query),
                      fmt::format("SELECT * FROM `p.{}`", kPreviousQueryTable)};
    build_statements(replaced, previous, next, embedded);
    statements = &replaced;
  }
  out.statements.push_back({"shredder_mitigation_query.sql", "mitigation query",
                            engine::analyze(statements->query_sql, catalog, parameters)});
  out.statements.push_back({"shredder_mitigation_compensation.sql", "compensation query",
                            engine::analyze(statements->compensation_sql, catalog, parameters)});
  auto checks = engine::analyze_each(statements->checks_sql, catalog, parameters);
  const char* names[] = {"check", "report"};
  for (size_t i = 0; i < checks.size(); ++i) {
    out.statements.push_back(
        {"shredder_mitigation_checks.sql", i < 2 ? names[i] : "statement", checks[i]});
  }
  auto validation = engine::analyze_each(statements->validation_sql, catalog, parameters);
  for (size_t i = 0; i < validation.size(); ++i) {
    out.statements.push_back({"shredder_mitigation_validation.sql",
                              i < statements->validation.size()
                                  ? "validation query " + statements->validation[i].name
                                  : "validation statement",
                              validation[i]});
  }
  return out;
}

}  // namespace shredmit::mitigation

namespace shredmit::mitigation {

std::vector<std::string> verify(const Mitigation& m, const project::SqlTree& tree) {
  if (!engine::server_path()) {
    return {"warning: the generated SQL was not analyzed: GoogleSQL's engine is not installed; " +
            engine::install_hint()};
  }
  DryRun d = dry_run(m, tree);
  if (d.query_error) throw *d.query_error;
  for (const auto& s : d.statements) {
    if (s.verdict.accepted()) continue;
    throw base::Error::internal(
        fmt::format("GoogleSQL's analyzer refuses the generated {} ({}{}): {}", s.what, s.file,
                    s.verdict.at.line > 0
                        ? fmt::format(" line {} column {}", s.verdict.at.line, s.verdict.at.column)
                        : std::string(),
                    s.verdict.message));
  }
  std::vector<std::string> notes;
  if (d.queries_as_tables) {
    std::vector<std::string> unknown = d.unknown;
    if (unknown.size() > 3) {
      size_t more = unknown.size() - 3;
      unknown.resize(3);
      unknown.push_back(fmt::format("{} more", more));
    }
    notes.push_back(fmt::format(
        "note: GoogleSQL's analyzer accepted the {} generated statements with the {} as a table "
        "of its declared schema; it cannot analyze the query itself offline: {}",
        d.statements.size(),
        m.baseline == Baseline::kPreviousQuery ? "new and previous queries" : "new query",
        join(unknown, "; ")));
  } else {
    notes.push_back(fmt::format("note: GoogleSQL's analyzer accepted the {} generated statements",
                                d.statements.size()));
  }
  return notes;
}

}  // namespace shredmit::mitigation
