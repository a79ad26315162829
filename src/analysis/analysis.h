// shredmit analysis: the output columns of an aggregate query, which of them are dimensions and
// which are metrics, and their BigQuery types, decided statically from the query text and its
// schema.yaml (no BigQuery call, no sample rows).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "project/project.h"
#include "resolve/resolve.h"
#include "syntax/syntax.h"
#include "syntax/visit.h"

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
// The type a type name names, case-insensitive: GoogleSQL names (INT64, FLOAT64, BOOL, STRUCT,
// ...), their aliases (INT, DECIMAL, ...) and the legacy names bigquery-etl writes (INTEGER,
// FLOAT, BOOLEAN, RECORD). kUnknown when unrecognised.
Type type_from_name(std::string_view name);
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
  // Metrics: the aggregate expressions that define the column, each with the SELECT it is
  // written in: the select-list expression for a grouped SELECT, the grouped query's for a
  // column a projection passes through, one per branch of a UNION ALL.
  std::vector<std::pair<const syntax::Expr*, const resolve::Scope*>> definitions;
};

// What is wrong with an aggregate query for shredder mitigation (see inspect_aggregate).
enum class ProblemKind {
  kGroupBy,     // no GROUP BY, GROUP BY ALL, ordinals, ROLLUP/CUBE/GROUPING SETS, ()
  kShape,       // final query is a set operation, `*`, an unnamed or duplicated output column
  kUngrouped,   // an output column neither grouped nor aggregated
  kMetricType,  // an aggregated output column whose type is not numeric
};

struct Problem {
  ProblemKind kind;
  syntax::Location loc;
  std::string message;  // says how to fix it
};

// The analysis of an aggregate query: its final SELECT and its output columns in order.
class Lineage;

// The column named `name` (case-insensitive) in `columns`, or null.
const OutputColumn* find_column(const std::vector<OutputColumn>& columns, std::string_view name);

struct AggregateQuery {
  const syntax::Select* final_select = nullptr;
  // The query's name resolution and lineage; the scopes of the columns' definitions are its.
  std::shared_ptr<const Lineage> lineage;
  std::vector<OutputColumn> columns;
  std::vector<Problem> problems;                          // in query order
  const OutputColumn* find(std::string_view name) const;  // case-insensitive
};

// Analyses `query` with the table's schema. Never throws for the
// query's shape: every problem is listed in `problems` (in query order) and the analysis goes
// on (check_preconditions turns them into refusals).
//
// Rules (seed 004, "Key considerations"):
// - The final SELECT is the query's last query expression; a set operation there other than
//   UNION ALL is a problem.
// - Every SELECT that defines the grain needs an explicit GROUP BY: none, GROUP BY ALL,
//   ordinals, ROLLUP/CUBE/GROUPING SETS and () are problems located at the clause or item; so is
//   a GROUP BY item that is neither an output dimension nor read by one (a hidden grain).
// - Dimensions are output columns whose expression is grouped: the GROUP BY item is the same
//   expression (so `normalized_channel AS channel ... GROUP BY normalized_channel` makes
//   `channel` a dimension), or names the output column's alias (`@submission_date AS
//   submission_date ... GROUP BY submission_date`), or is the same column with or without its
//   table qualifier. An ungrouped expression built only from grouped columns, literals and
//   parameters is a dimension too (BigQuery accepts it; it is constant within each group).
//   Without a usable GROUP BY, output columns without an aggregate count as dimensions.
// - Metrics are the other output columns: they contain an aggregate function. A metric whose
//   type is not numeric, and a column that is neither grouped nor aggregated, are problems.
// - Types come from the schema (top-level field of the same name); otherwise they are inferred
//   from the expression (COUNT is INT64, SUM keeps INT64/FLOAT64/NUMERIC, CAST gives its type,
//   literals their own, @..._date parameters DATE); a column whose type cannot be told keeps
//   kUnknown.
AggregateQuery inspect_aggregate(const syntax::Query& query, const project::Schema& schema);

// Names of the aggregate functions the analysis recognises (upper case, without SAFE.).
bool is_aggregate_function(std::string_view name);

// True when e contains an aggregate function call (not a window function) outside subqueries.
bool contains_aggregate(const syntax::Expr& e);

// The SELECT that produces a query's rows: the body, through parentheses; for a set operation
// the leftmost SELECT (which names the columns). *set_operation tells which case it was.
const syntax::Select& final_select(const syntax::Query& query, bool* set_operation = nullptr);

