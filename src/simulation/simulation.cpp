// Runs the generated mitigation on sample data with GoogleSQL's reference evaluator (see
// simulation.h).
#include "simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "resolve/resolve.h"

namespace shredmit::simulation {
namespace {

namespace fs = std::filesystem;
using analysis::Type;
using engine::Value;

// Where the results simulate computes live in the catalog: a project no user table has.
constexpr const char* kNewQueryTable = "shredmit-simulation.results.new_query";

std::string backticked(const std::string& name) { return "`" + name + "`"; }

// A value of a scalar type as CAST(x AS STRING) writes it, for messages.
const char* example(Type kind) {
  switch (kind) {
    case Type::kInt64:
      return "42";
    case Type::kFloat64:
      return "1.5, NaN, inf";
    case Type::kNumeric:
    case Type::kBigNumeric:
      return "12.345";
    case Type::kDate:
      return "2024-06-01";
    case Type::kDatetime:
      return "2024-06-01 10:00:00";
    case Type::kTimestamp:
      return "2024-06-01 10:00:00+00";
    case Type::kTime:
      return "10:00:00";
    default:
      return "see BigQuery's documentation of the type";
  }
}

// A JSON value of an NDJSON cell as a value of `type`, or nullopt with `why` set.
std::optional<Value> cell(const nlohmann::json& v, const engine::Type& type, std::string& why) {
  if (v.is_null()) {
    if (type.kind == Type::kArray) return Value::list({});  // BigQuery loads null as []
    return Value{};
  }
  auto expect = [&](const std::string& what) -> std::optional<Value> {
    why = fmt::format("is {} but the value is {}", what, v.dump());
    return std::nullopt;
  };
  auto checked = [&](Value x) -> std::optional<Value> {
    if (engine::value_error(type, x)) {
      why = fmt::format("is {} but the value is {}; write it as CAST(x AS STRING) gives it ({})",
                        type.sql(), v.dump(), example(type.kind));
      return std::nullopt;
    }
    return x;
  };
  switch (type.kind) {
    case Type::kInt64:
      if (v.is_number_integer()) return Value::of(v.dump());
      if (v.is_string()) return checked(Value::of(v.get<std::string>()));
      return expect("INT64");
    case Type::kFloat64:
    case Type::kNumeric:
    case Type::kBigNumeric:
      if (v.is_number()) return checked(Value::of(v.dump()));
      if (v.is_string()) return checked(Value::of(v.get<std::string>()));
      return expect(type.sql() + " (a number)");
    case Type::kBool:
      if (v.is_boolean()) return Value::of(v.get<bool>() ? "true" : "false");
      return expect("BOOL (true or false)");
    case Type::kString:
      if (v.is_string()) return Value::of(v.get<std::string>());
      return expect("STRING");
    case Type::kJson:
      return Value::of(v.is_string() ? v.get<std::string>() : v.dump());
    case Type::kDate:
    case Type::kDatetime:
    case Type::kTimestamp:
    case Type::kTime:
      if (v.is_string()) return checked(Value::of(v.get<std::string>()));
      return expect(type.sql() + " (a string such as \"2024-06-01 10:00:00\")");
    case Type::kStruct: {
      if (!v.is_object()) return expect("RECORD (a JSON object)");
      std::vector<Value> fields(type.fields.size());
      for (const auto& [key, value] : v.items()) {
        auto it = std::find_if(type.fields.begin(), type.fields.end(), [&](const engine::Field& f) {
          return base::same_name(f.name, key);
        });
        if (it == type.fields.end()) {
          why = fmt::format("has no field '{}'; add it to the schema or remove it", key);
          return std::nullopt;
        }
        auto x = cell(value, it->type, why);
        if (!x) {
          why = fmt::format("field '{}' {}", key, why);
          return std::nullopt;
        }
        fields[static_cast<size_t>(it - type.fields.begin())] = std::move(*x);
      }
      return Value::list(std::move(fields));
    }
    case Type::kArray: {
      if (!v.is_array()) return expect("REPEATED (a JSON array)");
      std::vector<Value> items;
      for (const auto& item : v) {
        auto x = cell(item, type.element.front(), why);
        if (!x) return std::nullopt;
        items.push_back(std::move(*x));
      }
      return Value::list(std::move(items));
    }
    default:
      why = fmt::format("has type {}, which sample data cannot hold", type.sql());
      return std::nullopt;
  }
}

// Loads DIR/NAME.ndjson, with DIR/NAME.schema.yaml, or else, for NAME PROJECT.DATASET.TABLE, the
// table's schema.yaml in the tree.
void load_table(SampleData& data, const fs::path& ndjson, const project::SqlTree& tree) {
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
  engine::Table table{name, engine::columns_from_schema(schema)};
  std::set<std::string> required;
  for (const auto& f : schema.fields) {
    if (f.mode == "REQUIRED") required.insert(base::name_key(f.name));
  }
  std::vector<std::vector<Value>> rows;
  std::ifstream in(ndjson);
  if (!in) {
    throw base::Error(file, 0, 0, std::string("cannot read the file: ") + std::strerror(errno));
  }
  std::string line;
  int number = 0;
  const auto& columns = table.columns;
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
    std::vector<Value> values(columns.size());
    std::vector<bool> given(columns.size(), false);
    for (const auto& [key, value] : row.items()) {
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const engine::Field& c) { return base::same_name(c.name, key); });
      if (it == columns.end()) {
        throw base::Error(file, number, 1,
                          fmt::format("column '{}' is not in {}; add it to the schema or remove it",
                                      key, schema_path.string()));
      }
      std::string why;
      auto v = cell(value, it->type, why);
      if (!v) throw base::Error(file, number, 1, fmt::format("column '{}' {}", key, why));
      size_t i = static_cast<size_t>(it - columns.begin());
      values[i] = std::move(*v);
      given[i] = true;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!given[i] && columns[i].type.kind == Type::kArray) values[i] = Value::list({});
      if (values[i].null && required.count(base::name_key(columns[i].name))) {
        throw base::Error(file, number, 1,
                          fmt::format("column '{}' is REQUIRED but missing", columns[i].name));
      }
    }
    rows.push_back(std::move(values));
  }
  data.put(std::move(table), std::move(rows));
}

