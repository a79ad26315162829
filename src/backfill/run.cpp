// Running a backfill plan on sample data with GoogleSQL's reference evaluator (see backfill.h).
#include <fmt/format.h>

#include <algorithm>

#include "backfill.h"
#include "base/files.h"
#include "base/text.h"
#include "internal.h"
#include "report/report.h"
#include "simulation/simulation.h"

namespace shredmit::backfill {
namespace {

namespace fs = std::filesystem;
using engine::Value;
using Table = std::vector<std::vector<Value>>;

class Runner {
 public:
  Runner(const Plan& plan, const RunOptions& options) : p_(plan), o_(options) {}

  RunResult run() {
    data_ = simulation::load_sample_data(o_.data_dir, p_.tree);
    if (data_.find(p_.staging_table)) {
      throw base::Error(p_.staging_table, 0, 0,
                        "the staging table has a data file in --data; the backfill creates it: "
                        "remove its .ndjson");
    }
    staging_ = shape(p_.schema_file);
    if (!p_.previous_query_table.empty()) {
      previous_ = shape(p_.tree.table_dir(p_.generated->previous_table) / "schema.yaml");
    }

    RunResult r;
    for (const auto& step : p_.steps) {
      if (!execute(step, r)) break;
      ++r.steps_done;
      if (o_.progress) o_.progress(r.steps_done, p_.steps.size(), step);
    }
    r.passed = r.failed_date.empty();
    std::vector<base::OutputFile> files;
    for (const auto& name : {p_.production_table, p_.backup_table, p_.staging_table,
                             p_.new_query_table, p_.previous_query_table}) {
      if (name.empty()) continue;
      const engine::Table* table = data_.find(name);
      if (!table || !changed_.count(table->name)) continue;
      r.tables.push_back(table->name);
      if (o_.output_dir.empty()) continue;
      engine::Rows rows{table->columns, data_.rows[table->name]};
      files.push_back({o_.output_dir / (table->name + ".ndjson"), simulation::to_ndjson(rows)});
      files.push_back({o_.output_dir / (table->name + ".schema.yaml"), shape_of(name).text});
    }
    std::sort(r.tables.begin(), r.tables.end());
    for (auto& f : reports_) files.push_back(std::move(f));
    if (!files.empty()) base::write_files_atomically(files);
    return r;
  }

 private:
  const Partition& partition(const std::string& date) const {
    return *std::find_if(p_.partitions.begin(), p_.partitions.end(),
                         [&](const Partition& x) { return x.date == date; });
  }

  simulation::Run bound(const std::vector<std::string>& parameters) const {
    simulation::Run run{&data_,
                        &p_.tree,
                        p_.table.project,
                        {},
                        "the backfill binds the date parameter and scheduling.parameters of "
                        "metadata.yaml: add it there"};
    for (const auto& text : parameters) run.parameters.push_back(engine::binding(text));
    return run;
  }

  // A table's schema.yaml (its path and text), columns and the position of its partition field.
  struct Shape {
    fs::path file;
    std::string text;
    std::vector<engine::Field> columns;
    std::optional<size_t> partition;
  };

  Shape shape(const fs::path& file) const {
    Shape out{file, base::read_text_file(file),
              engine::columns_from_schema(project::load_schema(file, p_.tree)), std::nullopt};
    if (p_.partition_field.empty()) return out;
    auto it = std::find_if(out.columns.begin(), out.columns.end(), [&](const engine::Field& f) {
      return base::same_name(f.name, p_.partition_field);
    });
    if (it == out.columns.end()) {
      throw base::Error(file.string(), 0, 0,
                        fmt::format("the partition field {} is not a column of schema.yaml; add it",
                                    p_.partition_field));
    }
    out.partition = static_cast<size_t>(it - out.columns.begin());
    return out;
  }

  bool is_previous_query(const std::string& name) const {
    return !p_.previous_query_table.empty() && base::same_name(name, p_.previous_query_table);
  }
  // The previous-query table has the previous version's schema; every other the table's.
  const Shape& shape_of(const std::string& name) const {
    return is_previous_query(name) ? previous_ : staging_;
  }

  // Whether a row of table `name` belongs to the partition `id` (YYYYMMDD or YYYYMM; "" is the
  // whole table): the partition field's value, a DATE, DATETIME or TIMESTAMP, starts with the
  // partition's date or month.
  bool in_partition(const std::string& name, const std::vector<Value>& row,
                    const std::string& id) const {
    const auto& column = shape_of(name).partition;
    if (id.empty() || !column) return true;
    const Value& v = row[*column];
    if (v.null) return false;
    std::string prefix = id.substr(0, 4) + "-" + id.substr(4, 2);
    if (id.size() == 8) prefix += "-" + id.substr(6, 2);
    return v.text.compare(0, prefix.size(), prefix) == 0;
  }

  // The table `name`, created empty with its schema when the data has none.
  Table& table(const std::string& name) {
    if (!data_.find(name)) data_.put(engine::Table{name, shape_of(name).columns});
    changed_.insert(data_.find(name)->name);
    return data_.rows[data_.find(name)->name];
  }

