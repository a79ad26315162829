// Runs the generated mitigation on sample data in SQLite (see simulation.h).
#include "simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "resolve/resolve.h"

namespace shredmit::simulation {
namespace {

namespace fs = std::filesystem;
using analysis::Type;
using lowering::Value;

struct LoadedTable {
  std::string name;
  std::vector<lowering::Column> columns;
};

// A JSON value of one NDJSON cell as the SQLite value of a column of `type`, or an error text.
std::optional<Value> cell(const nlohmann::json& v, const lowering::Column& c, std::string& why) {
  if (v.is_null()) {
    if (c.required) {
      why = "is REQUIRED but null";
      return std::nullopt;
    }
    return Value{};
  }
  auto expect = [&](const char* what) -> std::optional<Value> {
    why = fmt::format("is {} but the value is {}", what, v.dump());
    return std::nullopt;
  };
  switch (c.type) {
    case Type::kInt64:
      if (v.is_number_integer()) return Value(v.get<int64_t>());
      if (v.is_string()) {
        if (auto x = lowering::parse_typed_text(c.type, v.get<std::string>())) return x;
      }
      return expect("INT64");
    case Type::kFloat64:
    case Type::kNumeric:
    case Type::kBigNumeric:
      if (v.is_number()) return Value(v.get<double>());
      if (v.is_string()) {
        if (auto x = lowering::parse_typed_text(c.type, v.get<std::string>())) return x;
      }
      return expect("a number");
    case Type::kBool:
      if (v.is_boolean()) return Value(int64_t{v.get<bool>() ? 1 : 0});
      return expect("BOOL");
    case Type::kString:
      if (v.is_string()) return Value(v.get<std::string>());
      return expect("STRING");
    case Type::kDate:
    case Type::kDatetime:
    case Type::kTimestamp:
      if (v.is_string()) {
        if (auto x = lowering::parse_typed_text(c.type, v.get<std::string>())) return x;
      }
      return expect(c.type == Type::kDate ? "DATE (YYYY-MM-DD)"
                                          : "DATETIME or TIMESTAMP (YYYY-MM-DD HH:MM:SS[.ffffff])");
    case Type::kStruct:
      if (v.is_object()) return Value(v.dump());
      return expect("RECORD (a JSON object)");
    default:
      why = fmt::format("has type {}, which simulate does not load", analysis::type_name(c.type));
      return std::nullopt;
  }
}

// Loads DIR/NAME.ndjson into the database, with DIR/NAME.schema.yaml, or else, for NAME
// PROJECT.DATASET.TABLE, the table's schema.yaml in the tree.
LoadedTable load_table(lowering::Database& db, const fs::path& ndjson,
                       const project::SqlTree& tree) {
  std::string file = ndjson.string();
  std::string name = ndjson.filename().string();
  name = name.substr(0, name.size() - std::string(".ndjson").size());
  fs::path schema_path = ndjson.parent_path() / (name + ".schema.yaml");
  if (!fs::exists(schema_path)) {
    auto parts = base::split(name, ".");
    fs::path in_tree = parts.size() == 3
                           ? tree.sql_dir / parts[0] / parts[1] / parts[2] / "schema.yaml"
                           : fs::path();
    if (in_tree.empty() || !fs::exists(in_tree)) {
      throw base::Error(schema_path.string(), 0, 0,
                        "file not found; every NAME.ndjson needs NAME.schema.yaml beside it (the "
                        "bigquery-etl schema.yaml format), or the table's schema.yaml in the "
                        "tree (sql/PROJECT/DATASET/TABLE/schema.yaml)");
    }
    schema_path = in_tree;
  }
  project::Schema schema = project::load_schema(schema_path, tree);
  LoadedTable t;
  t.name = name;
  for (const auto& f : schema.fields) {
    if (f.mode == "REPEATED") {
      throw base::Error(schema.file, f.line, f.column,
                        "REPEATED field '" + f.name + "' is not supported by simulate; remove it");
    }
    t.columns.push_back({f.name, analysis::type_from_schema(f), f.mode == "REQUIRED"});
  }
  db.create_table(name, t.columns);
  std::ifstream in(ndjson);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw base::Error(file, number, static_cast<int>(e.byte),
                        "not a JSON object: " + std::string(e.what()) + "; write one row per line");
    }
    if (!row.is_object()) throw base::Error(file, number, 1, "each line must be a JSON object");
    std::vector<Value> values(t.columns.size());
    for (const auto& [key, value] : row.items()) {
      auto it = std::find_if(t.columns.begin(), t.columns.end(),
                             [&](const lowering::Column& c) { return c.name == key; });
      if (it == t.columns.end()) {
        throw base::Error(file, number, 1,
                          fmt::format("column '{}' is not in {}; add it to the schema or remove it",
                                      key, schema_path.string()));
      }
      std::string why;
      auto v = cell(value, *it, why);
      if (!v) throw base::Error(file, number, 1, fmt::format("column '{}' {}", key, why));
      values[static_cast<size_t>(it - t.columns.begin())] = *v;
    }
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i].required && std::holds_alternative<std::monostate>(values[i])) {
        throw base::Error(file, number, 1,
                          fmt::format("column '{}' is REQUIRED but missing", t.columns[i].name));
      }
    }
    db.insert(name, values);
  }
  return t;
}