// The value at `path` (field names) of a row of a table with `columns`, or null when the path
// does not exist.
const Value* value_at(const std::vector<engine::Field>& columns, const std::vector<Value>& row,
                      const std::vector<std::string>& path) {
  const std::vector<engine::Field>* fields = &columns;
  const std::vector<Value>* values = &row;
  for (size_t i = 0; i < path.size(); ++i) {
    auto it = std::find_if(fields->begin(), fields->end(), [&](const engine::Field& f) {
      return base::same_name(f.name, path[i]);
    });
    if (it == fields->end()) return nullptr;
    size_t at = static_cast<size_t>(it - fields->begin());
    if (at >= values->size()) return nullptr;
    const Value& v = (*values)[at];
    if (i + 1 == path.size()) return it->type.kind == Type::kString ? &v : nullptr;
    if (it->type.kind != Type::kStruct) return nullptr;
    if (v.null) return &v;
    fields = &it->type.fields;
    values = &v.items;
  }
  return nullptr;
}

nlohmann::json to_json(const engine::Type& type, const Value& v) {
  if (v.null) return nullptr;
  switch (type.kind) {
    case Type::kInt64:
      try {
        return std::stoll(v.text);
      } catch (...) {
        return v.text;
      }
    case Type::kFloat64: {
      char* end = nullptr;
      double x = std::strtod(v.text.c_str(), &end);
      if (end != v.text.c_str() + v.text.size() || !std::isfinite(x)) return v.text;
      return x;
    }
    case Type::kBool:
      return v.text == "true";
    case Type::kStruct: {
      nlohmann::json out = nlohmann::json::object();
      for (size_t i = 0; i < type.fields.size() && i < v.items.size(); ++i) {
        out[type.fields[i].name] = to_json(type.fields[i].type, v.items[i]);
      }
      return out;
    }
    case Type::kArray: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : v.items) out.push_back(to_json(type.element.front(), item));
      return out;
    }
    default:
      return v.text;
  }
}

std::optional<double> number(const Value& v) {
  if (v.null) return std::nullopt;
  char* end = nullptr;
  double x = std::strtod(v.text.c_str(), &end);
  if (v.text.empty() || end != v.text.c_str() + v.text.size()) return std::nullopt;
  return x;
}

