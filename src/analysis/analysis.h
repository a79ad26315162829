// shredmit analysis: the output columns of an aggregate query, which of them are dimensions and
// which are metrics, and their BigQuery types, decided statically from the query text and its
// schema.yaml (no BigQuery call, no sample rows).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "project/project.h"
#include "syntax/syntax.h"

namespace shredmit::analysis {

// BigQuery column types (GoogleSQL names).
enum class Type {
  kUnknown,
  kString,
  kBytes,
  kInt64,
  kFloat64,
  kNumeric,
  kBigNumeric,
  kBool,
  kDate,
  kDatetime,
  kTime,
  kTimestamp,
  kJson,
  kGeography,
  kInterval,
  kStruct,
  kArray,
  kRange,
};

// GoogleSQL spelling: "INT64", "FLOAT64", "STRING", ...; "unknown" for kUnknown.
std::string_view type_name(Type t);
// The type of a schema.yaml field. Accepts the legacy names bigquery-etl writes (INTEGER, FLOAT,
// BOOLEAN, RECORD) and the GoogleSQL ones; REPEATED mode makes kArray. kUnknown when unrecognised.
Type type_from_schema(const project::SchemaField& field);
// INT64, FLOAT64, NUMERIC, BIGNUMERIC.
bool is_numeric(Type t);
// Types BigQuery can GROUP BY and compare with IS NOT DISTINCT FROM: the scalar types other than
// JSON and GEOGRAPHY (BigQuery documentation, "Groupable data types").
bool is_groupable(Type t);

enum class Role { kDimension, kMetric };

struct OutputColumn {
  std::string name;
  syntax::Location loc;                // the select item
  const syntax::Expr* expr = nullptr;  // the defining expression (null for a star expansion)
  Role role = Role::kDimension;
  Type type = Type::kUnknown;
  std::string type_source;  // "schema.yaml" or "inferred from the expression"
  bool constant = false;    // an ungrouped expression of literals and parameters only
};

// The analysis of an aggregate query: its final SELECT and its output columns in order.
struct AggregateQuery {
  const syntax::Select* final_select = nullptr;
  std::vector<OutputColumn> columns;
  const OutputColumn* find(std::string_view name) const;  // case-insensitive
};

// Analyses `query` (read from `query_file`) with the table's schema.
//
// Rules (issue 2, seed 004 "Key considerations"):
// - The final SELECT is the query's last query expression; a set operation there is refused.
// - It needs an explicit GROUP BY: none, GROUP BY ALL, ordinals, ROLLUP/CUBE/GROUPING SETS and
//   () are refused with the location of the offending clause or item.
// - Dimensions are output columns whose expression is grouped: the GROUP BY item is the same
//   expression (so `normalized_channel AS channel ... GROUP BY normalized_channel` makes
//   `channel` a dimension), or names the output column's alias (`@submission_date AS
//   submission_date ... GROUP BY submission_date`), or is the same column with or without its
//   table qualifier. An ungrouped expression built only from grouped columns, literals and
//   parameters is a dimension too (BigQuery accepts it; it is constant within each group).
// - Metrics are the other output columns: they contain an aggregate function. A metric whose
//   type is not numeric, and a column that is neither grouped nor aggregated, are errors.
// - Types come from the schema (top-level field of the same name); otherwise they are inferred
//   from the expression (COUNT is INT64, SUM keeps INT64/FLOAT64/NUMERIC, CAST gives its type,
//   literals their own, @..._date parameters DATE). A column whose type is still unknown is an
//   error asking for the schema entry.
// Throws project::UserError naming `query_file` and the line:column of the problem.
AggregateQuery analyze_aggregate(const syntax::Query& query, const project::Schema& schema,
                                 const std::string& query_file);

// Names of the aggregate functions the analysis recognises (upper case, without SAFE.).
bool is_aggregate_function(std::string_view name);

}  // namespace shredmit::analysis
