// The shredmit command line (see cli.h).
#include "cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <dtl/dtl.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "backfill/backfill.h"
#include "lint/lint.h"
#include "mitigation/mitigation.h"
#include "project/project.h"
#include "simulation/simulation.h"
#include "syntax/format.h"
#include "templates/templates.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

// simulate and backfill run report a data or query problem as 2, with usage errors: their exit
// status 1 means "a check failed".
int exit_status_of_run(base::ErrorKind kind) {
  return kind == base::ErrorKind::kInternal ? kExitInternal : kExitUsage;
}

constexpr const char* kExitStatusHelp =
    "Exit status:\n"
    "  0  success\n"
    "  1  the input was refused: the message names the file, line:column and the fix;\n"
    "     nothing was written\n"
    "  2  command-line usage error\n"
    "  3  internal error (a shredmit bug)\n";

struct GenerateOptions {
  std::string table;
  std::string sql_dir = "sql";
  std::string output_dir;
  std::string repo_root;
  std::string baseline = "new-query";
  mitigation::Options mitigation;
};

mitigation::Options mitigation_options(const GenerateOptions& o) {
  mitigation::Options options = o.mitigation;
  options.baseline = o.baseline == "previous-query" ? mitigation::Baseline::kPreviousQuery
                                                    : mitigation::Baseline::kNewQuery;
  return options;
}

int generate(const GenerateOptions& o, std::ostream& out, std::ostream& err) {
  auto id = project::TableId::parse(o.table);
  auto tree = project::SqlTree::from_sql_dir(o.sql_dir, o.repo_root);
  if (!fs::is_directory(tree.sql_dir)) {
    throw base::Error(o.sql_dir, 0, 0,
                      "--sql-dir is not a directory; point it at the sql/ folder of a "
                      "bigquery-etl checkout");
  }
  auto m = mitigation::generate(tree, id, mitigation_options(o));
  err << mitigation::format_classification(m);
  fs::path dir = o.output_dir.empty() ? tree.table_dir(id) : fs::path(o.output_dir);
  for (const auto& p : mitigation::write_files(m, dir)) out << "wrote " << p.string() << "\n";
  return kExitOk;
}

struct ParseOptions {
  std::vector<std::string> paths;
  std::string format = "sql";
  bool stats = false;
  int jobs = 1;
  bool init = false;
  std::vector<std::string> params;
};

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

int parse(const ParseOptions& o, std::ostream& out, std::ostream& err) {
  project::RenderSettings settings;
  settings.init = o.init;
  settings.params = parse_params(o.params, false);
  auto start = std::chrono::steady_clock::now();
  std::vector<fs::path> files = collect_sql_files(o.paths);

  // Each file's result is kept in its slot and printed in file order once all are done.
  struct Result {
    bool ok = false;
    size_t bytes = 0;
    std::string text;  // formatted SQL, JSON, or the error line
  };
  std::vector<Result> results(files.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      Result& r = results[i];
      try {
        project::SqlFile f = project::parse_sql_file(files[i], settings);
        r.ok = true;
        r.bytes = f.bytes;
        if (!o.stats) {
          r.text = o.format == "ast-json"
                       ? fmt::format("{{\"file\": {}, \"ast\": {}}}\n",
                                     nlohmann::json(files[i].generic_string()).dump(),
                                     syntax::to_json(f.script))
                       : syntax::format_generated_sql(syntax::print(f.script), "SQL");
        }
      } catch (const base::Error& e) {
        std::error_code ec;
        r.bytes = static_cast<size_t>(fs::file_size(files[i], ec));
        r.text = e.format() + "\n";
      }
    }
  };
  int jobs = std::max(1, std::min<int>(o.jobs, static_cast<int>(files.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  size_t ok = 0, bytes = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const Result& r = results[i];
    bytes += r.bytes;
    if (r.ok) {
      ++ok;
      if (o.stats) continue;
      if (o.format == "sql" && files.size() > 1) out << "-- " << files[i].generic_string() << "\n";
      out << r.text;
    } else {
      err << r.text;
    }
  }
  if (o.stats) {
    out << fmt::format(R"({{"files": {}, "ok": {}, "failed": {}, "bytes": {}, "seconds": {:.3f}}})",
                       files.size(), ok, files.size() - ok, bytes, seconds)
        << "\n";
  }
  return ok == files.size() ? kExitOk : kExitRefused;
}

struct FormatOptions {
  std::vector<std::string> paths;
  bool check = false;
  bool diff = false;
  bool no_skip = false;
  int jobs = 0;
};

constexpr const char* kFormatExitStatusHelp =
    "Exit status:\n"
    "  0  done: files were formatted in place (or printed), or --check found nothing to change\n"
    "  1  --check: a file would change; or a file was refused (named on stderr with\n"
    "     line:column, left unchanged): unreadable, not UTF-8, or text the house style would\n"
    "     change beyond whitespace and keyword case (not valid SQL)\n"
    "  2  usage error (a path that does not exist)\n"
    "  3  internal error (a shredmit bug)\n";

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

// The byte offset of the first byte of `text` that is not part of valid UTF-8, or npos.
size_t invalid_utf8_offset(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return i;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
    i += n;
  }
  return std::string_view::npos;
}

