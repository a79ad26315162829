// shredmit mitigation: the shredder-mitigation query and its checks for a new version of an
// aggregate table, generated offline from the bigquery-etl tree (seed 004).
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis.h"
#include "engine/engine.h"
#include "project/project.h"

namespace shredmit::mitigation {

// What the previous totals are compared with to find the deleted clients' contribution.
enum class Baseline {
  // The new query (bigquery-etl's approach): every difference between the previous totals and the
  // new query's is taken for deletion, within the compensation rule.
  kNewQuery,
  // The previous version's query re-run on today's upstream data: the difference is the deletion
  // effect itself, so a filter or definition change made on purpose in the new version is kept.
  // The upstream tables are read twice.
  kPreviousQuery,
};

// "new-query" or "previous-query", the spelling of --baseline.
std::string_view baseline_name(Baseline b);

struct Options {
  Baseline baseline = Baseline::kNewQuery;
  // The table the backfill writes and the checks read, PROJECT.DATASET.TABLE: in a bigquery-etl
  // managed backfill, the staging table
  // moz-fx-data-shared-prod.backfills_staging_derived.<dataset>__<table>_<entry date>. Empty: the
  // new version's table.
  std::string staging_table;
  // The tables the two-step form reads (shredder_mitigation_compensation.sql): where its first
  // step wrote the new version's query's rows of the partition and, with kPreviousQuery, the
  // previous version's query's re-run, PROJECT.DATASET.TABLE with the schema of that version.
  // Empty: the staging table's name (the new version's table when that is empty too) followed
  // by "_new_query" and "_previous_query".
  std::string new_query_table;
  std::string previous_query_table;
  // The checks, the report and the validation queries read those two tables instead of running
  // the queries again, as a managed backfill runs them after the two steps: the upstream tables
  // are then read once per partition, by the first step (twice with kPreviousQuery). Otherwise
  // they embed the queries, so that they hold after either form.
  bool read_query_tables = false;
  // Metrics declared signed (--signed-metric): compensated in both directions. Names are matched
  // case-insensitively and must be metrics of the new version.
  std::vector<std::string> signed_metrics;
  // Columns no table set up for mitigation may have (--id-level-columns).
  std::vector<std::string> id_level_columns = project::default_id_level_columns();
};

using analysis::Classification;
using analysis::ClassifiedColumn;

struct Mitigation {
  // What the preconditions read of both versions (their files and analyses), which the
  // statements were built from.
  std::shared_ptr<const analysis::Preconditions> preconditions;
  project::TableId new_table;
  project::TableId previous_table;
  // The partition each run replaces (analysis::Partitioning): its column, type and unit, and
  // the DATE parameter that selects it.
  analysis::Partitioning partitioning;
  std::string partition_field;  // partitioning.field
  Baseline baseline = Baseline::kNewQuery;
  std::string staging_table;         // the table the checks read, PROJECT.DATASET.TABLE
  std::string new_query_table;       // Options::new_query_table, resolved
  std::string previous_query_table;  // Options::previous_query_table, resolved; kPreviousQuery
  bool read_query_tables = false;    // Options::read_query_tables
  Classification classification;
  // query.sql of the new and the previous version as generate read them (rendered, with their
  // CREATE TEMP FUNCTION preamble), for simulate.
  project::TableQuery new_query;
  project::TableQuery previous_query;
  // One line each, for stderr: "warning: ..." (COUNT(DISTINCT ...) metrics over added or removed
  // dimensions, only signed common metrics) and "note: ..." (SUMs assumed never negative, the
  // upstream read twice).
  std::vector<std::string> warnings;
  std::string query_sql;  // shredder_mitigation_query.sql
  // shredder_mitigation_compensation.sql, the two-step form's second step: the query_sql
  // statement with the new query's rows read from the partition of new_query_table (and
  // previous_rerun's from previous_query_table) instead of running the queries. It returns the
  // same rows as query_sql (the new query's and the shredded ones) when the first step wrote the
  // new version's query.sql (and the previous version's) into those partitions
  // (WRITE_TRUNCATE); its destination is the table's partition (WRITE_TRUNCATE), so each step can
  // be run again alone. It reads the upstream tables zero times, and its new_version, referenced
  // twice, is a partition of the aggregate.
  std::string compensation_sql;
  std::string checks_sql;  // shredder_mitigation_checks.sql: check_sql and report_sql
  // The failing check: raises ERROR() listing mismatches when there are any.
  std::string check_sql;
  // A query with one row per mismatch, the rows the check counts and lists: dimensions (JSON),
  // metric, kind, previous, expected, backfilled, difference (all STRING), ordered as listed.
  std::string mismatches_sql;
  // The report statement (not a check): per common metric, the previous total, the compensated
  // amount and its share, the groups the baseline lost and the groups held back. Empty when the
  // new query calls a temporary function that cannot be inlined (JavaScript): the report embeds
  // the new query and must run alone; `warnings` says so.
  std::string report_sql;
  // shredder_mitigation_validation.sql: seed 004's validations after a backfill, statements
  // without `#fail` (bigquery-etl's check runner skips them), with the checks' parameters, for
  // `shredmit report`. Each has a fixed result shape:
  // - dimension_totals: dimension STRING, value STRING (NULL for NULL and '??' alike, as the
  //   checks group them; other types as CAST(x AS STRING), BYTES as base64), metric STRING,
  //   previous FLOAT64, upstream FLOAT64 (the new query's total: above previous where rows
  //   arrived or moved in, which deletion cannot explain; NULL when the new query cannot run
  //   alone), backfilled FLOAT64, difference FLOAT64 (backfilled - previous, a missing total
  //   counted as 0): one row per common dimension, value and common metric;
  // - added_dimension_totals (when the new version adds dimensions, a renamed one among them,
  //   and its query can run alone): dimension, value, metric STRING, upstream FLOAT64 (the new
  //   query's total), backfilled FLOAT64, difference FLOAT64, expected_difference FLOAT64 (0,
  //   and for the NULL value the shredded amount: the previous partition's total minus the new
  //   query's; seed 004: "NULL values increasing by the amount corresponding to the shredded
  //   client IDs");
  // - row_differences: previous_only INT64, backfilled_only INT64: the rows over the common
  //   columns in one partition and not in the other (EXCEPT DISTINCT both ways);
  // - spellings (when there are common STRING dimensions): dimension STRING,
  //   previous_null_rows, previous_placeholder_rows, backfilled_null_rows,
  //   backfilled_placeholder_rows INT64: the rows holding NULL and '??' in each partition;
  // - compensation: report_sql's shape (metric, kind, previous_total, compensated,
  //   compensated_share, groups_lost, groups_held_back), when report_sql is not empty.
  struct Statement {
    // dimension_totals, added_dimension_totals, row_differences, spellings, compensation
    std::string name;
    std::string sql;
  };
  std::vector<Statement> validation;
  std::string validation_sql;
};

// Reads TABLE_vN and TABLE_v(N-1) (query.sql, schema.yaml, metadata.yaml) from `tree` and
// generates the mitigation query and checks. Nothing is written.
//
// The table must meet every precondition of analysis::check_preconditions, the one decision that
// lint and backfill validate share; otherwise every reason is thrown at once (base::Error::all,
// kind kInput, each located in its file and worded as a fix).
//
// The compensation rule (seed 004: totals stay stable, the NULL buckets of new columns grow by
// the deleted clients' amount, and mismatches from changes that are not deletion stay visible so
// that the column can be renamed). For each common dimension group g of the previous partition
// (grouped NULL-safely; '??' and NULL are one STRING group, as in bigquery-etl) and each common
// metric m, with p the previous total and n the baseline's total (0 when the baseline lacks g or
// its total is NULL):
// - a count metric is compensated p - n when p > n, else 0: deletion can only lower a count;
// - a signed metric is compensated p - n;
// - a group is compensated only when none of its count metrics grew (n > p is late data or a
//   redefinition, not deletion): it is left for the checks to report;
// - FLOAT64 differences within 1e-9 x max(|p|, |n|, 1) are 0 (BigQuery sums in no fixed order;
//   absolute below 1, where a signed sum cancelling to about 0 keeps its summands' rounding
//   error); integers and NUMERIC are exact;
// - a NULL previous total stays NULL;
// - a shredded row is emitted where some compensation is non-zero or the baseline lost g.
// Added dimensions are typed NULLs in shredded rows and so are new metrics. A common STRING
// dimension of a shredded row is spelled as the backfilled table spells its group: as the new
// query's rows of g do ('??' when some row spells it so), or, for a group the new query lost, as
// the previous table does; so one group is never stored as both NULL and '??'.
// The partition is selected with the partition column isolated (BigQuery prunes on it): a DATE
// day as `field = @parameter`, a TIMESTAMP or DATETIME day and any month as a half-open range
// [TIMESTAMP(start), TIMESTAMP(end)) of the DATE parameter (analysis::Partitioning).
// The query's CTEs: new_version (the new query as written), new_agg, previous_agg (the previous
// table's partition), with kPreviousQuery previous_rerun (the previous version's query) and
// previous_rerun_agg, then compared, compensation and shredded; it ends with new_version UNION
// ALL shredded.
// compensation_sql is the same statement over the tables a first step wrote (Options).
// The checks file holds one failing statement (marked `#fail` for bigquery-etl's runner): per
// common group and metric it compares the previous total with the backfilled one read from
// options.staging_table (kPreviousQuery: the backfilled change with the intended change, new
// query minus previous_rerun), with the same tolerance, and raises an ERROR counting mismatches
// per kind and metric and listing the first 20. Kinds: "increase" (late data or a redefined
// column), "new group", "null mismatch", "two spellings" (a STRING group the previous version
// stores one way, stored as both NULL and '??' in the backfilled table), "held back" (a decrease
// in a group left uncompensated because a count metric grew there) and "decrease" (a mitigation
// defect). A second, unmarked statement reports the compensated share per metric.
// bigquery-etl runs each statement of a checks file as a job of its own, so a statement that
// embeds a query with CREATE TEMP FUNCTION statements has them inlined
// (syntax::print_inlined); where that is impossible (JavaScript) the report is left out with a
// note, and --baseline previous-query, whose check embeds both queries, is refused.
// Each generated statement is parsed with the project's parser and printed from its AST (a
// failure is a shredmit bug, kind kInternal); comment lines have control characters replaced.
//
// Throws base::Error of kind kInput for the preconditions (above) and a temporary function that
// --baseline previous-query cannot inline; of kind kUsage for a --signed-metric that names no
// metric of the new version, or a staging table that is not PROJECT.DATASET.TABLE.
Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table,
                    const Options& options = {});

