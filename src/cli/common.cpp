// What the subcommands share: options, option parsing, diffs and the failure path (command.h).
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <dtl/dtl.hpp>
#include <filesystem>

#include "base/files.h"
#include "base/text.h"
#include "cli/command.h"
#include "project/project.h"

namespace shredmit::cli {

namespace fs = std::filesystem;

Failure failure(std::exception_ptr error, int (*status_of)(base::ErrorKind),
                const std::string& what) {
  try {
    std::rethrow_exception(error);
  } catch (const base::Error& e) {
    return {e.format(), status_of(e.kind)};
  } catch (const std::filesystem::filesystem_error& e) {
    // A path that cannot be read (permissions, a symbolic-link loop) is the input's problem.
    return {base::filesystem_error(e.path1(), e.code()).format(),
            status_of(base::ErrorKind::kInput)};
  } catch (const std::exception& e) {
    return {fmt::format("shredmit: internal error: {}{}; please report this",
                        what.empty() ? "" : what + ": ", e.what()),
            kExitInternal};
  } catch (...) {
    return {fmt::format("shredmit: internal error: {}an exception of unknown type; please report "
                        "this",
                        what.empty() ? "" : what + ": "),
            kExitInternal};
  }
}

// simulate and backfill run report a data or query problem as 2, with usage errors: their exit
// status 1 means "a check failed".
int exit_status_of_run(base::ErrorKind kind) {
  return kind == base::ErrorKind::kInternal ? kExitInternal : kExitUsage;
}

// --id-level-columns FILE: the list of bigquery-etl's id_level_columns.yaml format, or the
// default list when no file is given. An unreadable or malformed file is a usage error.
std::vector<std::string> id_level_columns_option(const std::string& file) {
  if (file.empty()) return project::default_id_level_columns();
  try {
    return project::load_id_level_columns(file);
  } catch (const base::Error& e) {
    throw base::Error::usage("--id-level-columns: " + e.format());
  }
}

const char* const kIdLevelColumnsHelp =
    "YAML file with an `id_level_columns` list (default: client_id, device_id, profile_id, "
    "profile_group_id; bigquery-etl's bigquery_etl/metadata/id_level_columns.yaml has this "
    "format)";

mitigation::Options mitigation_options(const GenerateOptions& o) {
  mitigation::Options options = o.mitigation;
  options.baseline = o.baseline == "previous-query" ? mitigation::Baseline::kPreviousQuery
                                                    : mitigation::Baseline::kNewQuery;
  options.id_level_columns = id_level_columns_option(o.id_level_columns);
  return options;
}

// The .sql files named by `paths`: files as given, directories searched recursively, each list
// sorted so that output order does not depend on the file system.
std::vector<fs::path> collect_sql_files(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".sql" && it->is_regular_file(ec))
          found.push_back(it->path());
      }
      if (ec) throw base::Error(p, 0, 0, "cannot read directory: " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      throw base::Error::usage("no such file or directory: " + p + "; give .sql files or folders");
    }
  }
  return files;
}

// The `--param name=value` options as a map. A later value for the same name replaces an
// earlier one unless `reject_repeats`. Throws base::Error (kind kUsage).
std::map<std::string, std::string> parse_params(const std::vector<std::string>& params,
                                                bool reject_repeats) {
  std::map<std::string, std::string> values;
  for (const auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw base::Error::usage("--param takes name=value, got '" + p + "'");
    }
    std::string name = p.substr(0, eq);
    if (reject_repeats && values.count(name)) {
      throw base::Error::usage("--param " + name + " is given twice");
    }
    values[name] = p.substr(eq + 1);
  }
  return values;
}

// A unified diff of `before` and `after` (whole texts), with `name` in the --- and +++ lines.
std::string unified_diff(const std::string& name, const std::string& before,
                         const std::string& after) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out = base::split(text, "\n");
    if (!out.empty() && out.back().empty()) out.pop_back();
    return out;
  };
  dtl::Diff<std::string, std::vector<std::string>> diff(lines(before), lines(after));
  diff.onHuge();
  diff.compose();
  diff.composeUnifiedHunks();
  std::string_view path = name;
  while (path.starts_with('/')) path.remove_prefix(1);  // a/ and b/ prefixes as git writes them
  std::ostringstream text;
  text << "--- a/" << path << "\n+++ b/" << path << "\n";
  diff.printUnifiedFormat(text);
  return text.str();
}

namespace {

// Today's local date as YYYY-MM-DD.
std::string local_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
  return buffer;
}

}  // namespace

std::string today_option(const std::string& today) {
  std::string value = today.empty() ? local_date() : today;
  if (!base::is_iso_date(value)) {
    throw base::Error::usage("--today takes a date as YYYY-MM-DD, got '" + today + "'");
  }
  return value;
}

void add_signed_metric_option(CLI::App* command, std::vector<std::string>& names) {
  command
      ->add_option("--signed-metric", names,
                   "NAME: a SUM metric that can be negative (a net amount, corrections): "
                   "compensated in both directions; other SUMs are counts, which deletion can "
                   "only lower (repeatable, one name each)")
      ->allow_extra_args(false);
}

// The TABLE_vN argument and the options that generate and simulate share.
const char* const kTableArgumentHelp =
    "PROJECT.DATASET.TABLE_vN, DATASET.TABLE_vN, or the table's folder (or a file in it) as a "
    "path";
const char* const kSqlDirHelp =
    "the sql/ folder of a bigquery-etl checkout (default: sql, or the one a table path is in)";

project::TableArgument table_argument(const GenerateOptions& o) {
  return project::resolve_table_argument(o.table, o.sql_dir, !o.sql_dir.empty(), o.repo_root);
}

void add_generate_options(CLI::App* command, GenerateOptions& o) {
  command->add_option("table", o.table, kTableArgumentHelp)->required();
  command->add_option("--sql-dir", o.sql_dir, kSqlDirHelp);
  command->add_option("--repo-root", o.repo_root,
                      "root that schema includes are relative to (default: the parent of "
                      "--sql-dir)");
  add_signed_metric_option(command, o.mitigation.signed_metrics);
  command->add_option("--id-level-columns", o.id_level_columns, kIdLevelColumnsHelp);
  command
      ->add_option("--baseline", o.baseline,
                   "what previous totals are compared with: new-query (the new query's totals) "
                   "or previous-query (the previous version's query re-run on today's data, "
                   "which keeps filters and definition changes made on purpose; the upstream is "
                   "read three times)")
      ->check(CLI::IsMember({"new-query", "previous-query"}))
      ->capture_default_str();
  command->add_option("--staging-table", o.mitigation.staging_table,
                      "PROJECT.DATASET.TABLE the backfill writes and the checks read, such as a "
                      "managed backfill's backfills_staging_derived.<dataset>__<table>_<entry "
                      "date> (default: the new version's table)");
  command->add_option("--new-query-table", o.mitigation.new_query_table,
                      "PROJECT.DATASET.TABLE where the two-step form's first step writes the new "
                      "query's rows, which shredder_mitigation_compensation.sql reads (default: "
                      "the staging table's name followed by _new_query)");
  command->add_option("--previous-query-table", o.mitigation.previous_query_table,
                      "with --baseline previous-query: where the first step writes the previous "
                      "query's re-run (default: the staging table's name followed by "
                      "_previous_query)");
}

}  // namespace shredmit::cli