std::string key_of(const std::vector<Value>& values) {
  std::string key;
  for (const auto& v : values) {
    key += std::holds_alternative<std::monostate>(v) ? std::string("\x01") : lowering::to_string(v);
    key += '\x00';
  }
  return key;
}

std::string quote(const std::string& name) { return "\"" + name + "\""; }

}  // namespace

lowering::Catalog load_sample_data(lowering::Database& db, const fs::path& data_dir,
                                   const project::SqlTree& tree) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) {
    throw base::Error(data_dir.string(), 0, 0,
                      "--data is not a directory; give the folder of NAME.ndjson files");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (entry.path().extension() == ".ndjson") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  lowering::Catalog catalog;
  for (const auto& f : files) {
    LoadedTable t = load_table(db, f, tree);
    for (const auto& c : t.columns) catalog[t.name].push_back(c.name);
  }
  return catalog;
}

std::string lower_with_parameters(const syntax::Query& query, const std::string& file,
                                  const lowering::Catalog& catalog,
                                  const std::map<std::string, Value>& bound,
                                  std::string_view how_to_bind) {
  lowering::Options lo;
  lo.file = file;
  lo.catalog = &catalog;
  auto lowered = lowering::lower(query, lo);
  for (const auto& name : lowered.parameters) {
    if (!bound.count(name)) {
      throw base::Error(file, 0, 0,
                        fmt::format("query parameter @{} has no value; {}", name, how_to_bind));
    }
  }
  return lowered.sql;
}

std::map<std::string, syntax::Location> read_tables(const syntax::Query& query) {
  std::map<std::string, syntax::Location> out;
  for (const auto& [path, loc] : resolve::Resolution(query).tables_read()) out.emplace(path, loc);
  return out;
}