// Formats `raw`, the text of `name`. Throws base::Error (kInput, located) for text that is not
// UTF-8, for nesting too deep to lay out (see syntax::format_sql), and for text where the house
// style would change a token, not only whitespace and keyword case (only text that is not valid
// SQL: see syntax::first_token_difference).
std::string format_text(const std::string& name, const std::string& raw) {
  if (size_t bad = invalid_utf8_offset(raw); bad != std::string_view::npos) {
    base::Location at = base::location_of(raw, bad);
    throw base::Error(name, at.line, at.column,
                      "the file is not valid UTF-8; save it as UTF-8 (bigquery-etl reads SQL "
                      "files as UTF-8)");
  }
  std::string text = syntax::normalize_newlines(raw);
  std::string formatted;
  try {
    formatted = syntax::format_sql(text);
  } catch (base::Error& e) {
    e.file = name;
    throw;
  }
  if (auto d = syntax::first_token_difference(text, formatted)) {
    base::Location at = base::location_of(text, d->offset);
    throw base::Error(
        name, at.line, at.column,
        fmt::format("formatting would turn `{}` into `{}`, which changes the SQL, so the file is "
                    "left as it is; fix the SQL here or put it between `-- format: off` and "
                    "`-- format: on`",
                    d->before, d->after));
  }
  return formatted;
}

int format(const FormatOptions& o, std::ostream& out, std::ostream& err) {
  if (o.paths.empty()) {
    std::ostringstream in;
    in << std::cin.rdbuf();
    std::string text = in.str();
    std::string formatted = format_text("<stdin>", text);
    std::string normalized = syntax::normalize_newlines(text);
    if (o.diff)
      out << (normalized == formatted ? "" : unified_diff("<stdin>", normalized, formatted));
    if (!o.check && !o.diff) out << formatted;
    return o.check && normalized != formatted ? kExitRefused : kExitOk;
  }

  std::vector<fs::path> files;
  std::map<fs::path, project::FormatSkipList> skip_lists;  // by folder of a given path
  auto skip_list_for = [&](const fs::path& p) -> const project::FormatSkipList& {
    fs::path folder = fs::is_directory(p) ? p : p.parent_path();
    auto it = skip_lists.find(folder);
    if (it == skip_lists.end())
      it = skip_lists.emplace(folder, project::FormatSkipList(folder.empty() ? "." : folder)).first;
    return it->second;
  };
  size_t skipped = 0;
  for (const auto& p : o.paths) {
    const project::FormatSkipList* skip = o.no_skip ? nullptr : &skip_list_for(p);
    bool directory = fs::is_directory(p);
    for (const fs::path& f : collect_sql_files({p})) {
      if (skip && skip->skips(f)) {
        ++skipped;
        if (!directory)
          err << "shredmit: skipping " << f.generic_string()
              << ": bqetl_project.yaml lists it under format: skip:\n";
        continue;
      }
      files.push_back(f);
    }
  }

  struct Result {
    bool failed = false;
    bool changed = false;
    std::string message;  // the error, or the diff
  };
  std::vector<Result> results(files.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      Result& r = results[i];
      std::string name = files[i].generic_string();
      try {
        std::string raw = base::read_text_file(files[i]);
        std::string formatted = format_text(name, raw);
        r.changed = syntax::normalize_newlines(raw) != formatted;
        if (r.changed && o.diff)
          r.message = unified_diff(name, syntax::normalize_newlines(raw), formatted);
        if (r.changed && !o.check && !o.diff) {
          // Replace the file a symbolic link points to, not the link, and keep its mode.
          fs::path target = fs::is_symlink(files[i]) ? fs::canonical(files[i]) : files[i];
          fs::perms mode = fs::status(target).permissions();
          base::write_file_atomically(target, formatted);
          fs::permissions(target, mode);
        }
      } catch (const base::Error& e) {
        r.failed = true;
        r.message = e.format();
      } catch (const std::exception& e) {
        r.failed = true;
        r.message = "shredmit: internal error: " + name + ": " + e.what();
      }
    }
  };
  int jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(files.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();

  size_t changed = 0, failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const Result& r = results[i];
    if (r.failed) {
      ++failed;
      err << r.message << "\n";
      continue;
    }
    if (!r.changed) continue;
    ++changed;
    if (o.diff) {
      out << r.message;
    } else if (o.check) {
      out << files[i].generic_string() << ": needs formatting; run `shredmit format "
          << files[i].generic_string() << "`\n";
    } else {
      out << "reformatted " << files[i].generic_string() << "\n";
    }
  }
  bool writes = !o.check && !o.diff;
  err << fmt::format("shredmit: {} file{} {}, {} unchanged{}{}\n", changed, changed == 1 ? "" : "s",
                     writes ? "reformatted" : "would be reformatted",
                     files.size() - changed - failed,
                     failed ? fmt::format(", {} failed", failed) : "",
                     skipped ? fmt::format(", {} skipped", skipped) : "");
  if (failed) return kExitRefused;
  return o.check && changed ? kExitRefused : kExitOk;
}

