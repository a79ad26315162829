// Property tests of the shredder mitigation: random scenarios are generated, the mitigation query
// and checks are generated from their bigquery-etl files and run with GoogleSQL's reference
// evaluator (BigQuery's semantics), and the properties of the mitigation contract are checked on
// the result.
//
// Each scenario is one of five kinds (seed % 5):
// - shredding alone, baseline new-query; shredding alone, baseline previous-query: the checks pass
//   and the totals per common group equal the previous ones (floats within tolerance, whatever
//   the summation order: upstream rows are shuffled after the previous version is computed);
// - late rows (a client whose rows reach the upstream table after the previous version ran) and
//   a re-mapped common dimension value (rows moved into another group by an upstream
//   redefinition), either baseline: the checks fail and name the group that grew and its
//   row count;
// - an intentional filter in the new version, baseline previous-query: the filter is kept (each
//   group's total is the previous one plus the new query's minus the previous query's re-run)
//   and the checks pass.
// In every kind no count metric is compensated with a negative amount, no placeholder value
// reaches the output, and every row of the new query is kept.
//
// SHREDMIT_PROPERTY_SCENARIOS sets how many scenarios run (default 100, about 30 s: each scenario
// is a dozen evaluations by the engine; the full 1,000 take about 5 minutes and are run before a
// change to the mitigation lands, see docs/simulate.md); SHREDMIT_PROPERTY_SEED runs the one
// scenario with that seed. A failing scenario prints its seed and its SQL.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <variant>

#include "engine/engine.h"
#include "mitigation/mitigation.h"
#include "report/report.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using analysis::Type;
// A cell as the scenarios describe it: NULL, INT64 (and BOOL as 0/1), FLOAT64 (and NUMERIC), or
// the text of any other type.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using mitigation::Baseline;

constexpr const char* kDate = "2024-06-01";

enum class Kind { kShred, kShredPrevious, kLate, kRemap, kFilter };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kShred:
      return "shredding, baseline new-query";
    case Kind::kShredPrevious:
      return "shredding, baseline previous-query";
    case Kind::kLate:
      return "late rows";
    case Kind::kRemap:
      return "re-mapped dimension value";
    case Kind::kFilter:
      return "intentional filter, baseline previous-query";
  }
  return "";
}

struct Dimension {
  std::string column;  // upstream column
  std::string name;    // output column
  Type type;
  bool placeholder_v1 = false;  // STRING written as IFNULL(column, '??') in version 1
  bool placeholder_v2 = false;  // ... in version 2
};

struct Metric {
  std::string name;
  std::string expression;  // over the upstream columns
  Type type;
  bool is_signed = false;  // declared with --signed-metric
};

using Row = std::vector<Value>;  // submission_date, client_id, then the other upstream columns

struct Scenario {
  uint64_t seed;
  Kind kind;
  Baseline baseline;
  std::string staging_table;  // empty: the new version's table
  std::vector<Dimension> common, removed, added;
  std::vector<Metric> common_metrics, new_metrics;
  std::vector<std::pair<std::string, Type>> upstream;  // columns of p.d.clients
  std::vector<Row> rows;                               // when the previous version ran
  std::set<std::string> shredded;
  std::vector<Row> final_rows;  // the upstream table when the backfill runs
  Row target;                   // late and re-mapped rows land in this row's common group
  std::string v1, v2;
};

const char* type_sql(Type t) {
  switch (t) {
    case Type::kString:
      return "STRING";
    case Type::kInt64:
      return "INTEGER";
    case Type::kFloat64:
      return "FLOAT";
    case Type::kNumeric:
      return "NUMERIC";
    case Type::kBool:
      return "BOOLEAN";
    case Type::kDate:
      return "DATE";
    case Type::kDatetime:
      return "DATETIME";
    case Type::kTimestamp:
      return "TIMESTAMP";
    case Type::kBigNumeric:
      return "BIGNUMERIC";
    case Type::kTime:
      return "TIME";
    case Type::kBytes:
      return "BYTES";
    default:
      return "STRING";
  }
}

// Values of each dimension type, NULL included; strings include the '??' placeholder.
Value random_value(Type t, std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  if (pick(5) == 0) return std::monostate{};
  switch (t) {
    case Type::kString: {
      static const char* kValues[] = {"a", "b", "??", "c d"};
      return std::string(kValues[pick(4)]);
    }
    case Type::kInt64: {
      static const int64_t kValues[] = {-2, 0, 7, 123456789012};
      return kValues[pick(4)];
    }
    case Type::kFloat64:
    case Type::kNumeric:
    case Type::kBigNumeric: {
      static const double kValues[] = {-1.5, 0.0, 2.25, 1e10};
      return kValues[pick(4)];
    }
    case Type::kBool:
      return int64_t{pick(2)};
    case Type::kDate: {
      static const char* kValues[] = {"2024-01-01", "2023-12-31", "2020-02-29"};
      return std::string(kValues[pick(3)]);
    }
    case Type::kTime: {
      static const char* kValues[] = {"00:00:00", "23:59:59.500000"};
      return std::string(kValues[pick(2)]);
    }
    case Type::kBytes: {
      static const char* kValues[] = {"\x01\x02", "bytes"};
      return std::string(kValues[pick(2)]);
    }
    default: {
      static const char* kValues[] = {"2024-01-01 00:00:00.000000", "2024-06-01 12:30:00.500000"};
      return std::string(kValues[pick(2)]);
    }
  }
}

