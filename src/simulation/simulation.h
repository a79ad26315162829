// shredmit simulation: runs a table's generated shredder-mitigation query and checks on sample
// data in SQLite and compares totals per common dimension group (`shredmit simulate`).
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lowering/lowering.h"
#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::simulation {

struct Options {
  project::SqlTree tree;
  project::TableId table;  // the new version, TABLE_vN
  // PROJECT.DATASET.TABLE.ndjson per table, with PROJECT.DATASET.TABLE.schema.yaml beside it or
  // the table's schema.yaml in the tree.
  std::filesystem::path data_dir;
  std::string date;                // YYYY-MM-DD, bound to @<partition field>
  mitigation::Options mitigation;  // as for `shredmit generate`
};

// Totals of one common dimension group, for each common metric: the previous version's table,
// the new query on the (shredded) upstream data, and the mitigated output.
struct GroupTotals {
  std::vector<lowering::Value> dimensions;  // NULL and '??' are one group (shown as NULL)
  std::vector<std::array<lowering::Value, 3>> metrics;  // previous, new query, mitigated
};

struct Result {
  mitigation::Mitigation mitigation;
  std::vector<std::string> dimensions;  // common dimension names
  std::vector<std::string> metrics;     // common metric names
  std::vector<GroupTotals> groups;      // sorted by dimension values
  size_t new_query_rows = 0;
  size_t mitigated_rows = 0;
  std::vector<std::string> check_failures;  // ERROR() messages of the generated checks
  // The rows of the generated check's mismatch query (mitigation::Mitigation::mismatches_sql):
  // dimensions, metric, kind, previous, expected, backfilled, difference.
  lowering::Rows mismatches;
  // The rows of the generated report statement (mitigation::Mitigation::report_sql).
  lowering::Rows report;
  bool passed() const { return check_failures.empty() && mismatches.rows.empty(); }
};

// Loads every PROJECT.DATASET.TABLE.ndjson of options.data_dir, with the PROJECT.DATASET.TABLE
// .schema.yaml beside it (else sql/PROJECT/DATASET/TABLE/schema.yaml of the tree), into an
// in-memory SQLite database; generates the mitigation for
// options.table (mitigation::generate with options.mitigation); runs the new query and the
// mitigation query for options.date through the SQLite lowering, stores the mitigated rows as
// the table the checks read (the staging table, or the new version's table); then runs the check,
// its mismatch query and the report, and computes the totals.
// NDJSON values follow BigQuery's JSON loading: INT64 as a JSON integer or a string of digits,
// FLOAT64/NUMERIC as a number or a numeric string, BOOL as true/false, DATE/DATETIME/TIMESTAMP
// as strings in canonical form, RECORD as an object; REPEATED fields are not supported.
// Throws base::Error (exit status 2 in the CLI) for bad input: a missing schema file, a
// line that is not a JSON object, an unknown column, a value that does not fit its type, a NULL
// in a REQUIRED column (each naming the file and line), a table the new query reads or the
// previous version that has no data file, a query outside the lowering's subset, and any
// parameter other than the date parameter (analysis::Partitioning).
Result simulate(const Options& options);

// Loads every NAME.ndjson of `data_dir`, with NAME.schema.yaml beside it or, for a
// PROJECT.DATASET.TABLE, its schema.yaml in `tree`, into `db` as table
// NAME (the dotted table path) and returns the loaded tables' column names. The NDJSON rules and
// errors are simulate's (above). Throws base::Error.
lowering::Catalog load_sample_data(lowering::Database& db, const std::filesystem::path& data_dir,
                                   const project::SqlTree& tree);

// Lowers `query` (named `file` in errors) for SQLite with `catalog` and checks that every
// @parameter it uses has a value in `bound`. Returns the SQLite SQL. Throws base::Error
// "query parameter @NAME has no value; <how_to_bind>" for an unbound one, and the lowering's
// errors.
std::string lower_with_parameters(const syntax::Query& query, const std::string& file,
                                  const lowering::Catalog& catalog,
                                  const std::map<std::string, lowering::Value>& bound,
                                  std::string_view how_to_bind);

// The base tables a query reads (FROM paths that are not WITH queries in scope), with the
// location of their first use.
std::map<std::string, syntax::Location> read_tables(const syntax::Query& query);

// The result as text: the dimension names, one line per group and metric with previous, new
// query, mitigated and difference (mitigated minus previous); the check's mismatch table when it
// has rows; the report (compensated share per metric); then the checks' verdict.
std::string format(const Result& result);

}  // namespace shredmit::simulation
