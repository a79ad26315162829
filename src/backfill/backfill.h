// shredmit backfill: bigquery-etl managed backfills (backfill.yaml) validated before merge,
// planned offline, and run end to end on sample data.
//
// The behaviour follows bigquery-etl's bigquery_etl/backfill/ package and `bqetl backfill
// initiate` / `complete` (names, date iteration, parameters, order); where bigquery-etl fails only
// at run time in Airflow (the shredder-mitigation preconditions, monthly offsets, a lowercase
// status that is never scheduled), the problem is reported here before merge.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostics.h"
#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::backfill {

// ------------------------------------------------------------------ validation

// The backfill rules BF001-BF031 in id order: the parse-time checks of bigquery-etl's Backfill
// model, validate_entries in its order, the table-metadata checks of `bqetl backfill validate`,
// and what bigquery-etl checks only when `initiate` runs (shredder-mitigation preconditions,
// monthly offsets, whole-table writers).
const std::vector<base::Rule>& rules();

struct ValidateOptions {
  // Today's date, YYYY-MM-DD (--today): entries dated later are in the future, Initiate entries
  // dated more than 28 days earlier will not run. Empty: the system clock's date (UTC).
  std::string today;
  // BF027: check the preconditions of shredder mitigation (analysis::check_preconditions, the
  // decision generate and lint share) for Initiate entries with shredder_mitigation: true, one
  // finding per reason quoting its location. lint turns it off because its SM rules report the
  // same reasons at their own locations.
  bool mitigation_preconditions = true;
  mitigation::Options mitigation;  // --signed-metric and --id-level-columns for BF027
};

// Validates one backfill.yaml, which must lie in a table folder sql/<project>/<dataset>/<table>/
// of `tree` (its metadata.yaml, query and schema are read from there). Every problem is a
// finding located at the key or list item concerned (file as given); nothing stops at the first
// problem. A file that cannot be read or is not YAML gives one BF001 finding. Never throws for
// problems of the files.
std::vector<base::Finding> validate(const std::filesystem::path& backfill_file,
                                    const project::SqlTree& tree, const ValidateOptions& options);

// The backfill.yaml files named by `paths`: files, or folders searched recursively. Sorted.
// Throws base::Error (kind kUsage) for a path that does not exist or a file not
// named backfill.yaml.
std::vector<std::filesystem::path> find_backfill_files(const std::vector<std::string>& paths);

// The sql/ tree a backfill.yaml belongs to: the nearest enclosing folder named `sql`, as reached
// from the given path. Throws base::Error when there is none.
project::SqlTree tree_of(const std::filesystem::path& backfill_file);

// ------------------------------------------------------------------ names

// bigquery-etl's staging table (get_backfill_staging_qualified_table_name):
// <staging_project>.backfills_staging_derived.<prefix><dataset>__<table>_<entry date>, hyphens
// replaced by underscores in everything after the dataset, the prefix being "" for tables of
// moz-fx-data-shared-prod and "<project>__" otherwise.
std::string staging_table_name(const project::TableId& table, const std::string& entry_date,
                               const std::string& staging_project = "moz-fx-data-shared-prod");
// The backup table: the same with "_backup_" before the date (get_backfill_backup_table_name).
std::string backup_table_name(const project::TableId& table, const std::string& entry_date,
                              const std::string& staging_project = "moz-fx-data-shared-prod");

// ------------------------------------------------------------------ plan

struct PlanOptions {
  // The entry to plan, YYYY-MM-DD; empty: the single Initiate entry (status matched
  // case-insensitively).
  std::string entry;
  int parallelism = 16;  // `bqetl backfill initiate`'s default; depends_on_past forces 1
  std::string staging_project = "moz-fx-data-shared-prod";
  // The project the queries bill to: this, else the entry's billing_project, else
  // moz-fx-data-backfill-slots.
  std::string billing_project;
  std::string today;               // as ValidateOptions::today
  mitigation::Options mitigation;  // staging_table is set by the plan
  // The on-demand price in US dollars per TiB the bash script prices its dry runs at (BigQuery's
  // list price in the US multi-region; the script's --price-per-tib overrides it).
  double price_per_tib = 6.25;
  // Where the plan's query files are written (the mitigation query and checks, the failing check
  // statement alone, the staging schema as bq JSON, a rendered template); empty: the table
  // folder, where bigquery-etl writes them.
  std::filesystem::path output_dir;
};

// One date of the backfill.
struct Partition {
  std::string date;            // D, YYYY-MM-DD, from start_date to end_date minus excluded dates
  std::string parameter_date;  // D + offset (the bound date parameter and the partition's date)
  std::string id;              // YYYYMMDD (day) or YYYYMM (month); empty: the whole table
  std::string destination;     // staging$id (the staging table when id is empty)
  std::vector<std::string> parameters;  // name:TYPE:value, as `bq query --parameter`
};