// The columns of each version: version 1 has the common and removed dimensions and the common
// metrics; version 2 the common and added dimensions and all metrics.
struct Versions {
  std::vector<const Dimension*> dims1, dims2;
  std::vector<Metric> metrics1, metrics2;
};

Versions versions(const Scenario& s) {
  Versions v;
  for (const auto& d : s.common) v.dims1.push_back(&d), v.dims2.push_back(&d);
  for (const auto& d : s.removed) v.dims1.push_back(&d);
  for (const auto& d : s.added) v.dims2.push_back(&d);
  v.metrics1 = s.common_metrics;
  v.metrics2 = s.common_metrics;
  v.metrics2.insert(v.metrics2.end(), s.new_metrics.begin(), s.new_metrics.end());
  return v;
}

size_t column_index(const Scenario& s, const std::string& name) {
  for (size_t i = 0; i < s.upstream.size(); ++i) {
    if (s.upstream[i].first == name) return i;
  }
  throw std::logic_error("no upstream column " + name);
}

// A row's common dimension group as the aggregates see it: '??' and NULL are one STRING group.
std::vector<Value> group_of(const Scenario& s, const Row& row) {
  std::vector<Value> key = {row[0]};
  for (const auto& d : s.common) {
    Value v = row[column_index(s, d.column)];
    if (d.type == Type::kString && v == Value(std::string("??"))) v = std::monostate{};
    key.push_back(v);
  }
  return key;
}