// The bindings of `metadata`'s run on `date`: the date parameter, then scheduling.parameters as
// `backfill plan` binds them (one of the same name as the date parameter is the plan's too).
std::vector<engine::Binding> bindings(const project::Metadata& metadata,
                                      const std::string& date_parameter, const std::string& date) {
  std::vector<engine::Binding> out;
  bool scheduled = false;
  for (const auto& text : project::bind_scheduling_parameters(metadata, date)) {
    try {
      out.push_back(engine::binding(text));
    } catch (const base::Error& e) {
      throw base::Error(metadata.file, metadata.scheduling_at.line, metadata.scheduling_at.column,
                        std::string(e.what()) + "; fix scheduling.parameters");
    }
    if (base::same_name(out.back().parameter.name, date_parameter)) scheduled = true;
  }
  if (!scheduled) {
    out.insert(out.begin(),
               engine::Binding{{date_parameter, engine::scalar(Type::kDate)}, Value::of(date)});
  }
  return out;
}

}  // namespace

const engine::Table* SampleData::find(std::string_view name) const {
  for (const auto& t : catalog.tables) {
    if (base::same_name(t.name, name)) return &t;
  }
  return nullptr;
}

void SampleData::put(engine::Table table, std::vector<std::vector<Value>> table_rows) {
  remove(table.name);
  rows[table.name] = std::move(table_rows);
  catalog.tables.push_back(std::move(table));
}

void SampleData::remove(std::string_view name) {
  auto& tables = catalog.tables;
  for (auto it = tables.begin(); it != tables.end(); ++it) {
    if (base::same_name(it->name, name)) {
      rows.erase(it->name);
      tables.erase(it);
      return;
    }
  }
}

SampleData load_sample_data(const fs::path& data_dir, const project::SqlTree& tree) {
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
  SampleData data;
  data.folder = data_dir;
  for (const auto& f : files) load_table(data, f, tree);
  return data;
}

std::set<std::string> read_deleted_clients(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw base::Error(file.string(), 0, 0,
                      std::string("cannot read the deleted clients: ") + std::strerror(errno) +
                          "; give a file with one client id per line");
  }
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::string id = base::trim(line);
    if (id.empty() || id[0] == '#') continue;
    out.insert(id);
  }
  return out;
}

std::map<std::string, size_t> delete_clients(SampleData& data, const std::set<std::string>& clients,
                                             const std::string& id_column,
                                             const std::set<std::string>& keep) {
  std::map<std::string, size_t> removed;
  std::vector<std::vector<std::string>> paths;
  if (!id_column.empty()) {
    paths.push_back(base::split(id_column, "."));
  } else {
    paths = {{"client_id"}, {"client_info", "client_id"}};
  }
  for (const auto& table : data.catalog.tables) {
    bool kept = false;
    for (const auto& k : keep) kept = kept || base::same_name(k, table.name);
    if (kept) continue;
    auto& rows = data.rows[table.name];
    for (const auto& path : paths) {
      if (rows.empty()) break;
      // The first path the table has is its id.
      bool has = value_at(table.columns, rows.front(), path) != nullptr;
      if (!has) continue;
      size_t before = rows.size();
      std::erase_if(rows, [&](const std::vector<Value>& row) {
        const Value* id = value_at(table.columns, row, path);
        return id != nullptr && !id->null && clients.count(id->text) > 0;
      });
      if (rows.size() < before) removed[table.name] = before - rows.size();
      break;
    }
  }
  return removed;
}

std::string to_ndjson(const engine::Rows& rows) {
  std::string out;
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json line = nlohmann::ordered_json::object();
    for (size_t i = 0; i < rows.columns.size() && i < row.size(); ++i) {
      line[rows.columns[i].name] = to_json(rows.columns[i].type, row[i]);
    }
    out += line.dump() + "\n";
  }
  return out;
}