enum class StepKind {
  kGenerate,               // write the mitigation query and checks
  kCreateStaging,          // create the staging table with the table's schema and partitioning
  kRewriteReferences,      // depends_on_past: the query reads staging instead of production
  kSeedPreviousPartition,  // depends_on_past: copy production's partition before start_date
  kDryRun,                 // dry-run one partition's query
  // run one partition's query into staging (WRITE_TRUNCATE); for a mitigation, the new
  // version's query into the new-query table (and, with --baseline previous-query, the previous
  // version's into the previous-query table): the two-step form's first step
  kQuery,
  kCompensate,     // mitigation: the second step, the compensation query into staging
  kCheck,          // run the failing check statements for one partition
  kBackup,         // clone production into the backup table (WRITE_EMPTY, 30 days)
  kCopyPartition,  // copy staging$id over production$id (WRITE_TRUNCATE)
  kDeleteStaging,  // delete the staging table
};
// "generate", "create_staging", ..., the `kind` of --format json.
std::string_view step_kind_name(StepKind k);

struct Step {
  StepKind kind;
  std::string phase;                 // "initiate" or "complete"
  std::string date;                  // the partition's date D, empty for table-level steps
  std::vector<std::string> inputs;   // tables (PROJECT.DATASET.TABLE[$id]) and files read
  std::vector<std::string> outputs;  // tables and files written
  std::vector<std::string> parameters;
  std::string write_disposition;  // WRITE_TRUNCATE, WRITE_EMPTY or empty
};

// One statement each partition runs, and the tables it reads.
struct Statement {
  // "query" (a plain backfill), "new query", "previous query", "compensation", "check",
  // "validation NAME"
  std::string name;
  std::filesystem::path file;
  std::string destination;  // the table its rows replace a partition of; empty: none
  // The tables one run scans (resolve::Resolution::table_scans over its queries: a WITH query
  // counts once per reference), PROJECT.DATASET.TABLE where the name allows, in order of first
  // appearance. Empty with reads_known false for a script whose statements are not all queries.
  std::vector<std::pair<std::string, int>> reads;
  bool reads_known = true;
};

// How many times one partition's statements read a table.
struct TableReads {
  std::string table;
  int reads = 0;
  // False for the backfill's own tables (staging, new-query and previous-query tables) and the
  // previous version's, whose partition is one day of the aggregate.
  bool upstream = true;
  std::vector<std::string> by;  // the statements that read it (Statement::name), in order
};

struct Plan {
  project::TableId table;
  project::SqlTree tree;
  std::string entry_date, start_date, end_date;
  std::vector<std::string> excluded_dates;
  std::string staging_table, backup_table;
  // mitigation: where each partition's first step writes the new version's query's rows and,
  // with --baseline previous-query, the previous version's (staging_table_name with the entry
  // date prefixed "new_query_" and "previous_query_"), created and deleted with staging, with
  // the schema.yaml of their version (previous_schema_json for the previous query's).
  std::string new_query_table, previous_query_table;
  std::string production_table;  // where complete copies to (mozilla-public-data for public)
  std::string billing_project;
  std::string partition_type;   // "day", "month", or "" (unpartitioned)
  std::string partition_field;  // time_partitioning.field, may be empty
  std::optional<std::string> date_partition_parameter;
  int offset = 0;  // date_partition_offset after ignore_date_partition_offset
  bool mitigation = false;
  mitigation::Baseline baseline = mitigation::Baseline::kNewQuery;
  bool depends_on_past = false;
  int parallelism = 1;                         // partitions run at once
  std::vector<std::string> clustering_fields;  // copied onto the staging table
  std::filesystem::path schema_file;           // the table's schema.yaml (the staging schema)
  std::filesystem::path query_file;  // what each partition runs first (mitigation: the new query)
  std::filesystem::path previous_query_file;  // --baseline previous-query: the previous query
  std::filesystem::path compensation_file;    // mitigation: the second step
  std::filesystem::path checks_file;          // mitigation: the checks file (empty otherwise)
  std::filesystem::path check_file;           // mitigation: the failing check statement alone
  // mitigation: NAME.sql per validation statement (mitigation::Mitigation::validation), which the
  // bash script runs after each partition's check, saving bq's JSON of each and the report in
  // results_dir/DATE/ (RESULTS_DIR overrides it)
  std::filesystem::path validation_dir;
  std::filesystem::path results_dir;
  std::filesystem::path staging_schema_json;   // the staging schema as `bq mk --schema` JSON
  std::filesystem::path previous_schema_json;  // previous-query: the previous version's schema
  std::optional<std::string> seed_partition;   // depends_on_past: the partition date before start
  std::optional<mitigation::Mitigation> generated;  // the mitigation, when one is planned
  std::string query_sql;           // the text each partition runs (rendered; references rewritten)
  std::string previous_query_sql;  // previous-query: the previous version's query, rendered
  // What each partition runs, in order (the validation queries after the check), and the
  // tables they read per partition, upstream tables first, each by descending reads.
  std::vector<Statement> statements;
  std::vector<TableReads> reads;
  double price_per_tib = 6.25;
  std::vector<Partition> partitions;
  std::vector<Step> steps;
  std::vector<std::string> warnings;  // one line each, for stderr
  std::string cost;                   // the cost line
};