  // Replaces the rows of partition `id` of `to` by `rows`.
  void replace(const std::string& to, const std::string& id, Table rows) {
    Table& target = table(to);
    std::erase_if(target, [&](const std::vector<Value>& row) { return in_partition(to, row, id); });
    for (auto& row : rows) target.push_back(std::move(row));
  }

  Table rows_of(const std::string& name, const std::string& id) const {
    Table out;
    const engine::Table* t = data_.find(name);
    if (!t) return out;
    for (const auto& row : data_.rows.at(t->name)) {
      if (in_partition(name, row, id)) out.push_back(row);
    }
    return out;
  }

  // Runs `sql` for a partition and replaces the partition of the step's output table by its
  // rows, conformed to that table's schema.
  void write_partition(const Step& step, const std::string& sql, bool generated) {
    const Partition& part = partition(step.date);
    const std::string& output = step.outputs[0];
    std::string name = output.substr(0, output.find('$'));
    std::string file = fs::path(step.inputs[0]).filename().string();
    engine::Rows result = simulation::run_query(sql, file, bound(part.parameters), generated);
    const Shape& shape = shape_of(name);
    replace(name, partition_id(output),
            simulation::conform(result, shape.columns, shape.file.string()));
  }

  // The validation queries of a checked partition and their report, for report_dir/DATE/.
  void validate(const std::string& date, const simulation::Run& run, RunResult& r) {
    report::Results results;
    for (const auto& v : p_.generated->validation) {
      results[v.name] =
          simulation::run_query(v.sql, "shredder_mitigation_validation.sql", run, true);
    }
    report::Report report = report::build(results, p_.production_table);
    for (auto& f : report::files(report, o_.report_dir / date)) reports_.push_back(std::move(f));
    r.report_summaries.emplace_back(date, report.summary);
  }

  static std::string partition_id(const std::string& table) {
    auto at = table.rfind('$');
    return at == std::string::npos ? "" : table.substr(at + 1);
  }

  bool execute(const Step& step, RunResult& r) {
    const char* checks = "shredder_mitigation_checks.sql";
    switch (step.kind) {
      case StepKind::kGenerate:
      case StepKind::kRewriteReferences:
      case StepKind::kDryRun:  // the plan analyzed the statements it wrote
        return true;
      case StepKind::kCreateStaging:
        for (const auto& t : step.outputs) table(t);
        return true;
      case StepKind::kSeedPreviousPartition: {
        std::string id = partition_id(step.outputs[0]);
        replace(p_.staging_table, id, rows_of(p_.table.qualified(), id));
        return true;
      }
      case StepKind::kQuery: {
        std::string name = step.outputs[0].substr(0, step.outputs[0].find('$'));
        write_partition(step, is_previous_query(name) ? p_.previous_query_sql : p_.query_sql,
                        false);
        return true;
      }
      case StepKind::kCompensate:
        write_partition(step, p_.generated->compensation_sql, true);
        return true;
      case StepKind::kCheck: {
        auto run = bound(partition(step.date).parameters);
        if (auto failure = simulation::run_check(p_.generated->check_sql, checks, run, true)) {
          r.check_failures.push_back(*failure);
        }
        auto rows = simulation::run_query(p_.generated->mismatches_sql, checks, run, true);
        if (r.check_failures.empty() && rows.rows.empty()) {
          if (!o_.report_dir.empty()) validate(step.date, run, r);
          return true;
        }
        r.failed_date = step.date;
        for (const auto& c : rows.columns) r.mismatch_columns.push_back(c.name);
        for (const auto& row : rows.rows) {
          std::vector<std::string> cells;
          for (const auto& v : row) cells.push_back(simulation::display(v));
          r.mismatches.push_back(std::move(cells));
        }
        return false;
      }
      case StepKind::kBackup:
        if (data_.find(p_.backup_table)) {
          throw base::Error(p_.backup_table, 0, 0,
                            "the backup table already exists; remove its .ndjson from --data");
        }
        table(p_.production_table);
        table(p_.backup_table) = rows_of(p_.production_table, "");
        return true;
      case StepKind::kCopyPartition: {
        std::string id = partition_id(step.inputs[0]);
        replace(p_.production_table, id, rows_of(p_.staging_table, id));
        return true;
      }
      case StepKind::kDeleteStaging:
        for (const auto& t : step.inputs) {
          if (!data_.find(t)) continue;
          changed_.erase(data_.find(t)->name);
          data_.remove(t);
        }
        return true;
    }
    return true;
  }

  const Plan& p_;
  const RunOptions& o_;
  simulation::SampleData data_;
  Shape staging_, previous_;
  std::set<std::string> changed_;  // tables created or written, by engine::Table::name
  std::vector<base::OutputFile> reports_;
};

}  // namespace

RunResult run(const Plan& plan, const RunOptions& options) { return Runner(plan, options).run(); }

}  // namespace shredmit::backfill