std::vector<std::vector<Value>> conform(const engine::Rows& result,
                                        const std::vector<engine::Field>& columns,
                                        const std::string& schema_file) {
  std::vector<size_t> from;
  for (const auto& c : result.columns) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const engine::Field& f) { return base::same_name(f.name, c.name); });
    if (it == columns.end()) {
      throw base::Error(schema_file, 0, 0,
                        fmt::format("the query writes column {} that the table's schema does not "
                                    "have; update schema.yaml",
                                    c.name));
    }
    from.push_back(static_cast<size_t>(it - columns.begin()));
  }
  std::vector<std::vector<Value>> out;
  for (const auto& row : result.rows) {
    std::vector<Value> values(columns.size());
    for (size_t i = 0; i < row.size() && i < from.size(); ++i) values[from[i]] = row[i];
    for (size_t i = 0; i < columns.size(); ++i) {
      if (values[i].null && columns[i].type.kind == Type::kArray) values[i] = Value::list({});
    }
    out.push_back(std::move(values));
  }
  return out;
}

namespace {

// Evaluates `sql` for run_query and run_check, after checking that each table it reads has data;
// throws (located in `file`) for a table without data.
engine::Evaluation evaluate_on(const std::string& sql, const std::string& file, const Run& run,
                               bool generated) {
  syntax::Script script;
  try {
    script = syntax::parse_statements(sql);
  } catch (const syntax::SyntaxError& e) {
    throw base::Error(file, e.loc.line, e.loc.column, e.what(),
                      generated ? base::ErrorKind::kInternal : base::ErrorKind::kInput);
  }
  std::set<std::string> known;
  for (const auto& t : run.data->catalog.tables) known.insert(t.name);
  for (const auto& s : script.statements) {
    if (s->kind != syntax::StatementKind::kQuery) continue;
    resolve::Resolution resolution(*s->as<syntax::QueryStatement>().query);
    for (const auto& [path, at] : resolution.tables_read()) {
      auto name = engine::qualified_table(path, run.project);
      if (name && run.data->find(*name)) continue;
      if (run.data->find(path)) continue;
      std::string shown = name.value_or(path);
      throw base::Error(
          file, at.line, at.column,
          fmt::format("table {} has no data file; add {} (with its schema.yaml in the "
                      "tree or {} beside it)",
                      path, (run.data->folder / (shown + ".ndjson")).string(),
                      shown + ".schema.yaml"));
    }
  }
  engine::Catalog catalog = run.data->catalog;
  engine::FromTree from = engine::catalog_from_tree(sql, *run.tree, run.project, known);
  for (auto& f : from.catalog.functions) catalog.functions.push_back(std::move(f));
  return engine::evaluate(sql, catalog, run.data->rows, run.parameters);
}

// Throws the error of an evaluation that did not run: an unbound parameter, a failure on the
// data, or a refusal.
[[noreturn]] void refuse(const engine::Evaluation& e, const std::string& file, const Run& run,
                         bool generated) {
  const auto& v = e.verdict;
  base::ErrorKind kind = generated ? base::ErrorKind::kInternal : base::ErrorKind::kInput;
  if (auto name = engine::unbound_parameter(v)) {
    throw base::Error(file, v.at.line, v.at.column,
                      fmt::format("query parameter @{} has no value; {}", *name, run.how_to_bind),
                      kind);
  }
  if (e.failed_while_running) {
    throw base::Error(file, v.at.line, v.at.column,
                      "the query fails on the sample data: " + v.message, kind);
  }
  throw base::Error(file, v.at.line, v.at.column,
                    "GoogleSQL refuses this query: " + v.message +
                        (generated ? "" : "; BigQuery would refuse it too, fix it"),
                    kind);
}

}  // namespace

std::string display(const Value& v) {
  if (v.null) return "NULL";
  if (v.items.empty()) return v.text;
  std::vector<std::string> items;
  for (const auto& item : v.items) items.push_back(display(item));
  return "[" + base::join(items, ", ") + "]";
}

engine::Rows run_query(const std::string& sql, const std::string& file, const Run& run,
                       bool generated) {
  engine::Evaluation e = evaluate_on(sql, file, run, generated);
  if (!e.verdict.accepted()) refuse(e, file, run, generated);
  return std::move(e.result);
}

std::optional<std::string> run_check(const std::string& sql, const std::string& file,
                                     const Run& run, bool generated) {
  engine::Evaluation e = evaluate_on(sql, file, run, generated);
  if (e.verdict.accepted()) return std::nullopt;
  if (e.failed_while_running) return e.verdict.message;
  refuse(e, file, run, generated);
}