// The output columns of a query as far as they can be known from its text alone (names,
// locations and expressions; role and type are not set), through name resolution: `*`, `t.*`,
// EXCEPT and REPLACE are expanded over WITH queries and subqueries, and a column `*` passes
// through gets the expression that defines it in its source. nullopt when a `*` reads a table
// (whose columns only BigQuery knows), for SELECT AS STRUCT/VALUE, an expression without a name,
// or a set operation matching columns by name.
std::optional<std::vector<OutputColumn>> output_columns(const syntax::Query& query);

// The type `e` has whatever the types of the columns it reads, or kUnknown: literals, CAST and
// SAFE_CAST, COUNT/COUNTIF, comparisons and boolean operators, string functions and other
// functions with a fixed result type; IF, IFNULL, COALESCE and CASE when every branch is proven
// (numeric branches take their supertype). Parameters are never proven. Rules from BigQuery's
// "Conversion rules" and function reference.
Type proven_type(const syntax::Expr& e);

// Where an output column's value comes from, followed through WITH queries and FROM subqueries,
// on the query's name resolution (resolve::Resolution): a column reference (`x`, `t.x`) whose
// source is a WITH query or subquery of the same query is replaced by that source's expression
// for the column, through `*` and `t.*`.
class Lineage {
 public:
  explicit Lineage(const syntax::Query& query);
  ~Lineage();
  Lineage(const Lineage&) = delete;
  Lineage& operator=(const Lineage&) = delete;

  // The query's name resolution.
  const resolve::Resolution& resolution() const { return *resolution_; }

  // The chain of expressions for the final SELECT's output column `name` (case-insensitive):
  // its select-list expression first (the source's, for a column `*` passes through), then each
  // expression a plain column reference resolves to. Empty when the column is not in the final
  // SELECT.
  std::vector<const syntax::Expr*> chain(std::string_view name) const;

  // A SELECT of the query.
  using Scope = const resolve::Scope*;

  // The final SELECT's scope; nullopt when the final query is a set operation.
  std::optional<Scope> final_scope() const;
  // The scope of a SELECT of the query (null for one outside it).
  Scope scope_of(const syntax::Select& select) const;

  // What the plain column reference `ref` (`x` or `t.x`), written in the SELECT of `scope`,
  // resolves to: the select-list expression that defines it in a WITH query or FROM subquery,
  // with that SELECT's scope (through `*`). nullopt when it names a base table's column, is
  // ambiguous, or is not found.
  std::optional<std::pair<const syntax::Expr*, Scope>> resolve(const syntax::Expr& ref,
                                                               Scope scope) const;

  // The defining expression of output column `column` of `scope` and the scope it is written
  // in, through `*`. nullopt when it comes from a table.
  std::optional<std::pair<const syntax::Expr*, Scope>> column_in(
      const resolve::Scope& scope, const resolve::Column& column) const;

  // The final SELECT's output column `name` (first branch of a set operation): its defining
  // expression and scope, through `*`.
  std::optional<std::pair<const syntax::Expr*, Scope>> column(std::string_view name) const;

  // A canonical text of the column's definition: the select-list expression in canonical form
  // (syntax::canonical_text: names folded, as BigQuery compares them) and, for each column
  // reference in it that resolves through the query, the definition of that reference,
  // recursively. Two versions of a query define a column the same way when the texts are equal
  // (`shredmit lint` SM011). Empty when the column is not in the final SELECT.
  std::string definition(std::string_view name) const;

  // Definitions are followed this many references deep at most (a WITH RECURSIVE query can
  // refer to itself without end).
  static constexpr int kMaxDepth = 64;

 private:
  std::optional<std::pair<const syntax::Expr*, Scope>> through(const resolve::Binding& b,
                                                               int depth) const;
  std::string definition(const syntax::Expr& e, Scope s, int depth) const;
  std::unique_ptr<resolve::Resolution> resolution_;
};

// True when `e` maps NULL to '??': IFNULL(x, '??'), COALESCE(..., '??'), IF(x IS NULL, '??', x)
// or a CASE whose WHEN x IS NULL gives '??', possibly in parentheses (seed 004, consideration 3).
bool maps_null_to_placeholder(const syntax::Expr& e);

// How a metric behaves when Shredder deletes clients. Deletion removes whole clients, so it can
// only lower a count; seed 004 asks that totals stay stable and that mismatches caused by changes
// that are not deletion stay visible.
enum class MetricKind {
  // COUNT(*), COUNT(x), COUNTIF, COUNT(DISTINCT ...), and by default any SUM: the mitigation
  // compensates previous minus new only where it is positive.
  kCount,
  // A SUM the user declares signed (a net amount, corrections): compensated in both directions.
  kSigned,
  // AVG, MIN, MAX, ratios and products of aggregates, APPROX_*, HLL_COUNT.*, SUM(DISTINCT),
  // window aggregates: previous minus new is not the deleted clients' contribution.
  kNotRecoverable,
};

