// shredmit simulation: runs a table's generated shredder-mitigation query and checks on sample
// data with GoogleSQL's reference evaluator (BigQuery's semantics) and compares totals per
// common dimension group (`shredmit simulate`). Also the sample-data layer `backfill run` uses.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::simulation {

// Tables of sample data: one per PROJECT.DATASET.TABLE.ndjson file of a folder.
struct SampleData {
  std::filesystem::path folder;  // where the files were read, for messages
  engine::Catalog catalog;       // each table's columns, from its schema
  // Each table's rows, in its columns' order, keyed by engine::Table::name.
  std::map<std::string, std::vector<std::vector<engine::Value>>> rows;

  // The table named `name` (PROJECT.DATASET.TABLE, case-insensitive), or null.
  const engine::Table* find(std::string_view name) const;
  // Adds an empty table, or replaces the table of that name and its rows.
  void put(engine::Table table, std::vector<std::vector<engine::Value>> rows = {});
  void remove(std::string_view name);
};

// Loads every NAME.ndjson of `data_dir`, with NAME.schema.yaml beside it or, for a
// PROJECT.DATASET.TABLE, its schema.yaml in `tree` (sql/PROJECT/DATASET/TABLE/schema.yaml).
// NDJSON follows BigQuery's JSON loading: one object per line; INT64 as a JSON integer or a
// string of digits, FLOAT64 and NUMERIC as a number or a numeric string, BOOL as true/false,
// DATE/DATETIME/TIMESTAMP/TIME as strings in canonical form ("2024-06-01 10:00:00[+00]"), JSON
// as any JSON value, a RECORD as an object (fields missing from it are NULL), a REPEATED field as
// an array (null is the empty array). Throws base::Error (kInput) naming the file and line for: a
// folder that is not one, a missing schema, a line that is not a JSON object, an unknown column
// or field, a value that does not fit its type, a NULL in a REQUIRED column; and for a BYTES or
// GEOGRAPHY column, which sample data cannot hold.
SampleData load_sample_data(const std::filesystem::path& data_dir, const project::SqlTree& tree);

// The client ids of a deleted-clients file: one id per line, surrounding blanks trimmed, empty
// lines and lines starting with '#' skipped. Throws base::Error (kInput) when it cannot be read.
std::set<std::string> read_deleted_clients(const std::filesystem::path& file);

// Shredder's deletion on sample data: removes from each table of `data` but `keep` (the previous
// version's table, an aggregate) the rows whose client id is in `clients`. The id is the column
// `id_column` when given (a dotted path reaches a STRUCT field: "client_info.client_id"), else
// what shredder deletes by: `client_id`, or `client_info.client_id` in Glean tables. A table
// without the column is left alone. Returns the number of rows removed per table, for the tables
// that lost rows.
std::map<std::string, size_t> delete_clients(SampleData& data, const std::set<std::string>& clients,
                                             const std::string& id_column,
                                             const std::set<std::string>& keep);

// Rows as NDJSON, one object per line with the columns in order: INT64 and FLOAT64 as JSON
// numbers (NaN and infinities as strings), BOOL as true/false, NULL as null, STRUCT as an object,
// ARRAY as an array; the rest as strings (NUMERIC and BIGNUMERIC exactly, as BigQuery exports
// them). load_sample_data reads it back.
std::string to_ndjson(const engine::Rows& rows);

// The rows of a query's `result` laid out in a table's `columns`, matched by name (a column the
// result lacks is NULL, or [] for an ARRAY), as BigQuery writes a query's result into a table.
// Throws base::Error located in `schema_file` for a result column the table does not have.
std::vector<std::vector<engine::Value>> conform(const engine::Rows& result,
                                                const std::vector<engine::Field>& columns,
                                                const std::string& schema_file);

// What a query of a table needs to run on sample data.
struct Run {
  const SampleData* data = nullptr;
  const project::SqlTree* tree = nullptr;
  std::string project;                      // the default project of two-part names
  std::vector<engine::Binding> parameters;  // bound as bigquery-etl binds them
  std::string how_to_bind;                  // ends "query parameter @x has no value; ..."
};

// Runs `sql` (the text of `file`: a query, after CREATE TEMP FUNCTION statements) on
// run.data, with the persistent functions it calls from run.tree. Each table it reads must have
// sample data. Throws base::Error located in `file`: kInput for a table without a data file
// (naming the files to add), a parameter without a value (with run.how_to_bind), a query
// GoogleSQL refuses or that fails on the data (an ERROR() call, a division by zero), or one this
// engine cannot run (a JavaScript function); kInternal instead when `generated` (shredmit wrote
// the SQL).
engine::Rows run_query(const std::string& sql, const std::string& file, const Run& run,
                       bool generated = false);