struct LintOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string id_level_columns;
  bool all_tables = false;
  int jobs = 0;
  std::string today;
  std::vector<std::string> signed_metrics;
};

constexpr const char* kLintExitStatusHelp =
    "Exit status:\n"
    "  0  no errors (warnings allowed)\n"
    "  1  at least one error finding\n"
    "  2  usage error or unreadable input (a path that does not exist or is outside a sql/\n"
    "     folder, an unreadable --id-level-columns file)\n"
    "  3  internal error (a shredmit bug)\n";

// Today's local date as YYYY-MM-DD.
std::string local_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
  return buffer;
}

int lint(const LintOptions& o, std::ostream& out) {
  lint::Options options;
  options.all_tables = o.all_tables;
  options.signed_metrics = o.signed_metrics;
  options.jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.today = o.today.empty() ? local_date() : o.today;
  if (!base::is_iso_date(options.today)) {
    throw base::Error::usage("--today takes a date as YYYY-MM-DD, got '" + o.today + "'");
  }
  if (!o.id_level_columns.empty()) {
    try {
      options.id_level_columns = project::load_id_level_columns(o.id_level_columns);
    } catch (const base::Error& e) {
      throw base::Error::usage("--id-level-columns: " + e.format());
    }
  }
  auto tables = lint::select_tables(o.paths);
  lint::Report report = lint::lint(tables, options);
  if (o.format == "json") {
    out << lint::format_json(report);
  } else if (o.format == "github") {
    out << lint::format_github(report);
  } else if (o.format == "sarif") {
    out << lint::format_sarif(report);
  } else {
    out << lint::format_text(report);
  }
  return report.errors() > 0 ? kExitRefused : kExitOk;
}

struct SimulateOptions {
  GenerateOptions generate;
  std::string data_dir;
  std::string date;
};

constexpr const char* kSimulateExitStatusHelp =
    "Exit status:\n"
    "  0  the generated checks pass on the data\n"
    "  1  a check fails (its ERROR message is printed)\n"
    "  2  usage error or bad input: a missing or malformed data or schema file, a value that\n"
    "     does not fit its type, a table without data, a query outside the SQLite subset\n"
    "  3  internal error (a shredmit bug)\n";