// Plans the entry of TABLE's backfill.yaml (the Initiate entry or options.entry) offline:
// validates the file first (errors: a base::Error quoting the first finding and the count),
// generates the mitigation query with options.mitigation and the staging table when the entry
// has shredder_mitigation: true (generate's refusals are thrown as they are), and computes the
// partitions (day: every date; month: first days of months; minus excluded dates; plus the
// offset unless ignore_date_partition_offset), parameters and steps in the order bigquery-etl
// runs them. Writes nothing; write_plan_files writes the query files.
// Throws base::Error for a missing backfill.yaml, no Initiate entry (or several), no
// entry of that date, and a validation error.
Plan plan(const project::SqlTree& tree, const project::TableId& table, const PlanOptions& options);

// Writes the files the plan's steps read (query, checks, check statement, staging schema) into
// their folder, each atomically. Returns the paths written.
std::vector<std::filesystem::path> write_plan_files(const Plan& plan);

// The plan as text: names, partitions with destinations and parameters, steps, cost line.
std::string format_text(const Plan& plan);
// One JSON document: {"table", "entry_date", "staging_table", "backup_table", ..., "partitions":
// [...], "steps": [{"kind", "phase", "date", "inputs", "outputs", "parameters",
// "write_disposition"}], "cost": {...}}.
std::string format_json(const Plan& plan);
// A bash script of `bq` commands (set -euo pipefail): a dry-run pass over every statement of
// every partition, which sums their totalBytesProcessed and prints the estimated bytes and
// on-demand price per partition and in total (at least 10 MiB billed per query, BigQuery's
// minimum), then, once confirmed, the real pass (in parallel up to the plan's parallelism; per
// partition the plan's statements in order), then complete. Options: --from-date YYYY-MM-DD
// restarts at that partition, --initiate-only and --complete-only run one phase, --yes runs
// without asking (otherwise it asks on a terminal and stops elsewhere), --max-bytes N[KiB|MiB|
// GiB|TiB] stops when the estimate is above N, --price-per-tib USD. It refuses to initiate over an
// existing staging table (unless --from-date) and to complete when the backup exists, printing
// the `bq rm` that removes it. Exit status: 0 done, 1 a failed step, 2 bad arguments, 3 stopped
// before the first query (not confirmed or above --max-bytes; the tables it created are
// removed).
std::string format_sh(const Plan& plan);

// ------------------------------------------------------------------ run

struct RunOptions {
  std::filesystem::path data_dir;  // the `simulate` NDJSON layout; several dates allowed
  // Where the tables the run created or wrote go, each as NAME.ndjson with NAME.schema.yaml
  // beside it (the layout of data_dir, so a result can be read back as --data); empty: nowhere.
  std::filesystem::path output_dir;
  // Where the validation report of each checked partition goes (DATE/report.md, .json, .html,
  // from the validation queries run on the engine after the check); empty: not written.
  std::filesystem::path report_dir;
  // Called after each step with (steps done, steps in total, the step); may be empty.
  std::function<void(size_t, size_t, const Step&)> progress;
};

struct RunResult {
  bool passed = false;
  std::string failed_date;                  // the partition whose check failed
  std::vector<std::string> check_failures;  // ERROR() messages
  std::vector<std::string> mismatch_columns;
  std::vector<std::vector<std::string>> mismatches;  // the check's mismatch rows, as text
  size_t steps_done = 0;
  // The tables the run created or wrote (production, backup, staging while it exists), sorted.
  std::vector<std::string> tables;
  // The first line of each checked partition's validation report (RunOptions::report_dir), by
  // date.
  std::vector<std::pair<std::string, std::string>> report_summaries;
};

// Executes the plan with GoogleSQL's reference evaluator (BigQuery's semantics) on the sample
// data of options.data_dir: staging is created from the table's schema.yaml, each partition's
// query runs with its parameters (`name:TYPE:value`, as the bash script binds them) and its rows
// replace the staging partition (WRITE_TRUNCATE: the rows whose partition field falls in it), the
// check runs after each partition (a mismatch stops the run there: production is not touched),
// then complete: the backup is a copy of production (the table's NDJSON in data_dir, or empty),
// each staging partition replaces production's, and staging is dropped. The tables are written
// to options.output_dir all at once at the end (base::write_files_atomically), whether the run
// passed or stopped at a check (staging is then written as it was).
// Throws base::Error for bad sample data (simulation::load_sample_data), a table without data,
// a query GoogleSQL refuses or that fails on the data (kInput for the user's query, kInternal
// for a statement shredmit wrote), a partition field missing from schema.yaml, and kUsage when
// the engine is not installed.
RunResult run(const Plan& plan, const RunOptions& options);

}  // namespace shredmit::backfill