// Runs a check statement (`sql`, the text of `file`, bigquery-etl's `#fail` form that raises
// ERROR() when the data is wrong) as run_query does. Returns the ERROR() message when the check
// fails on the data, nullopt when it passes. Throws as run_query does (kInternal when
// `generated`) when GoogleSQL refuses the statement.
std::optional<std::string> run_check(const std::string& sql, const std::string& file,
                                     const Run& run, bool generated = false);

// A value as simulate and backfill run print it: NULL, its text, [a, b] for an ARRAY or STRUCT.
std::string display(const engine::Value& v);

struct Options {
  project::SqlTree tree;
  project::TableId table;  // the new version, TABLE_vN
  // PROJECT.DATASET.TABLE.ndjson per table, with PROJECT.DATASET.TABLE.schema.yaml beside it or
  // the table's schema.yaml in the tree.
  std::filesystem::path data_dir;
  std::string date;                // YYYY-MM-DD, bound to the date parameter and {{ds}}
  mitigation::Options mitigation;  // as for `shredmit generate`
  // Clients shredder deleted (read_deleted_clients); empty for none. The previous version's
  // table, when --data has no file for it, is then computed by running the previous version's
  // query on the upstream sample rows before the deletion.
  std::filesystem::path deleted_clients;
  std::string client_id_column;  // delete_clients' id_column
};

// Totals of one common dimension group, for each common metric: the previous version's table,
// the new query on the (shredded) upstream data, and the mitigated output.
struct GroupTotals {
  std::vector<engine::Value> dimensions;  // NULL and '??' are one group (shown as NULL)
  // previous, new query, mitigated, mitigated minus previous (NULL when either is NULL)
  std::vector<std::array<engine::Value, 4>> metrics;
};

struct Result {
  mitigation::Mitigation mitigation;
  std::vector<std::string> dimensions;  // common dimension names
  std::vector<std::string> metrics;     // common metric names
  std::vector<GroupTotals> groups;      // sorted by dimension values, NULL first
  size_t new_query_rows = 0;
  size_t mitigated_rows = 0;
  // Set when the previous version's table was computed from its query (--deleted-clients
  // without a data file for it): its rows.
  size_t previous_rows_computed = 0;
  bool previous_computed = false;
  engine::Rows previous_table;                 // the computed table, in its schema's columns
  std::map<std::string, size_t> deleted_rows;  // per upstream table (delete_clients)
  std::vector<std::string> check_failures;     // ERROR() messages of the generated checks
  // The rows of the generated check's mismatch query (mitigation::Mitigation::mismatches_sql):
  // dimensions, metric, kind, previous, expected, backfilled, difference.
  engine::Rows mismatches;
  // The rows of the generated report statement (mitigation::Mitigation::report_sql); empty when
  // the checks file has no report.
  engine::Rows report;
  // The backfilled rows: what the mitigation query writes for the date.
  engine::Rows backfilled;
  // The results of the validation queries (mitigation::Mitigation::validation), by name, in
  // order: what `shredmit report` reads.
  std::vector<std::pair<std::string, engine::Rows>> validation;
  bool passed() const { return check_failures.empty() && mismatches.rows.empty(); }
};

// Generates the mitigation for options.table (mitigation::generate with options.mitigation),
// loads the sample data, deletes the deleted clients from the upstream tables (computing the
// previous version's table first when it has no data file), then, with GoogleSQL's reference
// evaluator, runs the new query and the mitigation query for options.date (the date parameter,
// and scheduling.parameters bound as `backfill plan` binds them), stores the mitigated rows as
// the table the checks read (the staging table, or the new version's table), runs the check, its
// mismatch query and the report and the validation queries, and computes the totals. Throws
// base::Error (exit status 2 in the CLI) for bad input (load_sample_data, run_query, a --date that
// is not a date, a previous table without data and no --deleted-clients, a data file for the
// staging table), kInternal when GoogleSQL refuses a statement shredmit wrote, and kUsage when the
// engine is not installed.
Result simulate(const Options& options);

// The result as text: the dimension names, one line per group and metric with previous, new
// query, mitigated and difference; the check's mismatch table when it has rows; the report
// (compensated share per metric); then the checks' verdict.
std::string format(const Result& result);

}  // namespace shredmit::simulation