Result simulate(const Options& o) {
  Result r;
  r.mitigation = mitigation::generate(o.tree, o.table, o.mitigation);
  const auto& m = r.mitigation;
  const analysis::Preconditions& pre = *m.preconditions;
  for (const auto& d : m.classification.common_dimensions) r.dimensions.push_back(d.name);
  for (const auto& x : m.classification.common_metrics) r.metrics.push_back(x.name);
  if (!base::is_iso_date(o.date)) {
    throw base::Error::usage("--date takes YYYY-MM-DD, got '" + o.date + "'");
  }

  SampleData data = load_sample_data(o.data_dir, o.tree);
  std::string previous = m.previous_table.qualified();
  if (data.find(m.staging_table)) {
    throw base::Error(m.staging_table, 0, 0,
                      "the staging table has a data file in --data; simulate writes it from the "
                      "mitigation query: remove its .ndjson");
  }
  const std::string& parameter = m.partitioning.parameter;
  Run run{&data, &o.tree, m.new_table.project, bindings(*pre.next.metadata, parameter, o.date),
          fmt::format("simulate binds @{} to --date and scheduling.parameters of metadata.yaml "
                      "as backfill plan binds them: add it there",
                      parameter)};

  // The previous version's table, computed from its query before shredder ran.
  if (!data.find(previous)) {
    if (o.deleted_clients.empty()) {
      throw base::Error(o.data_dir.string(), 0, 0,
                        fmt::format("table {} (the previous version) has no data file; add {} or "
                                    "give --deleted-clients FILE to compute it from the previous "
                                    "version's query on the upstream rows before deletion",
                                    previous, (o.data_dir / (previous + ".ndjson")).string()));
    }
    Run before = run;
    before.parameters = bindings(*pre.previous.metadata, parameter, o.date);
    engine::Rows rows = run_query(m.previous_query.sql->sql, m.previous_query.file, before);
    auto columns = engine::columns_from_schema(*pre.previous.schema);
    r.previous_table = {columns, conform(rows, columns, pre.previous.schema->file)};
    data.put(engine::Table{previous, columns}, r.previous_table.rows);
    r.previous_computed = true;
    r.previous_rows_computed = rows.rows.size();
  }
  if (!o.deleted_clients.empty()) {
    r.deleted_rows = delete_clients(data, read_deleted_clients(o.deleted_clients),
                                    o.client_id_column, {previous});
  }

  engine::Rows new_rows = run_query(m.new_query.sql->sql, m.new_query.file, run);
  r.new_query_rows = new_rows.rows.size();
  data.put(engine::Table{kNewQueryTable, new_rows.columns}, new_rows.rows);
  r.backfilled = run_query(m.query_sql, "shredder_mitigation_query.sql", run, true);
  r.mitigated_rows = r.backfilled.rows.size();
  data.put(engine::Table{m.staging_table, r.backfilled.columns}, r.backfilled.rows);

  // Totals per common dimension group in each of the three sources, in one statement.
  std::vector<std::string> keys, group;
  for (const auto& d : m.classification.common_dimensions) {
    std::string name = backticked(d.name);
    keys.push_back(d.type == Type::kString ? fmt::format("NULLIF({0}, '??') AS {0}", name) : name);
    group.push_back(name);
  }
  std::vector<std::string> metrics, sums;
  for (const auto& x : m.classification.common_metrics) metrics.push_back(backticked(x.name));
  for (const auto& x : metrics) {
    auto of = [&](int source) { return fmt::format("SUM(IF(_source = {}, {}, NULL))", source, x); };
    sums.push_back(fmt::format("{}, {}, {}, {} - {}", of(0), of(1), of(2), of(2), of(0)));
  }
  std::string columns =
      base::join(keys, ", ") + (keys.empty() ? "" : ", ") + base::join(metrics, ", ");
  std::string totals_sql = fmt::format(
      "SELECT {}{}{} FROM (\n"
      "  SELECT 0 AS _source, {} FROM {} WHERE {}\n"
      "  UNION ALL SELECT 1, {} FROM {}\n"
      "  UNION ALL SELECT 2, {} FROM {}\n)",
      base::join(group, ", "), group.empty() ? "" : ", ", base::join(sums, ", "), columns,
      backticked(previous), mitigation::partition_filter(m.partitioning), columns,
      backticked(kNewQueryTable), columns, backticked(m.staging_table));
  if (!group.empty()) {
    totals_sql += " GROUP BY " + base::join(group, ", ") + " ORDER BY " + base::join(group, ", ");
  }
  engine::Rows totals = run_query(totals_sql, "<simulate totals>", run, true);
  for (const auto& row : totals.rows) {
    GroupTotals g;
    g.dimensions.assign(row.begin(), row.begin() + static_cast<long>(group.size()));
    for (size_t i = 0; i < metrics.size(); ++i) {
      size_t at = group.size() + 4 * i;
      g.metrics.push_back({row[at], row[at + 1], row[at + 2], row[at + 3]});
    }
    r.groups.push_back(std::move(g));
  }

  // The generated check raises ERROR() when totals differ; its mismatch query lists the rows it
  // counts, and the report statement sums up the compensation.
  const char* checks_file = "shredder_mitigation_checks.sql";
  if (auto failure = run_check(m.check_sql, checks_file, run, true)) {
    r.check_failures.push_back(*failure);
  }
  r.mismatches = run_query(m.mismatches_sql, checks_file, run, true);
  if (!m.report_sql.empty()) r.report = run_query(m.report_sql, checks_file, run, true);
  for (const auto& v : m.validation) {
    // The compensation statement is the checks' report, already run above.
    r.validation.emplace_back(
        v.name, v.sql == m.report_sql
                    ? r.report
                    : run_query(v.sql, "shredder_mitigation_validation.sql", run, true));
  }
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

}  // namespace