// True when `names` holds `name`, compared case-insensitively as BigQuery compares column names
// (a --signed-metric list against a metric's name).
bool has_name(const std::vector<std::string>& names, std::string_view name);

// "count", "signed" or "not recoverable".
std::string_view metric_kind_name(MetricKind kind);

struct MetricKindInfo {
  MetricKind kind = MetricKind::kCount;
  // kNotRecoverable: why, e.g. "AVG is not a sum or a count". kCount: "a count of rows", "a sum
  // of values that are never negative" or "not proven never negative; assumed to be a count".
  // kSigned: "declared with --signed-metric".
  std::string reason;
  // Proven never negative: counts, and SUMs of expressions that are never negative (counts from a
  // WITH query, CAST(bool AS INT64), IF(c, 1, 0), LENGTH, ...), followed through WITH queries and
  // subqueries.
  bool non_negative = false;
  // Has COUNT(DISTINCT ...): totals add up over an added or removed dimension only if each client
  // has one value of it per group.
  bool distinct = false;
};

// The kind of the metric whose select-list expression is `metric`, an output column of the final
// SELECT of the query `lineage` was built from. Recoverable expressions are SUM, COUNT (DISTINCT
// included) and COUNTIF, and sums, differences, negations, constant multiples and divisions,
// IFNULL/COALESCE(·, 0) and CASTs of them. Column references inside an aggregate are followed
// through WITH queries and subqueries: a window aggregate there (one not partitioned by a
// client-level id, project::default_id_level_columns) makes the metric not recoverable, and
// counts or never-negative values there make a SUM proven never negative. `declared_signed` (the
// user's --signed-metric) makes a recoverable metric kSigned.
MetricKindInfo metric_kind(const syntax::Expr& metric, const Lineage& lineage,
                           bool declared_signed);

// The kind of an output column of inspect_aggregate, judged on each of its definitions (the
// branches of a UNION ALL, the grouped query a projection reads): not recoverable when one is,
// non-negative and a count only when all are. `lineage` is built from the same query.
MetricKindInfo metric_kind(const OutputColumn& metric, const Lineage& lineage,
                           bool declared_signed);

// ------------------------------------------------------------------ preconditions

// What a reason to refuse shredder mitigation is about. `lint` reports each kind under its own
// rule (SM001 ... SM014); generate and `backfill validate` (BF027) report all of them.
enum class Precondition {
  kVersion,        // the version is below 2 (or the folder has no _vN suffix)
  kPrevious,       // the previous version's folder is missing
  kLabel,          // metadata.yaml has no shredder_mitigation label
  kFiles,          // a file is missing, unreadable or does not parse (SQL after rendering,
                   // YAML, a schema include)
  kSchemaMissing,  // a version has no schema.yaml
  kShape,          // the grain: no explicit GROUP BY, not an aggregate, a set operation other
                   // than UNION ALL, `*` over unknown columns, an ungrouped or unnamed column, a
                   // GROUP BY item that is not an output column
  kDescriptions,   // a schema field without a description
  kIdLevel,        // an id-level column in the schema or the query's output
  kSchemaMatch,    // the query's output columns and the schema's fields and types disagree
  kMetricKind,     // a metric that is not numeric, or common to both versions and not
                   // recoverable by subtraction
  kComparable,     // no common dimension or metric, a common column changes role or type, a
                   // common dimension BigQuery cannot group by
  kPartition,      // partitioning the mitigation cannot replace one partition of
};

// One reason, located in the file it is about (line and column 0 for a whole file or folder),
// worded as a fix.
struct Refusal {
  Precondition kind;
  std::string file;
  base::Location at;
  std::string message;
  // As an input error, for generate to throw.
  base::Error error() const;
};

// One version of a table as check_preconditions read it. Each part is absent when the file is
// missing or did not read (a Refusal says which).
struct TableVersion {
  std::filesystem::path dir;
  std::string name;  // the folder name: "active_users_aggregates_v4"
  int version = 0;   // N of _vN; 0 when the name has none
  std::optional<project::Metadata> metadata;
  std::optional<project::TableQuery> query;
  std::optional<project::Schema> schema;
  std::optional<AggregateQuery> aggregate;  // inspect_aggregate of the query with the schema
  // query.sql calls metric-hub, which cannot be rendered offline (lint skips such a table).
  bool needs_network = false;
  bool exists() const { return !dir.empty(); }
};