int simulate(const SimulateOptions& o, std::ostream& out, std::ostream& err) {
  simulation::Result result;
  try {
    const GenerateOptions& g = o.generate;
    simulation::Options options{project::SqlTree::from_sql_dir(g.sql_dir, g.repo_root),
                                project::TableId::parse(g.table), o.data_dir, o.date,
                                mitigation_options(g)};
    result = simulation::simulate(options);
  } catch (const base::Error& e) {
    err << e.format() << "\n";
    return exit_status_of_run(e.kind);
  }
  for (const auto& w : result.mitigation.warnings) err << "shredmit: " << w << "\n";
  out << simulation::format(result);
  return result.passed() ? kExitOk : kExitRefused;
}

struct TemplateOptions {
  std::string format = "text";
  std::string name;
  std::vector<std::string> params;
  std::string output;
};

constexpr const char* kTemplateExitStatusHelp =
    "Exit status:\n"
    "  0  success\n"
    "  2  usage error: an unknown template, or a parameter that is unknown, missing or\n"
    "     invalid (the message names it)\n"
    "  3  internal error (a template that renders invalid SQL is a shredmit bug)\n";

int render_template(const TemplateOptions& o, std::ostream& out) {
  const auto& t = templates::find(o.name);
  std::string text = templates::render(t, parse_params(o.params, true));
  if (o.output.empty()) {
    out << text;
  } else {
    base::write_file_atomically(o.output, text);
    out << "wrote " << o.output << "\n";
  }
  return kExitOk;
}

struct BackfillOptions {
  std::vector<std::string> paths;  // validate
  std::string format = "text";
  std::string today;
  GenerateOptions generate;  // plan and run: the table, --sql-dir, mitigation options
  std::string entry;
  int parallelism = 16;
  std::string staging_project = "moz-fx-data-shared-prod";
  std::string billing_project;
  std::string output_dir;
  std::string data_dir;
  std::string db_file;
};

constexpr const char* kBackfillValidateExitStatusHelp =
    "Exit status:\n"
    "  0  no errors (warnings allowed)\n"
    "  1  at least one error finding\n"
    "  2  usage error (a path that does not exist or is not a backfill.yaml, a bad --today)\n"
    "  3  internal error (a shredmit bug)\n";

constexpr const char* kBackfillPlanExitStatusHelp =
    "Exit status:\n"
    "  0  the plan was printed (and its query files written)\n"
    "  1  refused: the backfill.yaml does not validate, no Initiate entry, or generate refuses\n"
    "     the mitigation (the message names the file, line:column and the fix)\n"
    "  2  usage error\n"
    "  3  internal error (a shredmit bug)\n";

constexpr const char* kBackfillRunExitStatusHelp =
    "Exit status:\n"
    "  0  every partition passed its checks and complete copied staging into production\n"
    "  1  refused (as plan), or a check failed: the run stopped at that partition, production\n"
    "     is untouched, and the mismatches are printed\n"
    "  2  usage error or bad sample data (as simulate)\n"
    "  3  internal error (a shredmit bug)\n";

std::string today_option(const std::string& today) {
  std::string value = today.empty() ? local_date() : today;
  if (!base::is_iso_date(value)) {
    throw base::Error::usage("--today takes a date as YYYY-MM-DD, got '" + today + "'");
  }
  return value;
}

int backfill_validate(const BackfillOptions& o, std::ostream& out) {
  backfill::ValidateOptions options;
  options.today = today_option(o.today);
  options.mitigation = mitigation_options(o.generate);
  std::vector<base::Finding> findings;
  auto files = backfill::find_backfill_files(o.paths);
  for (const auto& file : files) {
    auto found = backfill::validate(file, backfill::tree_of(file), options);
    findings.insert(findings.end(), found.begin(), found.end());
  }
  base::sort_findings(findings);
  size_t errors = base::count_errors(findings);
  if (o.format == "json") {
    out << base::format_json(findings);
  } else if (o.format == "github") {
    out << base::format_github(findings);
  } else if (o.format == "sarif") {
    out << base::format_sarif(findings, backfill::rules());
  } else {
    out << base::format_text_lines(findings)
        << fmt::format("shredmit backfill validate: {} error{}, {} warning{} in {} file{}\n",
                       errors, errors == 1 ? "" : "s", findings.size() - errors,
                       findings.size() - errors == 1 ? "" : "s", files.size(),
                       files.size() == 1 ? "" : "s");
  }
  return errors > 0 ? kExitRefused : kExitOk;
}

