// Running a backfill plan on sample data in SQLite (see backfill.h).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "backfill.h"
#include "internal.h"
#include "simulation/simulation.h"

namespace shredmit::backfill {
namespace {

namespace fs = std::filesystem;
using lowering::Value;

std::string quote(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A `name:TYPE:value` query parameter as a SQLite value.
std::pair<std::string, Value> parameter_value(const std::string& parameter) {
  auto first = parameter.find(':'), second = parameter.find(':', first + 1);
  std::string name = parameter.substr(0, first);
  std::string type = parameter.substr(first + 1, second - first - 1);
  std::string text = parameter.substr(second + 1);
  // INT64, FLOAT64, DATE and BOOL are typed; any other value is bound as its text.
  analysis::Type t = analysis::type_from_name(type);
  if (t != analysis::Type::kInt64 && t != analysis::Type::kFloat64 && t != analysis::Type::kDate &&
      t != analysis::Type::kBool) {
    t = analysis::Type::kString;
  }
  if (t == analysis::Type::kBool) return {name, Value(int64_t{text == "true" || text == "TRUE"})};
  if (t == analysis::Type::kString) return {name, Value(text)};
  auto v = lowering::parse_typed_text(t, text);
  if (!v) {
    throw base::Error("<plan>", 0, 0,
                      fmt::format("parameter {} has a value that is not a {}", parameter, type));
  }
  return {name, *v};
}

class Runner {
 public:
  Runner(const Plan& plan, const RunOptions& options) : p_(plan), o_(options) {}

  RunResult run() {
    catalog_ = simulation::load_sample_data(db_, o_.data_dir, p_.tree);
    if (catalog_.count(p_.staging_table)) {
      throw base::Error(p_.staging_table, 0, 0,
                        "the staging table has a data file in --data; the backfill creates it: "
                        "remove its .ndjson");
    }
    auto schema = project::load_schema(p_.schema_file, p_.tree);
    for (const auto& f : schema.fields) {
      if (f.mode == "REPEATED") {
        throw base::Error(schema.file, f.line, f.column,
                          "REPEATED field '" + f.name + "' is not supported by backfill run");
      }
      columns_.push_back({f.name, analysis::type_from_schema(f), false});
      names_.push_back(f.name);
    }
    query_ = syntax::parse_query(p_.query_sql);
    if (p_.generated) {
      check_ = syntax::parse_query(p_.generated->check_sql);
      mismatches_ = syntax::parse_query(p_.generated->mismatches_sql);
    }

    RunResult r;
    for (const auto& step : p_.steps) {
      if (!execute(step, r)) break;
      ++r.steps_done;
      if (o_.progress) o_.progress(r.steps_done, p_.steps.size(), step);
    }
    r.passed = r.failed_date.empty();
    for (const auto& row :
         db_.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").rows) {
      r.tables.push_back(lowering::to_string(row[0]));
    }
    if (!o_.db_file.empty()) save(o_.db_file);
    return r;
  }

 private:
  const Partition& partition(const std::string& date) const {
    return *std::find_if(p_.partitions.begin(), p_.partitions.end(),
                         [&](const Partition& x) { return x.date == date; });
  }

  std::map<std::string, Value> parameters(const std::vector<std::string>& list) const {
    std::map<std::string, Value> out;
    for (const auto& x : list) out.insert(parameter_value(x));
    return out;
  }

  // The WHERE condition selecting one partition (by its id), or "" for the whole table.
  std::string partition_filter(const std::string& id) const {
    if (id.empty() || p_.partition_field.empty()) return "";
    if (id.size() == 6) {
      return fmt::format(" WHERE substr({}, 1, 7) = {}", quote(p_.partition_field),
                         literal(id.substr(0, 4) + "-" + id.substr(4, 2)));
    }
    return fmt::format(" WHERE substr({}, 1, 10) = {}", quote(p_.partition_field),
                       literal(id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2)));
  }

  std::string column_list() const {
    std::string out;
    for (const auto& n : names_) out += (out.empty() ? "" : ", ") + quote(n);
    return out;
  }

  std::string lower(const syntax::Query& q, const std::string& file,
                    const std::map<std::string, Value>& bound) {
    return simulation::lower_with_parameters(
        q, file, catalog_, bound,
        "the backfill does not bind it: add it to scheduling.parameters of metadata.yaml");
  }

  lowering::Rows query(const std::string& sql, const std::map<std::string, Value>& bound = {}) {
    try {
      return db_.query(sql, bound);
    } catch (const std::runtime_error& e) {
      throw base::Error("<backfill run>", 0, 0, std::string("SQLite: ") + e.what());
    }
  }

  void ensure_production() {
    if (catalog_.count(p_.production_table)) return;
    db_.create_table(p_.production_table, columns_);
    catalog_[p_.production_table] = names_;
  }

  // Copies the rows of `from` selected by `filter` over those of `to`.
  void copy(const std::string& from, const std::string& to, const std::string& filter) {
    query("DELETE FROM " + quote(to) + filter);
    query(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}{}", quote(to), column_list(),
                      column_list(), quote(from), filter));
  }