Scenario make_scenario(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Scenario s;
  s.seed = seed;
  s.kind = static_cast<Kind>(seed % 5);
  s.baseline = s.kind == Kind::kShredPrevious || s.kind == Kind::kFilter ? Baseline::kPreviousQuery
               : s.kind == Kind::kShred                                  ? Baseline::kNewQuery
               : pick(2)                                                 ? Baseline::kPreviousQuery
                                                                         : Baseline::kNewQuery;
  if (pick(2)) s.staging_table = "p.backfills_staging.d__agg_v2_2024_06_02";
  // Every groupable type the generator supports; STRING twice, as aggregates use it most.
  static const Type kTypes[] = {Type::kString,     Type::kString,  Type::kBytes,
                                Type::kInt64,      Type::kFloat64, Type::kNumeric,
                                Type::kBigNumeric, Type::kBool,    Type::kDate,
                                Type::kDatetime,   Type::kTime,    Type::kTimestamp};
  constexpr int kTypeCount = sizeof(kTypes) / sizeof(kTypes[0]);
  s.upstream = {{"submission_date", Type::kDate}, {"client_id", Type::kString}};
  int column = 0;
  auto dimension = [&]() {
    Dimension d;
    d.type = kTypes[pick(kTypeCount)];
    d.column = "u" + std::to_string(column++);
    d.name = pick(3) == 0 ? "dim_" + d.column : d.column;  // aliased: `u AS dim_u GROUP BY u`
    if (d.type == Type::kString) {
      d.placeholder_v1 = pick(2) == 0;
      d.placeholder_v2 = pick(3) == 0 ? !d.placeholder_v1 : d.placeholder_v1;
    }
    s.upstream.emplace_back(d.column, d.type);
    return d;
  };
  for (int i = 0, n = 1 + pick(3); i < n; ++i) s.common.push_back(dimension());
  for (int i = 0, n = pick(2); i < n; ++i) s.removed.push_back(dimension());
  for (int i = 0, n = pick(3); i < n; ++i) s.added.push_back(dimension());
  const size_t first_metric_column = s.upstream.size();
  s.upstream.emplace_back("m_nonneg", Type::kInt64);
  s.upstream.emplace_back("m_signed", Type::kInt64);
  s.upstream.emplace_back("f_nonneg", Type::kFloat64);
  s.upstream.emplace_back("f_signed", Type::kFloat64);
  s.upstream.emplace_back("flag", Type::kBool);

  // Count metrics (deletion can only lower them), signed ones, and new ones.
  bool needs_row_count = s.kind == Kind::kLate || s.kind == Kind::kRemap;
  s.common_metrics.push_back({"total_int", "SUM(m_nonneg)", Type::kInt64});
  if (needs_row_count || pick(2))
    s.common_metrics.push_back({"row_count", "COUNT(*)", Type::kInt64});
  if (pick(2)) s.common_metrics.push_back({"total_float", "SUM(f_nonneg)", Type::kFloat64});
  if (pick(3) == 0) s.common_metrics.push_back({"flag_count", "COUNTIF(flag)", Type::kInt64});
  if (pick(2)) s.common_metrics.push_back({"net_int", "SUM(m_signed)", Type::kInt64, true});
  if (pick(3) == 0)
    s.common_metrics.push_back({"net_float", "SUM(f_signed)", Type::kFloat64, true});
  if (pick(2)) s.new_metrics.push_back({"flagged", "COUNTIF(flag)", Type::kInt64});
  if (pick(2)) s.new_metrics.push_back({"float_sum_new", "SUM(f_signed * 2)", Type::kFloat64});
  if (pick(3) == 0) s.new_metrics.push_back({"mean_new", "AVG(m_nonneg)", Type::kFloat64});

  // FLOAT64 values include large magnitudes, so that summation order moves the last bits.
  static const double kFloats[] = {0.25, 1.5, 1e10 + 0.5, 3.75e12, 0.1, 7.0};
  int clients = 5 + pick(40);
  for (int c = 0; c < clients; ++c) {
    std::string id = "client" + std::to_string(c);
    if (pick(3) == 0) s.shredded.insert(id);
    for (int r = 0, n = 1 + pick(3); r < n; ++r) {
      Row row = {std::string(pick(8) == 0 ? "2024-05-31" : kDate), id};
      for (size_t i = 2; i < first_metric_column; ++i) {
        row.push_back(random_value(s.upstream[i].second, rng));
      }
      row.push_back(pick(6) == 0 ? Value{} : Value{int64_t{pick(30)}});
      row.push_back(pick(6) == 0 ? Value{} : Value{int64_t{pick(30) - 12}});
      row.push_back(pick(6) == 0 ? Value{} : Value{kFloats[pick(6)]});
      row.push_back(pick(6) == 0 ? Value{} : Value{(pick(2001) - 1000) / 100.0});
      row.push_back(int64_t{pick(2)});
      s.rows.push_back(std::move(row));
    }
  }

  // The upstream table at backfill time: shredded clients deleted, then late or re-mapped rows.
  if (needs_row_count) {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < s.rows.size(); ++i) {
      if (s.rows[i][0] == Value(std::string(kDate)) &&
          !s.shredded.count(std::get<std::string>(s.rows[i][1]))) {
        candidates.push_back(i);
      }
    }
    if (candidates.empty()) {  // every client shredded: keep the first one
      s.shredded.erase(std::get<std::string>(s.rows[0][1]));
      s.rows[0][0] = std::string(kDate);
      candidates.push_back(0);
    }
    s.target = s.rows[candidates[static_cast<size_t>(pick(static_cast<int>(candidates.size())))]];
  }
  auto target_group = needs_row_count ? group_of(s, s.target) : std::vector<Value>{};
  int shredded_in_target = 0;
  for (const auto& row : s.rows) {
    bool shredded = s.shredded.count(std::get<std::string>(row[1])) > 0;
    if (needs_row_count && shredded && row[0] == Value(std::string(kDate)) &&
        group_of(s, row) == target_group) {
      ++shredded_in_target;
    }
    if (!shredded) s.final_rows.push_back(row);
  }
  // More rows land in the target group than were shredded from it, so its row count grows.
  int arriving = shredded_in_target + 1 + pick(3);
  if (s.kind == Kind::kLate) {
    for (int i = 0; i < arriving; ++i) {
      Row late = s.target;
      late[1] = std::string("late_client");
      s.final_rows.push_back(late);
    }
  } else if (s.kind == Kind::kRemap) {
    // An upstream redefinition moves rows of other groups into the target group: their common
    // dimension columns take the target's values. Rows from the other day make up for a lack.
    int moved = 0;
    for (auto& row : s.final_rows) {
      if (moved == arriving) break;
      if (group_of(s, row) == target_group) continue;
      row[0] = std::string(kDate);
      for (const auto& d : s.common) {
        size_t i = column_index(s, d.column);
        row[i] = s.target[i];
      }
      ++moved;
    }
    for (; moved < arriving; ++moved) {  // too few rows elsewhere: remap a new client's row
      Row row = s.target;
      row[1] = std::string("remapped_client");
      s.final_rows.push_back(row);
    }
  }
  std::shuffle(s.final_rows.begin(), s.final_rows.end(), rng);

  auto query = [&](const std::vector<const Dimension*>& dims, const std::vector<Metric>& metrics,
                   bool v2) {
    std::string items = "  submission_date", keys = "  submission_date";
    for (const Dimension* d : dims) {
      bool placeholder = v2 ? d->placeholder_v2 : d->placeholder_v1;
      std::string value = placeholder ? "IFNULL(" + d->column + ", '??')" : d->column;
      items += ",\n  " + (value == d->name ? value : value + " AS " + d->name);
      keys += ",\n  " + d->column;
    }
    for (const auto& m : metrics) items += ",\n  " + m.expression + " AS " + m.name;
    // The intentional filter: the new version leaves flagged rows out on purpose.
    std::string filter = v2 && s.kind == Kind::kFilter ? "\n  AND NOT flag" : "";
    return "SELECT\n" + items +
           "\nFROM\n  `p.d.clients`\nWHERE\n  submission_date = @submission_date" + filter +
           "\nGROUP BY\n" + keys + "\n";
  };
  Versions v = versions(s);
  s.v1 = query(v.dims1, v.metrics1, false);
  s.v2 = query(v.dims2, v.metrics2, true);
  return s;
}

std::string schema_yaml(const std::vector<const Dimension*>& dims,
                        const std::vector<Metric>& metrics) {
  std::string out =
      "fields:\n- name: submission_date\n  type: DATE\n  mode: NULLABLE\n"
      "  description: The partition date.\n";
  for (const Dimension* d : dims) {
    out += "- name: " + d->name + "\n  type: " + type_sql(d->type) +
           "\n  mode: NULLABLE\n  description: A dimension.\n";
  }
  for (const auto& m : metrics) {
    out += "- name: " + m.name + "\n  type: " + type_sql(m.type) +
           "\n  mode: NULLABLE\n  description: A metric.\n";
  }
  return out;
}