backfill::Plan make_plan(const BackfillOptions& o, std::ostream& err) {
  const GenerateOptions& g = o.generate;
  auto tree = project::SqlTree::from_sql_dir(g.sql_dir, g.repo_root);
  backfill::PlanOptions options;
  options.entry = o.entry;
  if (!o.entry.empty() && !base::is_iso_date(o.entry)) {
    throw base::Error::usage("--entry takes an entry date YYYY-MM-DD, got '" + o.entry + "'");
  }
  options.parallelism = o.parallelism;
  options.staging_project = o.staging_project;
  options.billing_project = o.billing_project;
  options.today = today_option(o.today);
  options.mitigation = mitigation_options(g);
  options.output_dir = o.output_dir;
  auto plan = backfill::plan(tree, project::TableId::parse(g.table), options);
  for (const auto& w : plan.warnings) err << "shredmit: " << w << "\n";
  for (const auto& f : backfill::write_plan_files(plan)) err << "wrote " << f.string() << "\n";
  return plan;
}

int backfill_plan(const BackfillOptions& o, std::ostream& out, std::ostream& err) {
  auto plan = make_plan(o, err);
  if (o.format == "json") {
    out << backfill::format_json(plan);
  } else if (o.format == "sh") {
    out << backfill::format_sh(plan);
  } else {
    out << backfill::format_text(plan);
  }
  return kExitOk;
}