std::string format(const Result& r) {
  const auto& m = r.mitigation;
  std::string out = fmt::format("shredmit simulate: {} against {}, partition {}, baseline {}\n",
                                m.new_table.qualified(), m.previous_table.table(),
                                m.partition_field, mitigation::baseline_name(m.baseline));
  if (r.previous_computed) {
    out += fmt::format(
        "previous table: {} rows computed by the previous version's query before "
        "deletion\n",
        r.previous_rows_computed);
  }
  if (!r.deleted_rows.empty()) {
    std::vector<std::string> parts;
    for (const auto& [table, n] : r.deleted_rows) parts.push_back(fmt::format("{} {}", n, table));
    out += "deleted client rows: " + base::join(parts, ", ") + "\n";
  }
  out += fmt::format(
      "new query: {} rows; mitigated: {} rows ({} shredded rows added)\n"
      "common dimensions: {}\n\n",
      r.new_query_rows, r.mitigated_rows,
      static_cast<long>(r.mitigated_rows) - static_cast<long>(r.new_query_rows),
      base::join(r.dimensions, ", "));
  std::vector<std::vector<std::string>> table = {
      {"group", "metric", "previous", "new query", "mitigated", "difference"}};
  for (const auto& group : r.groups) {
    std::vector<std::string> label;
    for (const auto& v : group.dimensions) label.push_back(display(v));
    for (size_t i = 0; i < r.metrics.size(); ++i) {
      const auto& [previous, next, mitigated, difference] = group.metrics[i];
      table.push_back({i == 0 ? base::join(label, ",") : "", r.metrics[i], display(previous),
                       display(next), display(mitigated), display(difference)});
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
        cells.push_back(display(row[i]));
      }
      rows.push_back(std::move(cells));
    }
    out += fmt::format("mismatches found by the check ({}):\n", r.mismatches.rows.size()) +
           render_table(rows, 3) + "\n";
  }

  if (!r.report.columns.empty()) {
    std::vector<std::vector<std::string>> report = {{"metric", "kind", "previous total",
                                                     "compensated", "share", "groups lost",
                                                     "groups held back"}};
    for (const auto& row : r.report.rows) {
      std::vector<std::string> cells;
      for (size_t i = 0; i < row.size(); ++i) {
        if (i == 4 && number(row[i])) {
          cells.push_back(fmt::format("{:.2f}%", 100 * *number(row[i])));
        } else {
          cells.push_back(display(row[i]));
        }
      }
      report.push_back(std::move(cells));
    }
    out += "compensation (the checks file's report):\n" + render_table(report, 2) + "\n";
  }
  if (r.passed()) {
    out += "checks: PASS (totals per common dimension group match the contract)\n";
  } else {
    for (const auto& f : r.check_failures) out += "checks: FAIL: " + f + "\n";
  }
  return out;
}

}  // namespace shredmit::simulation