struct ClassifiedColumn {
  std::string name;
  Type type = Type::kUnknown;
  MetricKindInfo kind;  // metrics only
};

// How the columns of the previous and new versions relate, matched by name (case-insensitive).
struct Classification {
  std::vector<ClassifiedColumn> common_dimensions;   // in both versions, new version's order
  std::vector<ClassifiedColumn> added_dimensions;    // new version only: NULL in shredded rows
  std::vector<ClassifiedColumn> removed_dimensions;  // previous version only: dropped
  std::vector<ClassifiedColumn> common_metrics;      // in both: compensated by their kind
  std::vector<ClassifiedColumn> new_metrics;         // new version only: NULL in shredded rows
  std::vector<ClassifiedColumn> removed_metrics;     // previous version only: dropped
};

// The partition the mitigation replaces: the new version's bigquery.time_partitioning, and the
// date parameter the backfill binds for it (scheduling.date_partition_parameter, default
// submission_date; bigquery-etl binds it as DATE).
struct Partitioning {
  std::string field;        // the partitioning column, a dimension of both versions
  Type type = Type::kDate;  // kDate, kTimestamp or kDatetime
  bool month = false;       // month partitions; day otherwise
  std::string parameter;    // the DATE parameter's name, without @
};

struct PreconditionOptions {
  // Columns that identify a client (`--id-level-columns`; bigquery-etl's
  // bigquery_etl/metadata/id_level_columns.yaml).
  std::vector<std::string> id_level_columns = project::default_id_level_columns();
  // Metrics declared signed (--signed-metric), for their kinds.
  std::vector<std::string> signed_metrics;
  project::RenderSettings render;
};

struct Preconditions {
  TableVersion next;
  TableVersion previous;  // !exists() when there is none
  // Set when both versions' grains could be read: the columns matched between versions.
  std::optional<Classification> classification;
  std::optional<Partitioning> partitioning;  // set when it passed every partition rule
  std::vector<Refusal> refusals;             // every reason, in the order found
  bool ok() const { return refusals.empty(); }
};

// The one decision whether the table version in `table_dir` (sql/<project>/<dataset>/<name>_vN)
// may use shredder mitigation, with every reason it may not. `generate`, `lint` (its SM rules for
// tables set up for mitigation) and `backfill validate` (BF027) all call it, so they refuse the
// same inputs with the same messages. The rules (seed 004, "Key considerations" 1 and
// troubleshooting 2; bigquery-etl's generate_query_with_shredder_mitigation):
// - the new metadata.yaml has the shredder_mitigation label (project::Metadata), the version is
//   2 or more and the previous version's folder exists;
// - each version has metadata.yaml, query.sql and schema.yaml, and they read and parse (Jinja
//   rendered, schema includes resolved);
// - each version's grain is an explicit aggregate (inspect_aggregate): every SELECT that defines
//   the grain (the final SELECT, the branches of a final UNION ALL, the grouped query a
//   projection reads) has an explicit GROUP BY whose every item is an output column;
// - every field of both schemas has a description (`!include-field-description` counts), and
//   neither schema nor query output of either version has an id-level column (any depth);
// - each query's output columns and its schema's top-level fields are the same, with types the
//   expressions do not contradict (check_schema_matches), and every column has a known type;
// - the new version's metadata partitions by day or month on a column (not ingestion time) that
//   is a DATE, TIMESTAMP or DATETIME dimension of both versions, the previous version is
//   partitioned on the same column, and the date parameter is not null;
// - the versions share a dimension and a metric, a common column keeps its role and type, a
//   common dimension can be grouped, and a common metric is recoverable by subtraction in both
//   versions (metric_kind).
// Never throws for the table's problems; throws base::Error only for a failure of the machine
// (memory).
Preconditions check_preconditions(const project::SqlTree& tree,
                                  const std::filesystem::path& table_dir,
                                  const PreconditionOptions& options = {});

// SM005's rule, also a precondition: the output columns of `query` (when they are known from the
// text) and the top-level fields of `schema` are the same names, and no schema type contradicts
// the type an expression proves (`COUNT(*)` declared STRING). Each mismatch is a kSchemaMatch
// refusal located at the select item or the schema field.
std::vector<Refusal> check_schema_matches(const syntax::Query& query, const std::string& query_file,
                                          const project::Schema& schema);

}  // namespace shredmit::analysis
