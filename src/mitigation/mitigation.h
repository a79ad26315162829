// shredmit mitigation: the shredder-mitigation query and its checks for a new version of an
// aggregate table, generated offline from the bigquery-etl tree (seed 004).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/analysis.h"
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
  // Metrics declared signed (--signed-metric): compensated in both directions. Names are matched
  // case-insensitively and must be metrics of the new version.
  std::vector<std::string> signed_metrics;
};

struct ClassifiedColumn {
  std::string name;
  analysis::Type type;
  analysis::MetricKindInfo kind;  // metrics only
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

struct Mitigation {
  project::TableId new_table;
  project::TableId previous_table;
  std::string partition_field;
  Baseline baseline = Baseline::kNewQuery;
  std::string staging_table;  // the table the checks read, PROJECT.DATASET.TABLE
  Classification classification;
  // query.sql of the new and the previous version as generate read them (rendered, with their
  // CREATE TEMP FUNCTION preamble), for simulate.
  project::TableQuery new_query;
  project::TableQuery previous_query;
  // One line each, for stderr: "warning: ..." (COUNT(DISTINCT ...) metrics over added or removed
  // dimensions, only signed common metrics) and "note: ..." (SUMs assumed never negative, the
  // upstream read twice).
  std::vector<std::string> warnings;
  std::string query_sql;   // shredder_mitigation_query.sql
  std::string checks_sql;  // shredder_mitigation_checks.sql: check_sql and report_sql
  // The failing check: raises ERROR() listing mismatches when there are any.
  std::string check_sql;
  // A query with one row per mismatch, the rows the check counts and lists: dimensions (JSON),
  // metric, kind, previous, expected, backfilled, difference (all STRING), ordered as listed.
  std::string mismatches_sql;
  // The report statement (not a check): per common metric, the previous total, the compensated
  // amount and its share, the groups the baseline lost and the groups held back.
  std::string report_sql;
};

// Reads TABLE_vN and TABLE_v(N-1) (query.sql, schema.yaml, metadata.yaml) from `tree` and
// generates the mitigation query and checks. Nothing is written.
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
// Added dimensions are typed NULLs in shredded rows and so are new metrics. A STRING dimension
// shows '??' in a shredded row where the new query maps NULL to '??'
// (analysis::maps_null_to_placeholder).
// The query's CTEs: new_version (the new query as written), new_agg, previous_agg (the previous
// table where <partition field> = @<partition field>), with kPreviousQuery previous_rerun (the
// previous version's query) and previous_rerun_agg, then compared, compensation and shredded; it
// ends with new_version UNION ALL shredded.
// The checks file holds one failing statement (marked `#fail` for bigquery-etl's runner): per
// common group and metric it compares the previous total with the backfilled one read from
// options.staging_table (kPreviousQuery: the backfilled change with the intended change, new
// query minus previous_rerun), with the same tolerance, and raises an ERROR counting mismatches
// per kind and metric and listing the first 20. Kinds: "increase" (late data or a redefined
// column), "new group", "null mismatch", "decrease" (a mitigation defect) and "held back" (a
// decrease in a group left uncompensated because a count metric grew there). A second,
// unmarked statement reports the compensated share per metric.
// Each generated statement is parsed with the project's parser and printed from its AST (a
// failure is a shredmit bug: std::logic_error); comment lines have control characters replaced.
//
// Throws base::Error (file, line:column where there is one, and the fix) when: the
// version is below 2; either version's folder or query.sql or schema.yaml is missing; the new
// metadata lacks `shredder_mitigation: true`; a query is a Jinja template; a file does not parse;
// a final SELECT lacks an explicit GROUP BY (see analysis::analyze_aggregate); no dimension or
// no metric is common to both versions; a common column changes role or type between versions;
// a common dimension's type cannot be grouped; a common metric is not recoverable by subtraction
// in either version (analysis::metric_kind); the previous metadata names no partition field.
// As a usage error (kind kUsage): a --signed-metric that names no metric of the new
// version, or a staging table that is not PROJECT.DATASET.TABLE.
Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table,
                    const Options& options = {});

// The classification as text for stderr: one line per column, "COMMON  dimension  name  TYPE",
// metrics followed by their kind and its reason.
std::string format_classification(const Mitigation& m);

// `generate --format json`: one JSON document (pretty-printed, ending in a newline) with the
// table, the previous version, the partition field, the baseline, the staging table, every
// column with its role (dimension or metric), status (common, added or removed for dimensions;
// common, new or removed for metrics), type and, for common and new metrics, its kind and the
// reason, then the warnings and `files` (the paths written, as given). The schema is
// docs/generate.schema.json; the README describes each field.
std::string format_json(const Mitigation& m, const std::vector<std::filesystem::path>& files);

// Writes shredder_mitigation_query.sql and shredder_mitigation_checks.sql into `dir` (created
// when missing), each atomically. Returns the two paths. Throws base::Error.
std::vector<std::filesystem::path> write_files(const Mitigation& m,
                                               const std::filesystem::path& dir);

}  // namespace shredmit::mitigation
