// Internal to src/cli: what the subcommands' files share. Not a public header (cli.h is).
//
// Each subcommand lives in its own file (generate.cpp, lint.cpp, ...), which holds its options,
// its help text and its body, and registers itself with an add_* function below. run() (cli.cpp)
// parses the command line, runs the one that was parsed, and turns whatever it throws into a
// message and an exit status in one place (failure()).
#pragma once

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/cli.h"
#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::cli {

// A registered subcommand and what runs it; `run` returns the exit status.
struct Command {
  CLI::App* app;
  std::function<int(std::ostream& out, std::ostream& err)> run;
};

// Each adds its subcommand (or group: aggregates, template, backfill) to `app` and one Command per
// runnable subcommand to `commands`.
void add_generate(CLI::App& app, std::vector<Command>& commands);
void add_parse(CLI::App& app, std::vector<Command>& commands);
void add_format(CLI::App& app, std::vector<Command>& commands);
void add_aggregates(CLI::App& app, std::vector<Command>& commands);
void add_lint(CLI::App& app, std::vector<Command>& commands);
void add_simulate(CLI::App& app, std::vector<Command>& commands);
void add_report(CLI::App& app, std::vector<Command>& commands);
void add_dry_run(CLI::App& app, std::vector<Command>& commands);
void add_template(CLI::App& app, std::vector<Command>& commands);
void add_backfill(CLI::App& app, std::vector<Command>& commands);

// What a failure says (one line, or one per reason of base::Error::all) and its exit status:
// base::Error as its format() with status_of(kind); a std::filesystem::filesystem_error as an
// input error naming the path and the system's reason; anything else as a shredmit bug
// (kExitInternal), naming `what` (a file) when given. The one place an exception becomes what the
// user reads.
struct Failure {
  std::string message;
  int status = kExitInternal;
};
Failure failure(std::exception_ptr error, int (*status_of)(base::ErrorKind) = exit_status,
                const std::string& what = {});

// simulate, report and backfill run report a data or query problem as 2, with usage errors:
// their exit status 1 means "a check failed".
int exit_status_of_run(base::ErrorKind kind);

// The options that generate, simulate and the backfill commands share (add_generate_options).
struct GenerateOptions {
  std::string table;
  std::string format = "text";
  std::string sql_dir;  // empty: sql, or the tree of a table given as a path
  std::string output_dir;
  std::string repo_root;
  std::string baseline = "new-query";
  std::string id_level_columns;  // --id-level-columns FILE
  mitigation::Options mitigation;
};

// The TABLE_vN argument and the options that generate and simulate share.
void add_generate_options(CLI::App* command, GenerateOptions& o);
// The table and tree of o.table and o.sql_dir (project::resolve_table_argument).
project::TableArgument table_argument(const GenerateOptions& o);
// --signed-metric NAME (repeatable).
void add_signed_metric_option(CLI::App* command, std::vector<std::string>& names);
extern const char* const kIdLevelColumnsHelp;
// The help of the TABLE argument and of --sql-dir, for every command that takes a table.
extern const char* const kTableArgumentHelp;
extern const char* const kSqlDirHelp;

// --id-level-columns FILE: the list of bigquery-etl's id_level_columns.yaml format, or the
// default list when no file is given. Throws base::Error (kUsage) for an unreadable or malformed
// file.
std::vector<std::string> id_level_columns_option(const std::string& file);
// The mitigation options of `o`, with its --id-level-columns and --baseline applied.
mitigation::Options mitigation_options(const GenerateOptions& o);

// The .sql files named by `paths`: files as given, directories searched recursively, each list
// sorted so that output order does not depend on the file system.
std::vector<std::filesystem::path> collect_sql_files(const std::vector<std::string>& paths);
// The `--param name=value` options as a map. A later value for the same name replaces an
// earlier one unless `reject_repeats`. Throws base::Error (kind kUsage).
std::map<std::string, std::string> parse_params(const std::vector<std::string>& params,
                                                bool reject_repeats);
// A unified diff of `before` and `after` (whole texts), with `name` in the --- and +++ lines.
std::string unified_diff(const std::string& name, const std::string& before,
                         const std::string& after);
// --today: `today` (YYYY-MM-DD), or the local date when it is empty. Throws base::Error (kUsage)
// for another form.
std::string today_option(const std::string& today);

}  // namespace shredmit::cli