Result simulate(const Options& o) {
  Result r;
  r.mitigation = mitigation::generate(o.tree, o.table, o.mitigation);
  const auto& m = r.mitigation;
  for (const auto& d : m.classification.common_dimensions) r.dimensions.push_back(d.name);
  for (const auto& x : m.classification.common_metrics) r.metrics.push_back(x.name);
  if (!lowering::parse_typed_text(Type::kDate, o.date)) {
    throw base::Error::usage("--date takes YYYY-MM-DD, got '" + o.date + "'");
  }

  lowering::Database db;
  lowering::Catalog catalog = load_sample_data(db, o.data_dir, o.tree);
  auto require_table = [&](const std::string& name, const std::string& file, syntax::Location loc) {
    if (!catalog.count(name)) {
      throw base::Error(file, loc.line, loc.column,
                        fmt::format("table {} has no data file; add {} and {}", name,
                                    (o.data_dir / (name + ".ndjson")).string(),
                                    (o.data_dir / (name + ".schema.yaml")).string()));
    }
  };

  // The queries generate read (project::read_table_query), not read again.
  std::vector<const project::TableQuery*> read_by = {&m.new_query};
  if (m.baseline == mitigation::Baseline::kPreviousQuery) read_by.push_back(&m.previous_query);
  for (const project::TableQuery* q : read_by) {
    for (const auto& [name, loc] : read_tables(*q->query)) require_table(name, q->file, loc);
  }
  std::string previous = m.previous_table.qualified();
  require_table(previous, o.data_dir.string(), {});
  if (catalog.count(m.staging_table)) {
    throw base::Error(m.staging_table, 0, 0,
                      "the staging table has a data file in --data; simulate writes it from the "
                      "mitigation query: remove its .ndjson");
  }

  const std::string& parameter = m.partitioning.parameter;
  std::map<std::string, Value> parameters = {{parameter, o.date}};
  std::string how_to_bind = fmt::format("simulate binds only @{} (--date)", parameter);
  auto lower = [&](const syntax::Query& q, const std::string& file) {
    return lower_with_parameters(q, file, catalog, parameters, how_to_bind);
  };
  auto run = [&](const std::string& sql) {
    try {
      return db.query(sql, parameters);
    } catch (const std::runtime_error& e) {
      throw base::Error("<simulation>", 0, 0, std::string("SQLite: ") + e.what());
    }
  };

  run("CREATE TABLE new_query AS " + lower(*m.new_query.query, m.new_query.file));
  auto mitigation_query = syntax::parse_query(m.query_sql);
  std::string new_table = m.staging_table;
  run("CREATE TABLE " + quote(new_table) + " AS " +
      lower(*mitigation_query, "shredder_mitigation_query.sql"));
  catalog[new_table] = run("SELECT * FROM " + quote(new_table) + " LIMIT 0").columns;
  r.new_query_rows =
      static_cast<size_t>(std::get<int64_t>(run("SELECT COUNT(*) FROM new_query").rows[0][0]));
  r.mitigated_rows = static_cast<size_t>(
      std::get<int64_t>(run("SELECT COUNT(*) FROM " + quote(new_table)).rows[0][0]));

  // Totals per common dimension group in each of the three sources.
  std::vector<std::string> keys, sums;
  for (const auto& d : m.classification.common_dimensions) {
    keys.push_back(d.type == Type::kString ? fmt::format("NULLIF({}, '??')", quote(d.name))
                                           : quote(d.name));
  }
  for (const auto& x : m.classification.common_metrics)
    sums.push_back("SUM(" + quote(x.name) + ")");
  auto totals = [&](const std::string& source, const std::string& where) {
    std::string sql = "SELECT ";
    for (size_t i = 0; i < keys.size(); ++i) sql += keys[i] + ", ";
    for (size_t i = 0; i < sums.size(); ++i) sql += (i ? ", " : "") + sums[i];
    sql += " FROM " + source + where + " GROUP BY ";
    for (size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : "") + keys[i];
    return run(sql);
  };
  std::map<std::string, GroupTotals> groups;
  auto add = [&](const lowering::Rows& rows, size_t slot) {
    for (const auto& row : rows.rows) {
      std::vector<Value> dims(row.begin(), row.begin() + static_cast<long>(keys.size()));
      auto& g = groups[key_of(dims)];
      if (g.dimensions.empty()) {
        g.dimensions = dims;
        g.metrics.resize(sums.size());
      }
      for (size_t i = 0; i < sums.size(); ++i) g.metrics[i][slot] = row[keys.size() + i];
    }
  };
  add(totals(quote(previous), " WHERE " + quote(m.partition_field) + " = :" + parameter), 0);
  add(totals("new_query", ""), 1);
  add(totals(quote(new_table), ""), 2);
  for (auto& [key, g] : groups) r.groups.push_back(std::move(g));

  // The generated check raises ERROR() when totals differ; its mismatch query lists the rows it
  // counts, and the report statement sums up the compensation.
  const char* checks_file = "shredder_mitigation_checks.sql";
  try {
    db.query(lower(*syntax::parse_query(m.check_sql), checks_file), parameters);
  } catch (const std::runtime_error& e) {
    r.check_failures.push_back(e.what());
  }
  r.mismatches = run(lower(*syntax::parse_query(m.mismatches_sql), checks_file));
  r.report = run(lower(*syntax::parse_query(m.report_sql), checks_file));
  return r;
}

