// Shredder-mitigation query and checks generation (see mitigation.h).
#include "mitigation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace shredmit::mitigation {
namespace {

namespace fs = std::filesystem;
using analysis::AggregateQuery;
using analysis::OutputColumn;
using analysis::Role;
using analysis::Type;
using project::UserError;

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// A column name as SQL (backticked when needed).
std::string sql_name(const std::string& name) {
  return syntax::print(syntax::Identifier{name, false, {}});
}

// A table as a backticked path.
std::string sql_table(const project::TableId& id) {
  return syntax::print(syntax::Identifier{id.qualified(), true, {}});
}

// One version of the table, read and analysed.
struct Version {
  project::TableId id;
  fs::path dir;
  std::string query_file;
  std::unique_ptr<syntax::Query> query;
  project::Schema schema;
  project::Metadata metadata;
  AggregateQuery analysis;
};

fs::path require_file(const fs::path& dir, const char* name, const std::string& fix) {
  fs::path file = dir / name;
  if (!fs::exists(file)) throw UserError(file.string(), 0, 0, "file not found; " + fix);
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
    throw UserError(v.dir.string(), 0, 0,
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
    throw UserError(v.metadata.file, v.metadata.label.line, v.metadata.label.column,
                    "the table is not set up for shredder mitigation: add the label "
                    "`shredder_mitigation: true` under `labels:` once its query and schema "
                    "follow the requirements (seed 004, consideration 1)");
  }
  fs::path query_path =
      require_file(v.dir, "query.sql", "shredder mitigation needs the query of both versions");
  v.query_file = query_path.string();
  std::string text = project::read_text_file(query_path);
  if (auto pos = std::min(text.find("{%"), text.find("{{")); pos != std::string::npos) {
    int line =
        1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
    throw UserError(v.query_file, line, 1,
                    "the query is a Jinja template, which shredmit does not render yet; run "
                    "`bqetl query render` and generate from the rendered query");
  }
  try {
    v.query = syntax::parse_query(text);
  } catch (const syntax::SyntaxError& e) {
    throw UserError(v.query_file, e.loc.line, e.loc.column,
                    std::string(e.what()) + "; fix the SQL");
  }
  fs::path schema_path =
      require_file(v.dir, "schema.yaml",
                   "shredder mitigation needs every column's type and description: add schema.yaml "
                   "(`bqetl query schema update` writes one)");
  v.schema = project::load_schema(schema_path, tree);
  v.analysis = analysis::analyze_aggregate(*v.query, v.schema, v.query_file);
  return v;
}

// The grouping key of a common dimension: STRING dimensions merge '??' into NULL.
std::string group_key(const ClassifiedColumn& c) {
  std::string name = sql_name(c.name);
  return c.type == Type::kString ? fmt::format("NULLIF({}, '??')", name) : name;
}

// The previous version's partition filter: `field = @field`.
std::string partition_filter(const std::string& field) {
  return fmt::format("{} = @{}", sql_name(field), field);
}

std::string typed_null(Type t) { return fmt::format("CAST(NULL AS {})", analysis::type_name(t)); }
std::string typed_zero(Type t) { return fmt::format("CAST(0 AS {})", analysis::type_name(t)); }

// SELECT <common dimension keys>, SUM(<common metrics>) FROM <source> [WHERE ...] GROUP BY keys
std::string aggregate_select(const Classification& c, const std::string& source,
                             const std::string& where, bool round_floats) {
  std::vector<std::string> items, keys;
  for (const auto& d : c.common_dimensions) {
    std::string key = group_key(d), name = sql_name(d.name);
    items.push_back(key == name ? key : key + " AS " + name);
    keys.push_back(key);
  }
  for (const auto& m : c.common_metrics) {
    std::string sum = fmt::format("SUM({})", sql_name(m.name));
    if (round_floats && m.type == Type::kFloat64) sum = fmt::format("ROUND({}, 6)", sum);
    items.push_back(sum + " AS " + sql_name(m.name));
  }
  std::string sql = fmt::format("SELECT {} FROM {}", join(items, ", "), source);
  if (!where.empty()) sql += " WHERE " + where;
  return sql + " GROUP BY " + join(keys, ", ");
}

Classification classify(const Version& previous, const Version& next) {
  Classification c;
  auto add = [](std::vector<ClassifiedColumn>& list, const OutputColumn& col) {
    list.push_back(ClassifiedColumn{col.name, col.type});
  };
  for (const auto& col : next.analysis.columns) {
    const OutputColumn* old = previous.analysis.find(col.name);
    bool is_dim = col.role == Role::kDimension;
    if (old != nullptr && old->role != col.role) {
      throw UserError(next.query_file, col.loc.line, col.loc.column,
                      fmt::format("column '{}' is a {} in {} but a {} in {}; rename it so that "
                                  "it is recalculated as a new column",
                                  col.name, is_dim ? "dimension" : "metric", next.id.table(),
                                  is_dim ? "metric" : "dimension", previous.id.table()));
    }
    if (old != nullptr && old->type != col.type) {
      throw UserError(next.query_file, col.loc.line, col.loc.column,
                      fmt::format("column '{}' is {} in {} but {} in {}; keep its type or rename "
                                  "it so that it is recalculated",
                                  col.name, analysis::type_name(col.type), next.id.table(),
                                  analysis::type_name(old->type), previous.id.table()));
    }
    if (is_dim) {
      add(old != nullptr ? c.common_dimensions : c.added_dimensions, col);
    } else {
      add(old != nullptr ? c.common_metrics : c.new_metrics, col);
    }
    if (is_dim && old != nullptr && !analysis::is_groupable(col.type)) {
      throw UserError(next.query_file, col.loc.line, col.loc.column,
                      fmt::format("dimension '{}' has type {}, which BigQuery cannot group by",
                                  col.name, analysis::type_name(col.type)));
    }
  }
  for (const auto& col : previous.analysis.columns) {
    if (next.analysis.find(col.name) != nullptr) continue;
    add(col.role == Role::kDimension ? c.removed_dimensions : c.removed_metrics, col);
  }
  if (c.common_dimensions.empty()) {
    throw UserError(next.query_file, next.analysis.final_select->loc.line,
                    next.analysis.final_select->loc.column,
                    fmt::format("no dimension is common to {} and {}; shredder mitigation keeps "
                                "totals per common dimension: keep at least one dimension's name",
                                next.id.table(), previous.id.table()));
  }
  if (c.common_metrics.empty()) {
    throw UserError(next.query_file, next.analysis.final_select->loc.line,
                    next.analysis.final_select->loc.column,
                    fmt::format("no metric is common to {} and {}; there is no total to keep: "
                                "keep at least one metric's name",
                                next.id.table(), previous.id.table()));
  }
  return c;
}

std::string build_query(const Version& previous, const Version& next, const Classification& c,
                        const std::string& partition_field) {
  std::string new_agg = aggregate_select(c, "new_version", "", false);
  std::string previous_agg =
      aggregate_select(c, sql_table(previous.id), partition_filter(partition_field), false);

  // Differences per common dimension group: previous rows plus negated new rows, regrouped.
  // A group gets a shredded row when the previous version has it and either the new query lost
  // it entirely (even if its totals are NULL or 0) or some common metric differs, NULL from
  // non-NULL included. The
  // difference may be negative (a metric with negative values, such as a correction); a group
  // only the new query has is left alone, for the checks to report.
  std::vector<std::string> dims, prev_items, new_items, having;
  for (const auto& d : c.common_dimensions) dims.push_back(sql_name(d.name));
  prev_items = dims;
  new_items = dims;
  for (const auto& m : c.common_metrics) {
    prev_items.push_back(sql_name(m.name));
    new_items.push_back(fmt::format("-{0} AS {0}", sql_name(m.name)));
    // Differs: previous minus new is not 0, or only the previous version has values (the new
    // total is NULL where the previous one is not, which a difference of 0 hides).
    having.push_back(
        fmt::format("SUM({0}) <> 0 OR (COUNTIF(_previous_rows = 1 AND {0} IS NOT NULL) > 0 AND "
                    "COUNTIF(_new_rows = 1 AND {0} IS NOT NULL) = 0)",
                    sql_name(m.name)));
  }
  prev_items.push_back("1 AS _previous_rows");
  prev_items.push_back("0 AS _new_rows");
  new_items.push_back("0 AS _previous_rows");
  new_items.push_back("1 AS _new_rows");
  std::vector<std::string> shredded_items, final_items, final_shredded_items;
  for (const auto& col : next.analysis.columns) {
    std::string name = sql_name(col.name);
    final_items.push_back(name);
    auto is = [&](const std::vector<ClassifiedColumn>& list) {
      return std::any_of(list.begin(), list.end(),
                         [&](const ClassifiedColumn& x) { return x.name == col.name; });
    };
    if (is(c.common_dimensions)) {
      shredded_items.push_back(name);
      bool restore = col.type == Type::kString && col.expr != nullptr &&
                     analysis::maps_null_to_placeholder(*col.expr);
      final_shredded_items.push_back(restore ? fmt::format("IFNULL({0}, '??') AS {0}", name)
                                             : name);
    } else if (is(c.added_dimensions)) {
      shredded_items.push_back(typed_null(col.type) + " AS " + name);
      final_shredded_items.push_back(name);
    } else if (is(c.common_metrics)) {
      shredded_items.push_back(fmt::format("SUM({0}) AS {0}", name));
      final_shredded_items.push_back(name);
    } else {
      shredded_items.push_back(typed_zero(col.type) + " AS " + name);
      final_shredded_items.push_back(name);
    }
  }
  std::string shredded = fmt::format(
      "SELECT {} FROM (SELECT {} FROM previous_agg UNION ALL SELECT {} FROM new_agg) AS "
      "differences GROUP BY {} HAVING {}",
      join(shredded_items, ", "), join(prev_items, ", "), join(new_items, ", "), join(dims, ", "),
      "SUM(_previous_rows) > 0 AND (SUM(_new_rows) = 0 OR " + join(having, " OR ") + ")");
  return fmt::format(
      "WITH new_version AS ({}), new_agg AS ({}), previous_agg AS ({}), shredded AS ({}) "
      "SELECT {} FROM new_version UNION ALL SELECT {} FROM shredded",
      syntax::print(*next.query), new_agg, previous_agg, shredded, join(final_items, ", "),
      join(final_shredded_items, ", "));
}

std::string build_check(const Version& previous, const Version& next, const Classification& c,
                        const std::string& partition_field, bool previous_first) {
  std::string filter = partition_filter(partition_field);
  std::string prev = aggregate_select(c, sql_table(previous.id), filter, true);
  std::string backfilled = aggregate_select(c, sql_table(next.id), filter, true);
  std::string cte = previous_first ? "previous_not_matching" : "backfilled_not_matching";
  std::string left = previous_first ? "previous_version" : "backfilled";
  std::string right = previous_first ? "backfilled" : "previous_version";
  std::string what =
      previous_first ? fmt::format(
                           " rows of totals per common dimension in {} do not match the backfilled "
                           "{}; first: ",
                           previous.id.table(), next.id.table())
                     : fmt::format(
                           " rows of totals per common dimension in the backfilled {} do not match "
                           "{}; first: ",
                           next.id.table(), previous.id.table());
  return fmt::format(
      "WITH previous_version AS ({}), backfilled AS ({}), {} AS (SELECT * FROM {} EXCEPT "
      "DISTINCT SELECT * FROM {}) SELECT IF((SELECT COUNT(*) FROM {}) > 0, ERROR(CONCAT(CAST(("
      "SELECT COUNT(*) FROM {}) AS STRING), '{}', (SELECT TO_JSON_STRING(ARRAY(SELECT AS STRUCT "
      "* FROM {} LIMIT 1))))), NULL)",
      prev, backfilled, cte, left, right, cte, cte, what, cte);
}

// Parses generated SQL back and prints it in house style; a failure is a shredmit bug.
std::string reformat(const std::string& sql, const char* what) {
  try {
    return syntax::print(*syntax::parse_query(sql));
  } catch (const syntax::SyntaxError& e) {
    throw UserError("<generated " + std::string(what) + ">", e.loc.line, e.loc.column,
                    std::string("internal error, the generated SQL does not parse: ") + e.what() +
                        "; please report this with the input tables");
  }
}

std::string columns_comment(const std::vector<ClassifiedColumn>& cols) {
  std::vector<std::string> names;
  for (const auto& c : cols) names.push_back(c.name);
  return names.empty() ? "(none)" : join(names, ", ");
}

}  // namespace

Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table) {
  fs::path new_dir = tree.table_dir(new_table);
  if (new_table.version < 2) {
    throw UserError(new_dir.string(), 0, 0,
                    fmt::format("{} is version {}; shredder mitigation applies from version 2 "
                                "on, against the previous version: bump the version first",
                                new_table.table(), new_table.version));
  }
  Version next = load_version(tree, new_table, false);
  Version previous = load_version(tree, new_table.with_version(new_table.version - 1), true);

  Mitigation m;
  m.new_table = new_table;
  m.previous_table = previous.id;
  m.classification = classify(previous, next);
  auto partition = previous.metadata.partition_field;
  if (!partition) partition = next.metadata.partition_field;
  if (!partition) {
    throw UserError(previous.metadata.file, 0, 0,
                    "no bigquery.time_partitioning.field: the mitigation reads one partition of "
                    "the previous version; add the partition field to metadata.yaml");
  }
  m.partition_field = *partition;

  const auto& c = m.classification;
  std::string header = fmt::format(
      "-- Shredder mitigation query for {}, generated by shredmit from {} and {}.\n"
      "-- Run it for one partition: {} = @{}.\n"
      "-- Common dimensions: {}\n"
      "-- Added dimensions (NULL in shredded rows): {}\n"
      "-- Common metrics (previous minus new in shredded rows): {}\n"
      "-- New metrics (0 in shredded rows): {}\n",
      new_table.qualified(), new_table.table(), previous.id.table(), m.partition_field,
      m.partition_field, columns_comment(c.common_dimensions), columns_comment(c.added_dimensions),
      columns_comment(c.common_metrics), columns_comment(c.new_metrics));
  m.query_sql = header +
                reformat(build_query(previous, next, c, m.partition_field), "mitigation query") +
                "\n";

  std::string checks = fmt::format(
      "-- Shredder mitigation checks for {}, generated by shredmit.\n"
      "-- Totals of the common metrics per common dimension group must be the same in {} and in\n"
      "-- the backfilled {} for @{}; each statement raises an ERROR when they are not.\n",
      new_table.qualified(), previous.id.table(), new_table.table(), m.partition_field);
  for (bool previous_first : {true, false}) {
    std::string sql = build_check(previous, next, c, m.partition_field, previous_first);
    checks += "\n#fail\n" + reformat(sql, "checks") + ";\n";
  }
  // The whole checks file must parse as statements, comments and all.
  try {
    syntax::parse_statements(checks);
  } catch (const syntax::SyntaxError& e) {
    throw UserError("<generated checks>", e.loc.line, e.loc.column,
                    std::string("internal error: ") + e.what() + "; please report this");
  }
  m.checks_sql = checks;
  return m;
}

