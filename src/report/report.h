// shredmit report: seed 004's validation steps after a backfill, computed from the results of
// the generated validation queries (shredder_mitigation_validation.sql) and shown per dimension
// for a pull-request comment (Markdown) or a program (JSON), with the likely cause of a mismatch.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/files.h"
#include "engine/engine.h"

namespace shredmit::report {

// The results of the validation queries, each as its rows (see
// mitigation::Mitigation::validation for their shapes), keyed by statement name:
// dimension_totals, added_dimension_totals, row_differences, spellings, compensation.
using Results = std::map<std::string, engine::Rows>;

// Reads the results a backfill script saved: NAME.json per statement in `dir`, each the output of
// `bq query --format=json` (an array of objects whose values are strings or null, as bq prints
// them). A statement without a file is absent. Throws base::Error (kInput) naming the file for a
// file that is not such an array, or a row without the statement's columns.
Results read_bq_json(const std::filesystem::path& dir);

// One value of a dimension and one metric: the totals on each side.
struct Cell {
  std::optional<std::string> value;  // nullopt: NULL (and '??' of a STRING dimension)
  std::string metric;
  std::optional<double> before;    // the previous table's total (upstream's, added dimensions)
  std::optional<double> upstream;  // common dimensions: the new query's total
  std::optional<double> after;     // the backfilled table's total
  double difference = 0;           // after - before, a missing total counted as 0
  double expected = 0;             // the expected difference: 0, or the shredded amount (NULL)
  double excess() const { return difference - expected; }
};

enum class Verdict {
  kMatches,   // every value's total is as expected
  kNullGrew,  // an added dimension: only its NULL value grew, by the shredded amount
  kGrew,      // rows arrived that the previous version lacks, at one value of every dimension
  kMoved,     // values of this dimension gained rows the others did not: a redefinition
  kMismatch,  // any other difference
};
// "matches", "NULL grew by the shredded amount", "grew", "moved", "mismatch".
std::string verdict_name(Verdict v);

struct Dimension {
  std::string name;
  bool added = false;  // an added (or renamed) dimension, compared with upstream
  Verdict verdict = Verdict::kMatches;
  // How much of the mismatch it explains: the sum over values and metrics of what the new query
  // gives above the previous version (deletion can only lower a total, so this is rows that
  // arrived or moved in); 0 for an added dimension.
  double increase = 0;
  // The sum of the backfilled totals above the previous ones (count metrics): rows that arrived,
  // since the mitigation restores what deletion removed.
  double growth = 0;
  std::optional<std::string> grew_at;  // the value with the largest growth
  // The value named for the dimension: where the new query's increase is largest (moved), or
  // grew_at (grew).
  std::optional<std::string> grown_value;
  std::vector<Cell> differing;  // cells whose excess is beyond the tolerance, largest first
  std::vector<Cell> cells;      // every cell, in the result's order (the HTML's bars)
  size_t values = 0;            // distinct values compared
};

// A common STRING dimension whose NULL handling changed (seed 004, consideration 3): the
// backfilled partition stores NULL and '??' both where the previous one stored one, or the other
// one only.
struct Spelling {
  std::string dimension;
  long long previous_null = 0, previous_placeholder = 0;
  long long backfilled_null = 0, backfilled_placeholder = 0;
  std::string text;  // "stored as NULL and as '??' (previous: '??' only)"
};

struct Compensation {
  std::string metric, kind;
  std::optional<double> previous_total, compensated, share;
};

struct Report {
  std::string table;  // shown in the summary
  // The first line: the verdict and, when totals differ, where (the value that grew, or the
  // dimension whose values moved: seed 004's troubleshooting step 1).
  std::string summary;
  bool matches = true;
  // Common dimensions ranked by `moved` (largest first), then by name; then added dimensions.
  std::vector<Dimension> dimensions;
  std::optional<std::pair<long long, long long>> row_differences;  // previous_only, backfilled_only
  std::vector<Compensation> compensation;
  // Named apart from the totals (the checks and the totals count NULL and '??' as one group).
  std::vector<Spelling> spellings;
};

// Builds the report of `results` for `table`. A FLOAT64 difference within 1e-9 of
// max(|before|, |after|, 1) is zero, as in the checks. Throws base::Error (kInput) when
// dimension_totals is missing or a row lacks its columns.
Report build(const Results& results, const std::string& table);

// Markdown for a pull-request comment, no line wider than 100 columns: the summary, then per
// dimension that differs a table of the values that differ (largest first, at most 10) and its
// verdict, the dimensions that match in one line, the row differences and the compensation.
std::string markdown(const Report& report);

// One JSON document: {"table", "summary", "matches", "dimensions": [{"name", "added",
// "verdict", "increase", "growth", "values", "differing": [{"value", "metric", "before",
// "upstream", "after", "difference", "expected"}]}], "row_differences": {"previous_only",
// "backfilled_only"} | null, "compensation": [{"metric", "kind", "previous_total",
// "compensated", "share"}], "spellings": [{"dimension", "previous_null_rows",
// "previous_placeholder_rows", "backfilled_null_rows", "backfilled_placeholder_rows",
// "text"}]}.
std::string json(const Report& report);

// A self-contained HTML page (no script, no network: styles and SVG charts inline): the summary,
// per dimension its verdict, bars of the before and backfilled totals per value (the metric that
// differs most, or the first; at most 12 values, the largest first) so that NULL's growth and
// the value that grew show, and the table of the values that differ; then the row differences
// and the compensation. Every text from the data is HTML-escaped.
std::string html(const Report& report);

// The report in its three forms as dir/report.md, dir/report.json and dir/report.html, for
// base::write_files_atomically.
std::vector<base::OutputFile> files(const Report& report, const std::filesystem::path& dir);

}  // namespace shredmit::report