// The condition that selects the partition being backfilled, as every generated statement
// writes it: `field = @param` for a DATE day, else a half-open range on the column itself
// (`field >= TIMESTAMP(@param) AND field < TIMESTAMP(DATE_ADD(@param, INTERVAL 1 DAY))`; a month
// starts at DATE_TRUNC(@param, MONTH)), so that BigQuery prunes partitions.
std::string partition_filter(const analysis::Partitioning& partitioning);

// One generated statement as GoogleSQL's analyzer judged it alone (dry_run).
struct StatementCheck {
  std::string file;         // "shredder_mitigation_query.sql" or "shredder_mitigation_checks.sql"
  std::string what;         // "mitigation query", "check" or "report"
  engine::Verdict verdict;  // located in the file's text
};

// A dry run of what generate writes, offline (no BigQuery call).
struct DryRun {
  // True when the new query (and the previous one, which --baseline previous-query embeds) was
  // replaced by a table of its declared schema: it reads a table without schema.yaml in the tree,
  // calls a function outside it, or uses a construct this build of the engine lacks (GROUP BY
  // ALL, pipe syntax, INTERVAL values), so it cannot be analyzed itself, but shredmit's own SQL
  // around it still is.
  bool queries_as_tables = false;
  // Why the queries were replaced: the tables without a schema, the engine's message otherwise.
  std::vector<std::string> unknown;
  // The new or previous query.sql refused by GoogleSQL on its own (a user error, located in that
  // file), when it could be analyzed; the statements are then analyzed with it as a table.
  std::optional<base::Error> query_error;
  std::vector<StatementCheck> statements;
};