std::string format_classification(const Mitigation& m) {
  std::string out =
      fmt::format("shredmit: {} against previous version {}, partition {}\n",
                  m.new_table.qualified(), m.previous_table.table(), m.partition_field);
  auto section = [&out](const char* kind, const char* role,
                        const std::vector<ClassifiedColumn>& cols) {
    for (const auto& c : cols) {
      out += fmt::format("  {:<8} {:<10} {:<32} {}\n", kind, role, c.name,
                         analysis::type_name(c.type));
    }
  };
  const auto& c = m.classification;
  section("COMMON", "dimension", c.common_dimensions);
  section("ADDED", "dimension", c.added_dimensions);
  section("REMOVED", "dimension", c.removed_dimensions);
  section("COMMON", "metric", c.common_metrics);
  section("NEW", "metric", c.new_metrics);
  section("REMOVED", "metric", c.removed_metrics);
  return out;
}

std::vector<fs::path> write_files(const Mitigation& m, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw UserError(dir.string(), 0, 0, "cannot create the output directory: " + ec.message());
  }
  std::vector<fs::path> paths = {dir / "shredder_mitigation_query.sql",
                                 dir / "shredder_mitigation_checks.sql"};
  project::write_file_atomically(paths[0], m.query_sql);
  project::write_file_atomically(paths[1], m.checks_sql);
  return paths;
}

}  // namespace shredmit::mitigation
