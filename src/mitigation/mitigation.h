// shredmit mitigation: the shredder-mitigation query and its checks for a new version of an
// aggregate table, generated offline from the bigquery-etl tree (issue 2, seed 004).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "project/project.h"

namespace shredmit::mitigation {

struct ClassifiedColumn {
  std::string name;
  analysis::Type type;
};

// How the columns of the previous and new versions relate, matched by name (case-insensitive).
struct Classification {
  std::vector<ClassifiedColumn> common_dimensions;   // in both versions, new version's order
  std::vector<ClassifiedColumn> added_dimensions;    // new version only: NULL in shredded rows
  std::vector<ClassifiedColumn> removed_dimensions;  // previous version only: dropped
  std::vector<ClassifiedColumn> common_metrics;      // in both: previous minus new
  std::vector<ClassifiedColumn> new_metrics;         // new version only: 0 in shredded rows
  std::vector<ClassifiedColumn> removed_metrics;     // previous version only: dropped
};

struct Mitigation {
  project::TableId new_table;
  project::TableId previous_table;
  std::string partition_field;
  Classification classification;
  std::string query_sql;   // shredder_mitigation_query.sql
  std::string checks_sql;  // shredder_mitigation_checks.sql
};

// Reads TABLE_vN and TABLE_v(N-1) (query.sql, schema.yaml, metadata.yaml) from `tree` and
// generates the mitigation query and checks. Nothing is written.
//
// The query has the CTEs new_version (the new query as written), new_agg and previous_agg (the
// common dimensions and the sums of the common metrics, previous_agg reading the previous table
// where <partition field> = @<partition field>), shredded (previous minus new per common
// dimension group that the previous version has, kept where some common metric differs, even
// negatively; added dimensions are typed NULLs, new metrics typed zeros) and ends with
// new_version UNION ALL shredded.
// Matching of dimension groups is NULL-safe by construction: differences are computed by
// regrouping previous_agg UNION ALL the negated new_agg, and GROUP BY puts NULLs in one group for
// every groupable type, so no sentinel value is ever compared or emitted. STRING dimensions are
// grouped on NULLIF(x, '??'), so '??' and NULL are one group as in bigquery-etl; a shredded row
// shows '??' for a STRING dimension whose select-list expression maps NULL to '??'
// (analysis::maps_null_to_placeholder: IFNULL, COALESCE, IF or CASE), and NULL otherwise.
// The checks hold two `#fail` statements comparing totals per common dimension group of the
// previous table and the backfilled (new version) table in both directions with EXCEPT DISTINCT
// (FLOAT64 totals rounded to 6 decimal places).
// Both generated texts are parsed back with the project's parser before they are returned.
//
// Throws project::UserError (file, line:column where there is one, and the fix) when: the
// version is below 2; either version's folder or query.sql or schema.yaml is missing; the new
// metadata lacks `shredder_mitigation: true`; a query is a Jinja template; a file does not parse;
// a final SELECT lacks an explicit GROUP BY (see analysis::analyze_aggregate); no dimension or
// no metric is common to both versions; a common column changes type between versions; a common
// dimension's type cannot be grouped; the previous metadata names no partition field.
Mitigation generate(const project::SqlTree& tree, const project::TableId& new_table);

// The classification as text for stderr: one line per column, "COMMON  dimension  name  TYPE".
std::string format_classification(const Mitigation& m);

// Writes shredder_mitigation_query.sql and shredder_mitigation_checks.sql into `dir` (created
// when missing), each atomically. Returns the two paths. Throws project::UserError.
std::vector<std::filesystem::path> write_files(const Mitigation& m,
                                               const std::filesystem::path& dir);

}  // namespace shredmit::mitigation