const char* kMetadata =
    "friendly_name: Property scenario\ndescription: Generated.\nowners:\n- a@example.com\n"
    "labels:\n  shredder_mitigation: true\nbigquery:\n  time_partitioning:\n    type: day\n"
    "    field: submission_date\n";

std::string text(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return fmt::format("{}", std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return "NULL";
}

// A scenario value as the engine holds it in a column of `type`.
engine::Value to_engine(Type type, const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return engine::Value{};
  if (type == Type::kBool) return engine::Value::of(std::get<int64_t>(v) ? "true" : "false");
  return engine::Value::of(text(v));
}

// An engine value as a scenario value: INT64 and FLOAT64 as numbers, the rest as their text.
Value from_engine(const engine::Type& type, const engine::Value& v) {
  if (v.null) return std::monostate{};
  if (type.kind == Type::kInt64) return int64_t{std::stoll(v.text)};
  if (type.kind == Type::kFloat64) return std::strtod(v.text.c_str(), nullptr);
  return v.text;
}

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

// The tables of a scenario, queried with GoogleSQL's reference evaluator.
class Database {
 public:
  void put(const std::string& name, engine::Rows rows) {
    auto it = std::find_if(catalog_.tables.begin(), catalog_.tables.end(),
                           [&](const engine::Table& t) { return t.name == name; });
    if (it == catalog_.tables.end()) {
      catalog_.tables.push_back({name, rows.columns});
    } else {
      it->columns = rows.columns;
    }
    contents_[name] = std::move(rows.rows);
  }

  // Runs `sql`; throws std::runtime_error with GoogleSQL's message when it does not run.
  engine::Rows evaluate(const std::string& sql, const std::vector<engine::Binding>& bound) {
    auto e = engine::evaluate(sql, catalog_, contents_, bound);
    if (!e.verdict.accepted()) throw std::runtime_error(e.verdict.message);
    return std::move(e.result);
  }

  // The ERROR() message of a check statement, "" when it passes.
  std::string check(const std::string& sql, const std::vector<engine::Binding>& bound) {
    auto e = engine::evaluate(sql, catalog_, contents_, bound);
    if (!e.verdict.accepted() && !e.failed_while_running) {
      throw std::runtime_error("GoogleSQL refuses the check: " + e.verdict.message);
    }
    return e.verdict.accepted() ? "" : e.verdict.message;
  }

  Rows query(const std::string& sql, const std::vector<engine::Binding>& bound) {
    return scenario_rows(evaluate(sql, bound));
  }

  Rows table(const std::string& name) const {
    auto it = std::find_if(catalog_.tables.begin(), catalog_.tables.end(),
                           [&](const engine::Table& t) { return t.name == name; });
    return scenario_rows({it->columns, contents_.at(name)});
  }

 private:
  static Rows scenario_rows(const engine::Rows& rows) {
    Rows out;
    for (const auto& c : rows.columns) out.columns.push_back(c.name);
    for (const auto& row : rows.rows) {
      std::vector<Value> values;
      for (size_t i = 0; i < row.size(); ++i) {
        values.push_back(from_engine(rows.columns[i].type, row[i]));
      }
      out.rows.push_back(std::move(values));
    }
    return out;
  }

  engine::Catalog catalog_;
  std::map<std::string, std::vector<std::vector<engine::Value>>> contents_;
};

constexpr const char* kNewQuery = "shredmit-test.results.new_query";
constexpr const char* kRerun = "shredmit-test.results.previous_rerun";

std::string backticked(const std::string& name) { return "`" + name + "`"; }

double number(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  return 0;
}

std::string key(const std::vector<Value>& values) {
  std::string k;
  for (const auto& v : values) {
    k += std::holds_alternative<std::monostate>(v) ? std::string("\x01NULL") : text(v);
    k += '\x02';
  }
  return k;
}

using Totals = std::map<std::string, std::vector<Value>>;  // group key -> one total per metric

class PropertyRunner {
 public:
  PropertyRunner() {
    root_ = fs::temp_directory_path() / ("shredmit_property_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  ~PropertyRunner() { fs::remove_all(root_); }

  // Runs one scenario; returns "" when every property holds, else what failed.
  std::string run(const Scenario& s) {
    fs::path dataset = root_ / "sql" / "p" / "d";
    Versions v = versions(s);
    write(dataset / "agg_v1" / "query.sql", s.v1);
    write(dataset / "agg_v1" / "schema.yaml", schema_yaml(v.dims1, v.metrics1));
    write(dataset / "agg_v1" / "metadata.yaml", kMetadata);
    write(dataset / "agg_v2" / "query.sql", s.v2);
    write(dataset / "agg_v2" / "schema.yaml", schema_yaml(v.dims2, v.metrics2));
    write(dataset / "agg_v2" / "metadata.yaml", kMetadata);

    mitigation::Options options;
    options.baseline = s.baseline;
    options.staging_table = s.staging_table;
    // The two-step form reads the first step's rows from these tables (filled below).
    options.new_query_table = kNewQuery;
    if (s.baseline == Baseline::kPreviousQuery) options.previous_query_table = kRerun;
    for (const auto& m : s.common_metrics) {
      if (m.is_signed) options.signed_metrics.push_back(m.name);
    }
    auto m = mitigation::generate(project::SqlTree::from_sql_dir(root_ / "sql"),
                                  project::TableId::parse("p.d.agg_v2"), options);
    sql_ = m.query_sql + "\n" + m.checks_sql;
    std::string output = m.staging_table;

    Database db;
    engine::Rows upstream;
    for (const auto& [name, type] : s.upstream)
      upstream.columns.push_back({name, engine::scalar(type)});
    auto rows_of = [&](const std::vector<Row>& rows) {
      engine::Rows out{upstream.columns, {}};
      for (const auto& row : rows) {
        std::vector<engine::Value> values;
        for (size_t i = 0; i < row.size(); ++i)
          values.push_back(to_engine(s.upstream[i].second, row[i]));
        out.rows.push_back(std::move(values));
      }
      return out;
    };
    parameters_ = {engine::binding(std::string("submission_date:DATE:") + kDate)};
    // The previous version, materialised before shredding; then the upstream table as the
    // backfill sees it, in another order.
    db.put("p.d.clients", rows_of(s.rows));
    db.put("p.d.agg_v1", db.evaluate(s.v1, parameters_));
    db.put("p.d.clients", rows_of(s.final_rows));
    db.put(kNewQuery, db.evaluate(s.v2, parameters_));
    db.put(kRerun, db.evaluate(s.v1, parameters_));
    db.put(output, db.evaluate(m.query_sql, parameters_));

    std::string check_error = db.check(m.check_sql, parameters_);
    auto mismatches = db.query(m.mismatches_sql, parameters_);

    // The two-step form (the managed backfill's): the compensation query over the first step's
    // tables gives the single statement's rows, and its checks, which read those tables instead
    // of re-running the queries, judge them alike.
    auto sorted = [](Rows r) {
      std::sort(r.rows.begin(), r.rows.end());
      return r.rows;
    };
    if (sorted(db.query(m.compensation_sql, parameters_)) != sorted(db.table(output))) {
      return "the compensation query's rows differ from the mitigation query's";
    }
    options.read_query_tables = true;
    auto two_step = mitigation::generate(project::SqlTree::from_sql_dir(root_ / "sql"),
                                         project::TableId::parse("p.d.agg_v2"), options);
    if (db.check(two_step.check_sql, parameters_) != check_error) {
      return "the two-step form's check judges otherwise: '" +
             db.check(two_step.check_sql, parameters_) + "' against '" + check_error + "'";
    }
    if (db.query(two_step.mismatches_sql, parameters_).rows != mismatches.rows) {
      return "the two-step form's mismatches differ";
    }
    db.evaluate(m.report_sql, parameters_);  // runs on the data without failing

    // Totals per common dimension group, '??' and NULL as one group.
    std::vector<std::string> keys = {"submission_date"};
    for (const auto& d : s.common) {
      keys.push_back(d.type == Type::kString ? "NULLIF(`" + d.name + "`, '??')"
                                             : "`" + d.name + "`");
    }
    const auto& metrics = s.common_metrics;
    Totals previous = totals(db, "p.d.agg_v1", keys, metrics);
    Totals backfilled = totals(db, output, keys, metrics);
    Totals next = totals(db, kNewQuery, keys, metrics);
    Totals rerun = totals(db, kRerun, keys, metrics);
    double scale = magnitude(s);

    // Groups of a common STRING dimension stored both as NULL and as '??' in the backfilled table
    // but one way in the previous version: the shredded rows never add one (they carry the new
    // query's spelling of their group, or the previous version's where the new query lost it),
    // so such a split comes from the new query's own rows alone, and the checks report each.
    std::map<std::string, size_t> splits;
    for (const auto& d : s.common) {
      if (d.type != Type::kString) continue;
      auto backfilled_split = split_groups(db, output, keys, d.name);
      auto new_split = split_groups(db, kNewQuery, keys, d.name);
      auto previous_split = split_groups(db, "p.d.agg_v1", keys, d.name);
      std::set<std::string> introduced, from_new;
      std::set_difference(backfilled_split.begin(), backfilled_split.end(), previous_split.begin(),
                          previous_split.end(), std::inserter(introduced, introduced.end()));
      std::set_difference(new_split.begin(), new_split.end(), previous_split.begin(),
                          previous_split.end(), std::inserter(from_new, from_new.end()));
      for (const auto& k : introduced) {
        if (!from_new.count(k)) {
          return "the shredded rows stored a group of " + d.name + " in a second spelling";
        }
      }
      if (!introduced.empty()) splits[d.name] = introduced.size();
    }
    std::map<std::string, size_t> reported;
    for (const auto& r : mismatches.rows) {
      if (r[2] == Value(std::string("two spellings"))) ++reported[std::get<std::string>(r[1])];
    }
    if (reported != splits) {
      return "the checks report " + std::to_string(reported.size()) +
             " dimensions with groups in two spellings, the data has " +
             std::to_string(splits.size());
    }

    bool shredding_only = s.kind == Kind::kShred || s.kind == Kind::kShredPrevious;
    if (shredding_only || s.kind == Kind::kFilter) {
      // The checks pass, but for the groups in two spellings, which they name.
      size_t split_rows = 0;
      for (const auto& [d, n] : splits) split_rows += n;
      if (split_rows == 0 && !check_error.empty()) {
        return "the generated check failed: " + check_error;
      }
      if (split_rows > 0 && check_error.find("(two spellings ") == std::string::npos) {
        return "the check did not report the groups in two spellings: '" + check_error + "'";
      }
      if (mismatches.rows.size() != split_rows) {
        return "the mismatch query has " + std::to_string(mismatches.rows.size()) + " rows";
      }
    }
    if (shredding_only) {
      // Totals of each common metric per common dimension group equal the previous version's.
      if (auto why = compare(previous, backfilled, metrics, scale, "common totals per group");
          !why.empty()) {
        return why;
      }
      if (auto why = added_dimensions(db, s, output, previous, next, scale); !why.empty()) {
        return why;
      }
    }
    if (s.kind == Kind::kFilter) {
      // The filter is kept: each group's total is the previous one plus the intended change.
      Totals expected;
      std::set<std::string> groups;
      for (const auto* t : {&previous, &next, &rerun}) {
        for (const auto& [k, values] : *t) groups.insert(k);
      }
      for (const auto& k : groups) {
        std::vector<Value> e;
        for (size_t i = 0; i < metrics.size(); ++i) {
          auto at = [&](const Totals& t) { return t.count(k) ? number(t.at(k)[i]) : 0.0; };
          e.push_back(at(previous) + at(next) - at(rerun));
        }
        expected[k] = e;
      }
      if (auto why = compare(expected, backfilled, metrics, scale, "previous + new - rerun");
          !why.empty()) {
        return why;
      }
    }
    if (s.kind == Kind::kLate || s.kind == Kind::kRemap) {
      // The checks fail and name the target group and its row count as an increase.
      if (check_error.find("increase row_count") == std::string::npos) {
        return "the check did not report an increase of row_count: '" + check_error + "'";
      }
      std::string target = target_json(db, s);
      bool named = std::any_of(mismatches.rows.begin(), mismatches.rows.end(), [&](const Row& r) {
        return r[0] == Value(target) && r[1] == Value(std::string("row_count")) &&
               r[2] == Value(std::string("increase"));
      });
      if (!named) return "the mismatches do not name the group " + target + " and row_count";
      // The validation report says the totals moved, and where: at the target group's value
      // of each dimension it names.
      report::Results results;
      for (const auto& v : m.validation) results[v.name] = db.evaluate(v.sql, parameters_);
      report::Report r = report::build(results, "p.d.agg_v2");
      if (r.matches || r.summary.rfind("mismatch:", 0) != 0) {
        return "the report does not say the totals moved: " + r.summary;
      }
      auto group = group_of(s, s.target);
      size_t named_values = 0;
      for (const auto& d : r.dimensions) {
        if (d.verdict != report::Verdict::kGrew && d.verdict != report::Verdict::kMoved) continue;
        if (!d.grown_value && (d.verdict == report::Verdict::kMoved ? d.increase : d.growth) == 0) {
          continue;  // a dimension whose totals did not grow
        }
        auto it = std::find_if(s.common.begin(), s.common.end(),
                               [&](const Dimension& c) { return c.name == d.name; });
        Value expected =
            it == s.common.end() ? group[0] : group[1 + static_cast<size_t>(it - s.common.begin())];
        std::optional<std::string> text_value = target_text(db, d.name, s, expected);
        if (d.grown_value != text_value) {
          return "the report names " + d.name + " = " + d.grown_value.value_or("NULL") +
                 ", the rows arrived at " + text_value.value_or("NULL") + ": " + r.summary;
        }
        ++named_values;
      }
      if (named_values == 0) return "the report names no dimension: " + r.summary;
      std::istringstream lines(report::markdown(r));
      for (std::string line; std::getline(lines, line);) {
        if (line.size() > 100) return "a Markdown line is wider than 100 columns: " + line;
      }
    }
    // A group where some count metric's baseline total exceeds the previous one gets no
    // shredded row: that growth is not deletion, and the group is left for the checks.
    const Totals& baseline = s.baseline == Baseline::kNewQuery ? next : rerun;
    std::set<std::string> grown;
    for (const auto& [k, values] : baseline) {
      auto p = previous.find(k);
      if (p == previous.end()) continue;
      for (size_t i = 0; i < metrics.size(); ++i) {
        if (metrics[i].is_signed || std::holds_alternative<std::monostate>(p->second[i])) continue;
        double growth = number(values[i]) - number(p->second[i]);
        if (metrics[i].type == Type::kInt64 ? growth > 0 : growth > 1e-9 * scale) grown.insert(k);
      }
    }
    return kept_and_non_negative(db, s, output, grown);
  }

  const std::string& sql() const { return sql_; }

 private:
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  // The sum of the absolute values of every metric column upstream: FLOAT64 totals are equal
  // when they differ by less than 1e-9 of this.
  static double magnitude(const Scenario& s) {
    double sum = 1;
    for (const auto* rows : {&s.rows, &s.final_rows}) {
      for (const auto& row : *rows) {
        for (size_t i = row.size() - 5; i < row.size(); ++i) sum += std::fabs(number(row[i]));
      }
    }
    return sum;
  }

  // The common groups (as `keys` writes them) in which `column` holds both NULL and '??'.
  std::set<std::string> split_groups(Database& db, const std::string& table,
                                     const std::vector<std::string>& keys,
                                     const std::string& column) {
    std::string group;
    for (size_t i = 0; i < keys.size(); ++i) group += (i ? ", " : "") + keys[i];
    std::string c = backticked(column);
    auto rows =
        db.query("SELECT " + group + " FROM " + backticked(table) +
                     " WHERE submission_date = @submission_date GROUP BY " + group +
                     " HAVING COUNTIF(" + c + " IS NULL) > 0 AND COUNTIF(" + c + " = '??') > 0",
                 parameters_);
    std::set<std::string> out;
    for (const auto& row : rows.rows) out.insert(key(row));
    return out;
  }

  Totals totals(Database& db, const std::string& table, const std::vector<std::string>& group,
                const std::vector<Metric>& metrics) {
    std::string sql = "SELECT ";
    for (const auto& k : group) sql += k + ", ";
    for (size_t i = 0; i < metrics.size(); ++i) {
      sql += (i ? ", " : "") + std::string("SUM(`") + metrics[i].name + "`)";
    }
    sql += " FROM " + backticked(table) + " WHERE submission_date = @submission_date";
    if (!group.empty()) {
      sql += " GROUP BY ";
      for (size_t i = 0; i < group.size(); ++i) sql += (i ? ", " : "") + group[i];
    }
    Totals out;
    for (const auto& row : db.query(sql, parameters_).rows) {
      std::vector<Value> dims(row.begin(), row.begin() + static_cast<long>(group.size()));
      out[key(dims)] = std::vector<Value>(row.begin() + static_cast<long>(group.size()), row.end());
    }
    return out;
  }

  static std::string compare(const Totals& expected, const Totals& actual,
                             const std::vector<Metric>& metrics, double scale,
                             const std::string& what) {
    std::set<std::string> all;
    for (const auto& [k, v] : expected) all.insert(k);
    for (const auto& [k, v] : actual) all.insert(k);
    for (const auto& k : all) {
      auto e = expected.find(k), a = actual.find(k);
      for (size_t i = 0; i < metrics.size(); ++i) {
        double ev = e == expected.end() ? 0 : number(e->second[i]);
        double av = a == actual.end() ? 0 : number(a->second[i]);
        bool integer = metrics[i].type == Type::kInt64;
        bool same = integer ? ev == av : std::fabs(ev - av) <= 1e-9 * scale;
        if (!same) {
          return what + ": metric " + metrics[i].name + " is " + std::to_string(av) +
                 ", expected " + std::to_string(ev);
        }
      }
    }
    return "";
  }

  // Added dimensions: non-NULL subtotals equal the new query's; the NULL subtotal grows by
  // exactly the shredded amount (previous total minus new total).
  std::string added_dimensions(Database& db, const Scenario& s, const std::string& output,
                               Totals& previous, Totals& next, double scale) {
    const auto& metrics = s.common_metrics;
    auto grand = [&](const Totals& t, size_t i) {
      double sum = 0;
      for (const auto& [k, v] : t) sum += number(v[i]);
      return sum;
    };
    for (const auto& d : s.added) {
      std::string k = backticked(d.name);
      auto mitigated = totals(db, output, {k}, metrics);
      auto by_new = totals(db, kNewQuery, {k}, metrics);
      std::string null_key = key({Value{}});
      auto mitigated_null = mitigated[null_key];
      auto next_null = by_new[null_key];
      mitigated.erase(null_key);
      by_new.erase(null_key);
      if (auto why = compare(by_new, mitigated, metrics, scale, "non-NULL subtotals of " + d.name);
          !why.empty()) {
        return why;
      }
      for (size_t i = 0; i < metrics.size(); ++i) {
        double shredded = grand(previous, i) - grand(next, i);
        double growth = number(mitigated_null.empty() ? Value{} : mitigated_null[i]) -
                        number(next_null.empty() ? Value{} : next_null[i]);
        if (std::fabs(shredded - growth) > 1e-9 * scale) {
          return "NULL subtotal of " + d.name + " for " + metrics[i].name + " grew by " +
                 std::to_string(growth) + ", shredded " + std::to_string(shredded);
        }
      }
    }
    return "";
  }

  // A dimension value as the validation queries write it (CAST(x AS STRING), BYTES as base64,
  // NULL for NULL and '??').
  std::optional<std::string> target_text(Database& db, const std::string& name, const Scenario& s,
                                         const Value& v) {
    Type type = Type::kDate;
    for (const auto& d : s.common) {
      if (d.name == name) type = d.type;
    }
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    std::string expression = type == Type::kString  ? "NULLIF(@v, '??')"
                             : type == Type::kBytes ? "TO_BASE64(@v)"
                                                    : "CAST(@v AS STRING)";
    auto rows = db.query("SELECT " + expression + " AS x",
                         {{{"v", engine::scalar(type)}, to_engine(type, v)}});
    const Value& x = rows.rows.at(0).at(0);
    if (std::holds_alternative<std::monostate>(x)) return std::nullopt;
    return text(x);
  }

  // The target group as the check's `dimensions` column writes it.
  std::string target_json(Database& db, const Scenario& s) {
    auto group = group_of(s, s.target);
    std::string sql = "SELECT TO_JSON_STRING(STRUCT(@d0 AS submission_date";
    std::vector<engine::Binding> values = {
        {{"d0", engine::scalar(Type::kDate)}, to_engine(Type::kDate, group[0])}};
    for (size_t i = 0; i < s.common.size(); ++i) {
      std::string p = "d" + std::to_string(i + 1);
      sql += ", @" + p + " AS " + backticked(s.common[i].name);
      values.push_back(
          {{p, engine::scalar(s.common[i].type)}, to_engine(s.common[i].type, group[i + 1])});
    }
    return std::get<std::string>(db.query(sql + "))", values).rows[0][0]);
  }

  // No placeholder value reaches the output, every row of the new query is kept, and no count
  // metric of a shredded row is negative.
  std::string kept_and_non_negative(Database& db, const Scenario& s, const std::string& output,
                                    const std::set<std::string>& grown) {
    Versions v = versions(s);
    auto mitigated_rows = db.table(output);
    auto new_rows = db.table(kNewQuery);
    auto previous_rows = db.table("p.d.agg_v1");
    std::map<std::string, std::set<std::string>> seen;
    for (const auto* rows : {&new_rows, &previous_rows}) {
      for (const auto& row : rows->rows) {
        for (size_t i = 0; i < row.size(); ++i) seen[rows->columns[i]].insert(key({row[i]}));
      }
    }
    for (const Dimension* d : v.dims2) {
      if (d->placeholder_v2) seen[d->name].insert(key({std::string("??")}));  // NULL as written
    }
    auto is_metric = [&](const std::string& column) {
      return std::any_of(v.metrics2.begin(), v.metrics2.end(),
                         [&](const Metric& x) { return x.name == column; });
    };
    for (const auto& row : mitigated_rows.rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string& column = mitigated_rows.columns[i];
        if (is_metric(column) || std::holds_alternative<std::monostate>(row[i])) continue;
        if (!seen[column].count(key({row[i]}))) {
          return "value " + text(row[i]) + " of " + column +
                 " appears in no version: a placeholder reached the output";
        }
      }
    }
    // Rows are compared by their values in the new query's column order.
    auto in_new_order = [&](const std::vector<Value>& row) {
      std::vector<Value> out;
      for (const auto& c : new_rows.columns) {
        auto at = std::find(mitigated_rows.columns.begin(), mitigated_rows.columns.end(), c);
        out.push_back(at == mitigated_rows.columns.end()
                          ? Value{}
                          : row[static_cast<size_t>(at - mitigated_rows.columns.begin())]);
      }
      return out;
    };
    std::multiset<std::string> kept;
    std::map<std::string, const std::vector<Value>*> by_key;
    for (const auto& row : mitigated_rows.rows) {
      kept.insert(key(in_new_order(row)));
      by_key[key(in_new_order(row))] = &row;
    }
    for (const auto& row : new_rows.rows) {
      auto it = kept.find(key(row));
      if (it == kept.end()) return "a row of the new query is missing from the output";
      kept.erase(it);
    }
    // What is left are the shredded rows; their common group as `keys` computes it.
    auto column_at = [&](const std::string& name) {
      return static_cast<size_t>(
          std::find(mitigated_rows.columns.begin(), mitigated_rows.columns.end(), name) -
          mitigated_rows.columns.begin());
    };
    for (const auto& k : kept) {
      const auto& row = *by_key[k];
      std::vector<Value> group = {row[column_at("submission_date")]};
      for (const auto& d : s.common) {
        Value x = row[column_at(d.name)];
        if (d.type == Type::kString && x == Value(std::string("??"))) x = std::monostate{};
        group.push_back(x);
      }
      if (grown.count(key(group))) {
        return "a shredded row was emitted for a group where a count metric grew";
      }
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string& column = mitigated_rows.columns[i];
        auto m = std::find_if(s.common_metrics.begin(), s.common_metrics.end(),
                              [&](const Metric& x) { return x.name == column; });
        if (m != s.common_metrics.end() && !m->is_signed && number(row[i]) < 0) {
          return "count metric " + column + " compensated with a negative amount " + text(row[i]);
        }
      }
    }
    return "";
  }

  fs::path root_;
  std::string sql_;
  std::vector<engine::Binding> parameters_;
};

TEST(MitigationProperties, HoldOnRandomScenarios) {
  int scenarios = 100;
  uint64_t first = 1;
  if (const char* n = std::getenv("SHREDMIT_PROPERTY_SCENARIOS")) scenarios = std::atoi(n);
  if (const char* seed = std::getenv("SHREDMIT_PROPERTY_SEED")) {
    first = std::strtoull(seed, nullptr, 10);
    scenarios = 1;
  }
  PropertyRunner runner;
  int failures = 0;
  std::map<Kind, int> ran;
  for (uint64_t seed = first; seed < first + static_cast<uint64_t>(scenarios); ++seed) {
    Scenario s = make_scenario(seed);
    ++ran[s.kind];
    std::string why;
    try {
      why = runner.run(s);
    } catch (const std::exception& e) {
      why = std::string("exception: ") + e.what();
    }
    if (!why.empty()) {
      ADD_FAILURE() << "scenario seed " << seed << " (" << kind_name(s.kind)
                    << "; rerun with SHREDMIT_PROPERTY_SEED=" << seed << "): " << why
                    << "\n-- version 1:\n"
                    << s.v1 << "-- version 2:\n"
                    << s.v2 << "-- generated:\n"
                    << runner.sql();
      if (++failures >= 3) break;
    }
  }
  if (scenarios >= 5) {
    for (Kind k : {Kind::kShred, Kind::kShredPrevious, Kind::kLate, Kind::kRemap, Kind::kFilter}) {
      EXPECT_GE(ran[k], scenarios / 5) << kind_name(k);
    }
  }
}

}  // namespace
}  // namespace shredmit