  bool execute(const Step& step, RunResult& r) {
    std::string file = p_.query_file.filename().string();
    switch (step.kind) {
      case StepKind::kGenerate:
      case StepKind::kRewriteReferences:
        return true;  // done by the plan
      case StepKind::kCreateStaging:
        db_.create_table(p_.staging_table, columns_);
        catalog_[p_.staging_table] = names_;
        return true;
      case StepKind::kSeedPreviousPartition: {
        if (!catalog_.count(p_.table.qualified())) return true;  // nothing to seed from
        std::string id = step.outputs[0].substr(step.outputs[0].rfind('$') + 1);
        copy(p_.table.qualified(), p_.staging_table, partition_filter(id));
        return true;
      }
      case StepKind::kDryRun: {
        lower(*query_, file, parameters(step.parameters));
        return true;
      }
      case StepKind::kQuery: {
        const Partition& part = partition(step.date);
        auto bound = parameters(part.parameters);
        std::string sql = lower(*query_, file, bound);
        query("DROP TABLE IF EXISTS temp.partition_rows");
        query("CREATE TEMP TABLE partition_rows AS " + sql, bound);
        auto produced = query("SELECT * FROM temp.partition_rows LIMIT 0").columns;
        for (const auto& c : produced) {
          if (std::find_if(names_.begin(), names_.end(), [&](const std::string& n) {
                return syntax::to_lower(n) == syntax::to_lower(c);
              }) == names_.end()) {
            throw base::Error(p_.schema_file.string(), 0, 0,
                              fmt::format("the query writes column {} that the staging schema does "
                                          "not have; update schema.yaml",
                                          c));
          }
        }
        std::string produced_list;
        for (const auto& c : produced)
          produced_list += (produced_list.empty() ? "" : ", ") + quote(c);
        query("DELETE FROM " + quote(p_.staging_table) + partition_filter(part.id));
        query(fmt::format("INSERT INTO {} ({}) SELECT {} FROM temp.partition_rows",
                          quote(p_.staging_table), produced_list, produced_list));
        query("DROP TABLE temp.partition_rows");
        return true;
      }
      case StepKind::kCheck: {
        const Partition& part = partition(step.date);
        auto bound = parameters(part.parameters);
        const char* checks = "shredder_mitigation_checks.sql";
        std::string check = lower(*check_, checks, bound);
        try {
          db_.query(check, bound);
        } catch (const std::runtime_error& e) {
          r.check_failures.push_back(e.what());
        }
        auto rows = query(lower(*mismatches_, checks, bound), bound);
        if (r.check_failures.empty() && rows.rows.empty()) return true;
        r.failed_date = step.date;
        r.mismatch_columns = rows.columns;
        for (const auto& row : rows.rows) {
          std::vector<std::string> cells;
          for (const auto& v : row) cells.push_back(lowering::to_string(v));
          r.mismatches.push_back(std::move(cells));
        }
        return false;
      }
      case StepKind::kBackup:
        ensure_production();
        if (catalog_.count(p_.backup_table)) {
          throw base::Error(p_.backup_table, 0, 0,
                            "the backup table already exists; remove its .ndjson from --data");
        }
        db_.create_table(p_.backup_table, columns_);
        catalog_[p_.backup_table] = names_;
        copy(p_.production_table, p_.backup_table, "");
        return true;
      case StepKind::kCopyPartition: {
        std::string id;
        if (auto at = step.inputs[0].rfind('$'); at != std::string::npos) {
          id = step.inputs[0].substr(at + 1);
        }
        copy(p_.staging_table, p_.production_table, partition_filter(id));
        return true;
      }
      case StepKind::kDeleteStaging:
        query("DROP TABLE " + quote(p_.staging_table));
        catalog_.erase(p_.staging_table);
        return true;
    }
    return true;
  }

  // Writes the database to `file` atomically (SQLite's VACUUM INTO a temporary file, renamed).
  void save(const fs::path& file) {
    fs::path tmp = file;
    tmp += fmt::format(".tmp-{}", getpid());
    std::error_code ec;
    fs::remove(tmp, ec);
    try {
      db_.execute("VACUUM INTO " + literal(tmp.string()));
    } catch (const std::runtime_error& e) {
      fs::remove(tmp, ec);
      throw base::Error(file.string(), 0, 0, std::string("cannot write the database: ") + e.what());
    }
    fs::rename(tmp, file, ec);
    if (ec) {
      fs::remove(tmp, ec);
      throw base::Error(file.string(), 0, 0, "cannot replace the file: " + ec.message());
    }
  }

  const Plan& p_;
  const RunOptions& o_;
  lowering::Database db_;
  lowering::Catalog catalog_;
  std::vector<lowering::Column> columns_;
  std::vector<std::string> names_;
  std::unique_ptr<syntax::Query> query_, check_, mismatches_;
};

}  // namespace

RunResult run(const Plan& plan, const RunOptions& options) { return Runner(plan, options).run(); }

}  // namespace shredmit::backfill