int backfill_run(const BackfillOptions& o, std::ostream& out, std::ostream& err) {
  auto plan = make_plan(o, err);
  backfill::RunOptions options;
  options.data_dir = o.data_dir;
  options.db_file = o.db_file;
  bool terminal = isatty(STDERR_FILENO) == 1 && &err == &std::cerr;
  options.progress = [&](size_t done, size_t total, const backfill::Step& step) {
    if (terminal) {
      size_t width = 30, filled = total ? done * width / total : width;
      err << fmt::format("\r[{}{}] {}/{} {} {}", std::string(filled, '#'),
                         std::string(width - filled, '.'), done, total,
                         backfill::step_kind_name(step.kind), step.date)
          << (done == total ? "\n" : "") << std::flush;
    } else if (step.kind == backfill::StepKind::kQuery || step.kind == backfill::StepKind::kCheck ||
               step.kind == backfill::StepKind::kCopyPartition) {
      err << fmt::format("{}: {} done ({}/{})\n", step.date, backfill::step_kind_name(step.kind),
                         done, total);
    }
  };
  backfill::RunResult result;
  try {
    result = backfill::run(plan, options);
  } catch (const base::Error& e) {
    if (terminal) err << "\n";
    err << e.format() << "\n";
    return exit_status_of_run(e.kind);
  }
  if (!result.passed) {
    if (terminal) err << "\n";
    out << fmt::format(
        "backfill stopped: the check failed for partition {}; production ({}) is "
        "untouched and staging ({}) holds the partitions written so far\n",
        result.failed_date, plan.production_table, plan.staging_table);
    for (const auto& f : result.check_failures) out << "check: " << f << "\n";
    if (!result.mismatches.empty()) {
      out << fmt::format("mismatches ({}):\n", result.mismatches.size());
      out << "  " << fmt::format("{}", fmt::join(result.mismatch_columns, " | ")) << "\n";
      for (const auto& row : result.mismatches) {
        out << "  " << fmt::format("{}", fmt::join(row, " | ")) << "\n";
      }
    }
  } else {
    out << fmt::format(
        "backfill complete: {} partition{} checked and copied into {}; backup {}; "
        "staging removed\n",
        plan.partitions.size(), plan.partitions.size() == 1 ? "" : "s", plan.production_table,
        plan.backup_table);
  }
  if (!o.db_file.empty()) {
    out << fmt::format("database: {} (tables: {})\n", o.db_file, fmt::join(result.tables, ", "));
  }
  return result.passed ? kExitOk : kExitRefused;
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
void add_generate_options(CLI::App* command, GenerateOptions& o) {
  command->add_option("table", o.table, "PROJECT.DATASET.TABLE_vN")->required();
  command->add_option("--sql-dir", o.sql_dir, "the sql/ folder of a bigquery-etl checkout")
      ->capture_default_str();
  command->add_option("--repo-root", o.repo_root,
                      "root that schema includes are relative to (default: the parent of "
                      "--sql-dir)");
  add_signed_metric_option(command, o.mitigation.signed_metrics);
  command
      ->add_option("--baseline", o.baseline,
                   "what previous totals are compared with: new-query (the new query's totals) "
                   "or previous-query (the previous version's query re-run on today's data, "
                   "which keeps filters and definition changes made on purpose; the upstream is "
                   "read twice)")
      ->check(CLI::IsMember({"new-query", "previous-query"}))
      ->capture_default_str();
  command->add_option("--staging-table", o.mitigation.staging_table,
                      "PROJECT.DATASET.TABLE the backfill writes and the checks read, such as a "
                      "managed backfill's backfills_staging_derived.<dataset>__<table>_<entry "
                      "date> (default: the new version's table)");
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "shredmit: shredder-mitigation queries and checks for bigquery-etl aggregate tables, "
      "generated offline",
      "shredmit"};
  app.footer(kExitStatusHelp);
  app.require_subcommand(1);

  GenerateOptions gen;
  auto* generate_cmd = app.add_subcommand(
      "generate",
      "Write shredder_mitigation_query.sql and shredder_mitigation_checks.sql for TABLE_vN "
      "against TABLE_v(N-1)");
  add_generate_options(generate_cmd, gen);
  generate_cmd->add_option("--output-dir", gen.output_dir,
                           "where to write the files (default: the new version's folder)");

  ParseOptions parse_opts;
  auto* parse_cmd = app.add_subcommand(
      "parse",
      "Parse .sql files (Jinja templates are rendered first) and print them formatted, as AST "
      "JSON, or as a summary; exit status 1 when any file fails");
  parse_cmd->add_option("paths", parse_opts.paths, ".sql files and folders (searched recursively)")
      ->required();
  parse_cmd
      ->add_option("--format", parse_opts.format,
                   "sql: formatted SQL; ast-json: one JSON "
                   "line per file, {\"file\", \"ast\"}")
      ->check(CLI::IsMember({"sql", "ast-json"}))
      ->capture_default_str();
  parse_cmd->add_flag("--stats", parse_opts.stats,
                      "print only errors and, last, one JSON line {files, ok, failed, bytes, "
                      "seconds}");
  parse_cmd->add_option("--jobs,-j", parse_opts.jobs, "threads parsing files in parallel")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  parse_cmd->add_flag("--init", parse_opts.init, "render templates with is_init() true");
  parse_cmd->add_option("--param", parse_opts.params,
                        "name=value: a template variable (repeatable); digits make an integer");

  FormatOptions format_opts;
  auto* format_cmd = app.add_subcommand(
      "format",
      "Format .sql files in place in bigquery-etl's house style (byte for byte what `bqetl "
      "format` writes), or stdin to stdout when no path is given");
  format_cmd->add_option("paths", format_opts.paths,
                         ".sql files and folders (searched recursively); files listed under "
                         "`format: skip:` in the nearest bqetl_project.yaml are left alone");
  format_cmd->add_flag("--check", format_opts.check,
                       "write nothing; list the files that would change and exit 1 if any");
  format_cmd->add_flag("--diff", format_opts.diff,
                       "write nothing; print a unified diff of each file that would change");
  format_cmd->add_flag("--no-skip", format_opts.no_skip,
                       "format files listed under `format: skip:` too");
  format_cmd->add_option("--jobs,-j", format_opts.jobs, "threads (default: one per core)")
      ->check(CLI::Range(1, 256));
  format_cmd->footer(kFormatExitStatusHelp);

  LintOptions lint_opts;
  auto* lint_cmd = app.add_subcommand(
      "lint",
      "Check the shredder-mitigation setup of bigquery-etl tables statically (rules "
      "SM001-SM011, and the backfill rules BF001-BF031 on every backfill.yaml): tables with the "
      "shredder_mitigation label or a backfill.yaml entry asking "
      "for mitigation, or every table with --all-tables");
  lint_cmd->footer(kLintExitStatusHelp);
  lint_cmd
      ->add_option("paths", lint_opts.paths,
                   "a sql/ tree, a project, dataset or table folder, or a file in a table folder "
                   "(query.sql, schema.yaml, metadata.yaml, backfill.yaml)")
      ->required();
  lint_cmd
      ->add_option("--format", lint_opts.format,
                   "text: file:line:col: severity: [RULE] message; json: an array of findings; "
                   "github: workflow-command annotations; sarif: SARIF 2.1.0")
      ->check(CLI::IsMember({"text", "json", "github", "sarif"}))
      ->capture_default_str();
  lint_cmd->add_option("--id-level-columns", lint_opts.id_level_columns,
                       "YAML file with an `id_level_columns` list (default: client_id, "
                       "device_id, profile_id, profile_group_id)");
  lint_cmd->add_flag("--all-tables", lint_opts.all_tables,
                     "also run SM005 and SM008 on tables not set up for shredder mitigation");
  lint_cmd
      ->add_option("--jobs,-j", lint_opts.jobs, "worker processes (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  add_signed_metric_option(lint_cmd, lint_opts.signed_metrics);
  lint_cmd->add_option("--today", lint_opts.today,
                       "the date backfill entries must not be after, YYYY-MM-DD (default: the "
                       "local date; set it for reproducible runs)");

  SimulateOptions sim;
  auto* simulate_cmd = app.add_subcommand(
      "simulate",
      "Run the generated mitigation query and checks for TABLE_vN on sample data (NDJSON) in an "
      "in-memory SQLite database and print totals per common dimension group");
  simulate_cmd->footer(kSimulateExitStatusHelp);
  add_generate_options(simulate_cmd, sim.generate);
  simulate_cmd
      ->add_option("--data", sim.data_dir,
                   "folder with PROJECT.DATASET.TABLE.ndjson and PROJECT.DATASET.TABLE.schema.yaml "
                   "for each upstream table and the previous version")
      ->required();
  simulate_cmd->add_option("--date", sim.date, "the partition to simulate, YYYY-MM-DD")->required();

  TemplateOptions tmpl;
  auto* template_cmd = app.add_subcommand(
      "template", "The ping-backfill SQL and shell templates: list, show and render them");
  template_cmd->footer(kTemplateExitStatusHelp);
  template_cmd->require_subcommand(1);
  auto* template_list =
      template_cmd->add_subcommand("list", "Each template with its description and parameters");
  template_list
      ->add_option("--format", tmpl.format,
                   "text, or json: [{name, description, output, parameters: [{name, type, "
                   "required, default, example, description}]}]")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  auto* template_show = template_cmd->add_subcommand("show", "A template's documentation");
  template_show->add_option("name", tmpl.name, "the template")->required();
  auto* template_render = template_cmd->add_subcommand(
      "render", "Render a template with validated parameters; SQL is parsed before it is printed");
  template_render->add_option("name", tmpl.name, "the template")->required();
  template_render->add_option("--param", tmpl.params, "name=value (repeatable)");
  template_render->add_option("--output,-o", tmpl.output,
                              "write to this file (atomically) instead of standard output");

  BackfillOptions bf;
  auto* backfill_cmd = app.add_subcommand(
      "backfill",
      "bigquery-etl managed backfills: validate backfill.yaml files, plan an entry offline, run "
      "it on sample data");
  backfill_cmd->require_subcommand(1);
  auto* backfill_validate_cmd = backfill_cmd->add_subcommand(
      "validate",
      "Check backfill.yaml files with bigquery-etl's rules (BF001-BF031), the initiate-time "
      "shredder-mitigation preconditions included; every problem located");
  backfill_validate_cmd->footer(kBackfillValidateExitStatusHelp);
  backfill_validate_cmd
      ->add_option("paths", bf.paths, "backfill.yaml files, or folders searched recursively")
      ->required();
  backfill_validate_cmd
      ->add_option("--format", bf.format, "text, json, github or sarif, as for lint")
      ->check(CLI::IsMember({"text", "json", "github", "sarif"}))
      ->capture_default_str();
  auto add_today = [&](CLI::App* command) {
    command->add_option("--today", bf.today,
                        "today's date YYYY-MM-DD for the date rules (default: the local date)");
  };
  add_today(backfill_validate_cmd);
  add_signed_metric_option(backfill_validate_cmd, bf.generate.mitigation.signed_metrics);

  auto add_plan_options = [&](CLI::App* command) {
    command->add_option("table", bf.generate.table, "PROJECT.DATASET.TABLE_vN")->required();
    command
        ->add_option("--sql-dir", bf.generate.sql_dir,
                     "the sql/ folder of a bigquery-etl "
                     "checkout")
        ->capture_default_str();
    command->add_option("--repo-root", bf.generate.repo_root,
                        "root that schema includes and custom_query_path are relative to "
                        "(default: the parent of --sql-dir)");
    command->add_option("--entry", bf.entry,
                        "the entry date to plan (default: the Initiate entry)");
    command
        ->add_option("--parallelism", bf.parallelism,
                     "partitions run at once (depends_on_past tables: 1)")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    command
        ->add_option("--staging-project", bf.staging_project,
                     "project of the backfills_staging_derived dataset")
        ->capture_default_str();
    command->add_option("--billing-project", bf.billing_project,
                        "project the queries bill to (default: the entry's billing_project, else "
                        "moz-fx-data-backfill-slots)");
    command->add_option("--output-dir", bf.output_dir,
                        "where the plan's query files are written (default: the table folder)");
    command
        ->add_option("--baseline", bf.generate.baseline,
                     "mitigation baseline: new-query or previous-query (see generate)")
        ->check(CLI::IsMember({"new-query", "previous-query"}))
        ->capture_default_str();
    add_signed_metric_option(command, bf.generate.mitigation.signed_metrics);
    add_today(command);
  };
  auto* backfill_plan_cmd = backfill_cmd->add_subcommand(
      "plan",
      "The complete, ordered plan of TABLE_vN's Initiate entry: staging and backup names, "
      "partitions with destinations and parameters, checks, complete steps and a cost line; "
      "writes the query files the plan runs");
  backfill_plan_cmd->footer(kBackfillPlanExitStatusHelp);
  add_plan_options(backfill_plan_cmd);
  backfill_plan_cmd
      ->add_option("--format", bf.format,
                   "text; json: one document with a step list for an orchestrator; sh: a "
                   "resumable bash script of bq commands")
      ->check(CLI::IsMember({"text", "json", "sh"}))
      ->capture_default_str();
  auto* backfill_run_cmd = backfill_cmd->add_subcommand(
      "run",
      "Execute the plan locally on sample data in SQLite: staging, each partition and its "
      "checks, then backup, copy into production and staging removal");
  backfill_run_cmd->footer(kBackfillRunExitStatusHelp);
  add_plan_options(backfill_run_cmd);
  backfill_run_cmd
      ->add_option("--data", bf.data_dir,
                   "folder with PROJECT.DATASET.TABLE.ndjson and .schema.yaml files (the "
                   "simulate layout), rows for every date of the entry")
      ->required();
  backfill_run_cmd->add_option("--db", bf.db_file,
                               "write the result database to this SQLite file (atomically); "
                               "default: in memory only");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "shredmit: error: " << e.what() << "; see `shredmit --help`\n";
    return kExitUsage;
  }

  try {
    if (generate_cmd->parsed()) return generate(gen, out, err);
    if (parse_cmd->parsed()) return parse(parse_opts, out, err);
    if (format_cmd->parsed()) return format(format_opts, out, err);
    if (lint_cmd->parsed()) return lint(lint_opts, out);
    if (simulate_cmd->parsed()) return simulate(sim, out, err);
    if (backfill_validate_cmd->parsed()) return backfill_validate(bf, out);
    if (backfill_plan_cmd->parsed()) return backfill_plan(bf, out, err);
    if (backfill_run_cmd->parsed()) return backfill_run(bf, out, err);
    if (template_list->parsed()) {
      out << (tmpl.format == "json" ? templates::list_json() : templates::list_text());
      return kExitOk;
    }
    if (template_show->parsed()) {
      out << templates::show(templates::find(tmpl.name));
      return kExitOk;
    }
    if (template_render->parsed()) return render_template(tmpl, out);
  } catch (const base::Error& e) {
    err << e.format() << "\n";
    return exit_status(e.kind);
  } catch (const std::exception& e) {
    err << "shredmit: internal error: " << e.what() << "; please report this\n";
    return kExitInternal;
  }
  return kExitUsage;
}

int exit_status(base::ErrorKind kind) {
  switch (kind) {
    case base::ErrorKind::kUsage:
      return kExitUsage;
    case base::ErrorKind::kInput:
      return kExitRefused;
    case base::ErrorKind::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace shredmit::cli
