// Property tests of the shredder mitigation (issue 5): random scenarios are generated, the
// mitigation query is generated from their bigquery-etl files, lowered to SQLite and run, and
// the four properties of the issue are checked on the result.
//
// SHREDMIT_PROPERTY_SCENARIOS sets how many scenarios run (default 1000); SHREDMIT_PROPERTY_SEED
// runs the one scenario with that seed. A failing scenario prints its seed and its SQL.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "lowering/lowering.h"
#include "mitigation/mitigation.h"

namespace shredmit {
namespace {

namespace fs = std::filesystem;
using analysis::Type;
using lowering::Value;

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
};

struct Scenario {
  uint64_t seed;
  std::vector<Dimension> common, removed, added;
  std::vector<Metric> common_metrics, new_metrics;
  std::vector<std::pair<std::string, Type>> upstream;  // columns of p.d.clients
  std::vector<std::vector<Value>> rows;                // with client_id in column 1
  std::set<std::string> shredded;
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

Scenario make_scenario(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Scenario s;
  s.seed = seed;
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
  s.upstream.emplace_back("m_int", Type::kInt64);
  s.upstream.emplace_back("m_float", Type::kFloat64);
  s.upstream.emplace_back("flag", Type::kBool);
  s.common_metrics.push_back({"total_int", "SUM(m_int)", Type::kInt64});
  if (pick(2)) s.common_metrics.push_back({"total_float", "SUM(m_float)", Type::kFloat64});
  if (pick(2)) s.common_metrics.push_back({"row_count", "COUNT(*)", Type::kInt64});
  if (pick(2)) s.new_metrics.push_back({"flagged", "COUNTIF(flag)", Type::kInt64});
  if (pick(2)) s.new_metrics.push_back({"float_sum_new", "SUM(m_float * 2)", Type::kFloat64});

  int clients = 5 + pick(40);
  for (int c = 0; c < clients; ++c) {
    std::string id = "client" + std::to_string(c);
    if (pick(3) == 0) s.shredded.insert(id);
    for (int r = 0, n = 1 + pick(3); r < n; ++r) {
      std::vector<Value> row = {std::string(pick(8) == 0 ? "2024-05-31" : "2024-06-01"), id};
      for (size_t i = 2; i + 3 < s.upstream.size(); ++i) {
        row.push_back(random_value(s.upstream[i].second, rng));
      }
      row.push_back(pick(6) == 0 ? Value{} : Value{int64_t{pick(30) - 5}});
      row.push_back(pick(6) == 0 ? Value{} : Value{(pick(2001) - 1000) / 100.0});
      row.push_back(int64_t{pick(2)});
      s.rows.push_back(std::move(row));
    }
  }

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
    return "SELECT\n" + items +
           "\nFROM\n  `p.d.clients`\nWHERE\n  submission_date = @submission_date\nGROUP BY\n" +
           keys + "\n";
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

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a)); }

double number(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return std::get<double>(v);
  return 0;
}