namespace {

// Columns aligned: text columns left, numeric ones (index >= numeric_from) right.
std::string render_table(const std::vector<std::vector<std::string>>& table, size_t numeric_from) {
  std::vector<size_t> widths(table.empty() ? 0 : table[0].size(), 0);
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - row[i].size(), ' ');
      line += (i ? "  " : "") + (i >= numeric_from ? pad + row[i] : row[i] + pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::optional<double> number(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  return std::nullopt;
}

}  // namespace

std::string format(const Result& r) {
  const auto& m = r.mitigation;
  std::string out = fmt::format(
      "shredmit simulate: {} against {}, partition {}, baseline {}\n"
      "new query: {} rows; mitigated: {} rows ({} shredded rows added)\n"
      "common dimensions: {}\n\n",
      m.new_table.qualified(), m.previous_table.table(), m.partition_field,
      mitigation::baseline_name(m.baseline), r.new_query_rows, r.mitigated_rows,
      r.mitigated_rows - r.new_query_rows, [&] {
        std::string s;
        for (size_t i = 0; i < r.dimensions.size(); ++i) s += (i ? ", " : "") + r.dimensions[i];
        return s;
      }());
  std::vector<std::vector<std::string>> table = {
      {"group", "metric", "previous", "new query", "mitigated", "difference"}};
  for (size_t g = 0; g < r.groups.size(); ++g) {
    const auto& group = r.groups[g];
    std::string label;
    for (size_t i = 0; i < group.dimensions.size(); ++i) {
      const Value& v = group.dimensions[i];
      bool boolean = m.classification.common_dimensions[i].type == Type::kBool &&
                     std::holds_alternative<int64_t>(v);
      label += (i ? "," : "") + (boolean ? std::string(std::get<int64_t>(v) ? "true" : "false")
                                         : lowering::to_string(v));
    }
    for (size_t i = 0; i < r.metrics.size(); ++i) {
      const auto& [previous, next, mitigated] = group.metrics[i];
      std::string difference = "NULL";
      if (std::holds_alternative<int64_t>(previous) && std::holds_alternative<int64_t>(mitigated)) {
        difference = std::to_string(std::get<int64_t>(mitigated) - std::get<int64_t>(previous));
      } else if (number(previous) && number(mitigated)) {
        difference = fmt::format("{:.6g}", *number(mitigated) - *number(previous));
      }
      table.push_back({i == 0 ? label : "", r.metrics[i], lowering::to_string(previous),
                       lowering::to_string(next), lowering::to_string(mitigated), difference});
    }
  }
  out += render_table(table, 2) + "\n";

  if (!r.mismatches.rows.empty()) {
    bool expected = m.baseline == mitigation::Baseline::kPreviousQuery;
    std::vector<std::vector<std::string>> rows = {
        expected ? std::vector<std::string>{"group", "metric", "kind", "previous", "expected",
                                            "backfilled", "difference"}
                 : std::vector<std::string>{"group", "metric", "kind", "previous", "backfilled",
                                            "difference"}};
    for (const auto& row : r.mismatches.rows) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < row.size(); ++i) {
        if (i == 4 && !expected) continue;  // expected equals previous
        cells.push_back(lowering::to_string(row[i]));
      }
      rows.push_back(std::move(cells));
    }
    out += fmt::format("mismatches found by the check ({}):\n", r.mismatches.rows.size()) +
           render_table(rows, 3) + "\n";
  }

  std::vector<std::vector<std::string>> report = {{"metric", "kind", "previous total",
                                                   "compensated", "share", "groups lost",
                                                   "groups held back"}};
  for (const auto& row : r.report.rows) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i == 4 && number(row[i])) {
        cells.push_back(fmt::format("{:.2f}%", 100 * *number(row[i])));
      } else {
        cells.push_back(lowering::to_string(row[i]));
      }
    }
    report.push_back(std::move(cells));
  }
  out += "compensation (the checks file's report):\n" + render_table(report, 2) + "\n";
  if (r.passed()) {
    out += "checks: PASS (totals per common dimension group match the contract)\n";
  } else {
    for (const auto& f : r.check_failures) out += "checks: FAIL: " + f + "\n";
  }
  return out;
}

}  // namespace shredmit::simulation