// Analyzes every statement of the two files generate writes, each alone as bigquery-etl runs it,
// with GoogleSQL's analyzer (engine::analyze, engine::analyze_each). The catalog holds the
// previous version's table (its schema.yaml), the new version's and the staging table (the new
// schema), and the tables the queries read whose schema.yaml is in `tree`
// (sql/<project>/<dataset>/<table>/schema.yaml; a two-part name is in the new table's project);
// parameters are the date parameter (DATE, as bigquery-etl binds it) and scheduling.parameters
// with their declared types. `extra` adds tables whose schemas live elsewhere (sample data);
// they take precedence over the tree's. Throws base::Error (kUsage) when the engine is not
// installed.
DryRun dry_run(const Mitigation& m, const project::SqlTree& tree,
               const std::vector<engine::Table>& extra = {});

// generate's offline dry run: dry_run when the engine is installed, as a verdict. Returns the
// notes for stderr (what was analyzed with the queries as tables, or a warning that nothing was
// analyzed when the engine is not installed). Throws base::Error of kind kInput, located in the
// query.sql, when GoogleSQL refuses a user's query on its own, and of kind kInternal (a shredmit
// bug) when it refuses a statement shredmit wrote, with its message and location in the file.
std::vector<std::string> verify(const Mitigation& m, const project::SqlTree& tree);

// The classification as text for stderr: one line per column, "COMMON  dimension  name  TYPE",
// metrics followed by their kind and its reason.
std::string format_classification(const Mitigation& m);

// `generate --format json`: one JSON document (pretty-printed, ending in a newline) with the
// table, the previous version, the partition field, the baseline, the staging table, every
// column with its role (dimension or metric), status (common, added or removed for dimensions;
// common, new or removed for metrics), type and, for common and new metrics, its kind and the
// reason, then the warnings and `files` (the paths written, as given). The schema is
// docs/generate.schema.json; docs/generate.md describes each field.
std::string format_json(const Mitigation& m, const std::vector<std::filesystem::path>& files);

// The files write_files writes, in its order (lint's SM016 looks for them in table folders).
inline constexpr std::array<std::string_view, 4> kFileNames = {
    "shredder_mitigation_query.sql", "shredder_mitigation_compensation.sql",
    "shredder_mitigation_checks.sql", "shredder_mitigation_validation.sql"};

// Writes shredder_mitigation_query.sql, shredder_mitigation_compensation.sql,
// shredder_mitigation_checks.sql and shredder_mitigation_validation.sql into `dir` (created when
// missing), all or none (base::write_files_atomically). Returns the four paths in that order.
// Throws base::Error.
std::vector<std::filesystem::path> write_files(const Mitigation& m,
                                               const std::filesystem::path& dir);

}  // namespace shredmit::mitigation