std::string key(const std::vector<Value>& values) {
  std::string k;
  for (const auto& v : values) {
    k += std::holds_alternative<std::monostate>(v) ? std::string("\x01NULL")
                                                   : lowering::to_string(v);
    k += '\x02';
  }
  return k;
}

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
    const auto& m2 = v.metrics2;
    write(dataset / "agg_v1" / "query.sql", s.v1);
    write(dataset / "agg_v1" / "schema.yaml", schema_yaml(v.dims1, v.metrics1));
    write(dataset / "agg_v1" / "metadata.yaml", kMetadata);
    write(dataset / "agg_v2" / "query.sql", s.v2);
    write(dataset / "agg_v2" / "schema.yaml", schema_yaml(v.dims2, m2));
    write(dataset / "agg_v2" / "metadata.yaml", kMetadata);

    auto m = mitigation::generate(project::SqlTree::from_sql_dir(root_ / "sql"),
                                  project::TableId::parse("p.d.agg_v2"));
    sql_ = m.query_sql + "\n" + m.checks_sql;
    lowering::Database db;
    std::vector<lowering::Column> columns;
    for (const auto& [name, type] : s.upstream) columns.push_back({name, type, false});
    db.create_table("p.d.clients", columns);
    for (const auto& row : s.rows) db.insert("p.d.clients", row);
    std::map<std::string, Value> parameters = {{"submission_date", std::string("2024-06-01")}};
    auto lower = [](const std::string& sql) {
      return lowering::lower(*syntax::parse_query(sql)).sql;
    };

    // The previous version, materialised before shredding; then the shredding.
    db.query("CREATE TABLE \"p.d.agg_v1\" AS " + lower(s.v1), parameters);
    for (const auto& client : s.shredded) {
      db.query("DELETE FROM \"p.d.clients\" WHERE client_id = :c", {{"c", client}});
    }
    db.query("CREATE TABLE new_query AS " + lower(s.v2), parameters);
    db.query("CREATE TABLE \"p.d.agg_v2\" AS " + lower(m.query_sql), parameters);

    // 1. Totals of each common metric per common dimension group equal the previous version's.
    std::vector<std::string> keys;
    for (const auto& d : s.common) {
      keys.push_back(d.type == Type::kString ? "NULLIF(\"" + d.name + "\", '??')"
                                             : "\"" + d.name + "\"");
    }
    keys.push_back("submission_date");
    auto totals = [&](const std::string& table, const std::vector<std::string>& group,
                      const std::vector<Metric>& metrics) {
      std::string sql = "SELECT ";
      for (const auto& k : group) sql += k + ", ";
      for (size_t i = 0; i < metrics.size(); ++i) {
        sql += (i ? ", " : "") + std::string("SUM(\"") + metrics[i].name + "\")";
      }
      sql += " FROM \"" + table + "\"";
      if (!group.empty()) {
        sql += " GROUP BY ";
        for (size_t i = 0; i < group.size(); ++i) sql += (i ? ", " : "") + group[i];
      }
      std::map<std::string, std::vector<Value>> out;
      for (const auto& row : db.query(sql).rows) {
        std::vector<Value> dims(row.begin(), row.begin() + static_cast<long>(group.size()));
        out[key(dims)] =
            std::vector<Value>(row.begin() + static_cast<long>(group.size()), row.end());
      }
      return out;
    };
    auto compare = [&](const std::map<std::string, std::vector<Value>>& expected,
                       const std::map<std::string, std::vector<Value>>& actual,
                       const std::vector<Metric>& metrics, const std::string& what) -> std::string {
      std::set<std::string> all;
      for (const auto& [k, v] : expected) all.insert(k);
      for (const auto& [k, v] : actual) all.insert(k);
      for (const auto& k : all) {
        auto e = expected.find(k), a = actual.find(k);
        for (size_t i = 0; i < metrics.size(); ++i) {
          Value ev = e == expected.end() ? Value{} : e->second[i];
          Value av = a == actual.end() ? Value{} : a->second[i];
          bool integer = metrics[i].type == Type::kInt64;
          bool same = integer ? number(ev) == number(av) : close(number(ev), number(av));
          if (!same) {
            return what + ": metric " + metrics[i].name + " is " + lowering::to_string(av) +
                   ", expected " + lowering::to_string(ev);
          }
        }
      }
      return "";
    };
    if (auto why = compare(totals("p.d.agg_v1", keys, s.common_metrics),
                           totals("p.d.agg_v2", keys, s.common_metrics), s.common_metrics,
                           "1. common totals per common group");
        !why.empty()) {
      return why;
    }

    // 2. Non-NULL subtotals of each added dimension equal the new query's on shredded data.
    // 3. Its NULL subtotal grows by exactly the shredded amount.
    std::vector<Metric> metrics = s.common_metrics;
    auto previous_total = totals("p.d.agg_v1", {}, metrics);
    auto new_total = totals("new_query", {}, metrics);
    for (const auto& d : s.added) {
      std::string k = "\"" + d.name + "\"";
      auto mitigated = totals("p.d.agg_v2", {k}, metrics);
      auto next = totals("new_query", {k}, metrics);
      std::string null_key = key({Value{}});
      auto mitigated_null = mitigated[null_key];
      auto next_null = next[null_key];
      mitigated.erase(null_key);
      next.erase(null_key);
      if (auto why = compare(next, mitigated, metrics, "2. non-NULL subtotals of " + d.name);
          !why.empty()) {
        return why;
      }
      for (size_t i = 0; i < metrics.size(); ++i) {
        double shredded = number(previous_total[""][i]) - number(new_total[""][i]);
        double growth = number(mitigated_null.empty() ? Value{} : mitigated_null[i]) -
                        number(next_null.empty() ? Value{} : next_null[i]);
        if (!close(shredded, growth)) {
          return "3. NULL subtotal of " + d.name + " for " + metrics[i].name + " grew by " +
                 std::to_string(growth) + ", shredded " + std::to_string(shredded);
        }
      }
    }
    // 3. No placeholder value reaches the output: shredded rows hold only values that the
    // previous or new version hold, NULL, or '??' where the new query writes it.
    auto mitigated_rows = db.query("SELECT * FROM \"p.d.agg_v2\"");
    auto new_rows = db.query("SELECT * FROM new_query");
    auto previous_rows = db.query("SELECT * FROM \"p.d.agg_v1\"");
    std::map<std::string, std::set<std::string>> seen;
    for (const auto* rows : {&new_rows, &previous_rows}) {
      for (const auto& row : rows->rows) {
        for (size_t i = 0; i < row.size(); ++i) {
          seen[rows->columns[i]].insert(key({row[i]}));
        }
      }
    }
    for (const Dimension* d : v.dims2) {
      if (d->placeholder_v2) seen[d->name].insert(key({std::string("??")}));  // NULL as written
    }
    for (const auto& row : mitigated_rows.rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string& column = mitigated_rows.columns[i];
        bool dimension =
            std::none_of(m2.begin(), m2.end(), [&](const Metric& x) { return x.name == column; });
        if (!dimension || std::holds_alternative<std::monostate>(row[i])) continue;
        if (!seen[column].count(key({row[i]}))) {
          return "3. value " + lowering::to_string(row[i]) + " of " + column +
                 " appears in no version: a placeholder reached the output";
        }
      }
    }
    // 3. Every row of the new query is kept.
    std::multiset<std::string> kept;
    for (const auto& row : mitigated_rows.rows) kept.insert(key(row));
    for (const auto& row : new_rows.rows) {
      auto it = kept.find(key(row));
      if (it == kept.end()) return "3. a row of the new query is missing from the output";
      kept.erase(it);
    }

    // 4. The generated checks pass.
    auto checks = syntax::parse_statements(m.checks_sql);
    for (const auto& statement : checks.statements) {
      std::string sql = lowering::lower(*statement->as<syntax::QueryStatement>().query).sql;
      try {
        db.query(sql, parameters);
      } catch (const std::runtime_error& e) {
        return std::string("4. generated check failed: ") + e.what();
      }
    }
    return "";
  }

  const std::string& sql() const { return sql_; }

 private:
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  fs::path root_;
  std::string sql_;
};

TEST(MitigationProperties, HoldOnRandomScenarios) {
  int scenarios = 1000;
  uint64_t first = 1;
  if (const char* n = std::getenv("SHREDMIT_PROPERTY_SCENARIOS")) scenarios = std::atoi(n);
  if (const char* seed = std::getenv("SHREDMIT_PROPERTY_SEED")) {
    first = std::strtoull(seed, nullptr, 10);
    scenarios = 1;
  }
  PropertyRunner runner;
  int failures = 0;
  for (uint64_t seed = first; seed < first + static_cast<uint64_t>(scenarios); ++seed) {
    Scenario s = make_scenario(seed);
    std::string why;
    try {
      why = runner.run(s);
    } catch (const std::exception& e) {
      why = std::string("exception: ") + e.what();
    }
    if (!why.empty()) {
      ADD_FAILURE() << "scenario seed " << seed << " (rerun with SHREDMIT_PROPERTY_SEED=" << seed
                    << "): " << why << "\n-- version 1:\n"
                    << s.v1 << "-- version 2:\n"
                    << s.v2 << "-- generated:\n"
                    << runner.sql();
      if (++failures >= 3) break;
    }
  }
}

}  // namespace
}  // namespace shredmit
