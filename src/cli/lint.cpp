// `shredmit lint`: the static pre-merge checks, noqa comments and baselines.
#include "lint/lint.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/files.h"
#include "cli/command.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct LintOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string id_level_columns;
  bool all_tables = false;
  bool strict = false;
  bool fix = false;
  bool diff = false;
  int jobs = 0;
  std::string today;
  std::vector<std::string> signed_metrics;
  std::string baseline;
  std::string write_baseline;
};

constexpr const char* kLintExitStatusHelp =
    "Exit status:\n"
    "  0  no errors (warnings allowed), not counting suppressed findings; with\n"
    "     --write-baseline: the baseline was written\n"
    "  1  at least one error finding\n"
    "  2  usage error or unreadable input (a path that does not exist or is outside a sql/\n"
    "     folder, an unreadable --id-level-columns file, a --baseline file that is not one)\n"
    "  3  internal error (a shredmit bug)\n";

int lint(const LintOptions& o, std::ostream& out, std::ostream& err) {
  lint::Options options;
  options.all_tables = o.all_tables;
  options.strict = o.strict;
  options.signed_metrics = o.signed_metrics;
  options.jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.today = today_option(o.today);
  options.id_level_columns = id_level_columns_option(o.id_level_columns);
  auto tables = lint::select_tables(o.paths);
  std::optional<lint::Baseline> baseline;
  if (!o.baseline.empty()) {
    try {
      baseline = lint::read_baseline(o.baseline);
    } catch (base::Error& e) {
      e.kind = base::ErrorKind::kUsage;  // a bad option value, as --id-level-columns
      throw;
    }
  }
  lint::Report report = lint::lint(tables, options);
  if (!o.write_baseline.empty()) {
    std::string text = lint::baseline_text(report, o.write_baseline);
    base::write_file_atomically(o.write_baseline, text);
    size_t n = report.findings.size() - report.suppressed();
    err << fmt::format("shredmit lint: wrote {} finding{} to the baseline {}\n", n,
                       n == 1 ? "" : "s", o.write_baseline);
    return kExitOk;
  }
  if (o.fix) {
    std::vector<lint::FileFix> fixes = lint::fixes(report);
    for (const auto& f : fixes) {
      if (o.diff) {
        out << unified_diff(f.file, f.before, f.after);
      } else {
        base::rewrite_file(f.file, f.after);
        err << fmt::format("shredmit: fixed {} finding{} in {}\n", f.fixed, f.fixed == 1 ? "" : "s",
                           f.file);
      }
    }
    // What remains: lint the fixed files again (with --diff nothing was written and the report
    // stands).
    if (!o.diff && !fixes.empty()) report = lint::lint(tables, options);
    if (o.diff) {
      // The diff is the output (a patch); what it leaves is listed on stderr.
      report.findings = lint::remaining_after(report, fixes);
      if (baseline) lint::apply_baseline(report, *baseline);
      err << lint::format_text(report);
      return report.errors() > 0 ? kExitRefused : kExitOk;
    }
  }
  if (baseline) {
    size_t stale = lint::apply_baseline(report, *baseline);
    if (stale > 0) {
      err << fmt::format(
          "shredmit lint: note: {} baseline entr{} match no finding any more (fixed, or the line "
          "changed); refresh it with --write-baseline {}\n",
          stale, stale == 1 ? "y" : "ies", o.baseline);
    }
  }
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

}  // namespace

// See command.h.
void add_lint(CLI::App& app, std::vector<Command>& commands) {
  auto lint_opts_ptr = std::make_shared<LintOptions>();
  LintOptions& lint_opts = *lint_opts_ptr;
  auto* lint_cmd = app.add_subcommand(
      "lint",
      "Check the shredder-mitigation setup of bigquery-etl tables statically (rules "
      "SM001-SM016, and the backfill rules BF001-BF031 on every backfill.yaml): tables with the "
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
                   "text: file:line:col: severity: [RULE] message; json: one object with findings, "
                   "summary and skipped (docs/lint.schema.json); "
                   "github: workflow-command annotations; sarif: SARIF 2.1.0")
      ->check(CLI::IsMember({"text", "json", "github", "sarif"}))
      ->capture_default_str();
  lint_cmd->add_option("--id-level-columns", lint_opts.id_level_columns, kIdLevelColumnsHelp);
  lint_cmd->add_flag("--all-tables", lint_opts.all_tables,
                     "also run SM005 and SM008 on tables not set up for shredder mitigation");
  lint_cmd->add_flag("--fix", lint_opts.fix,
                     "rewrite what has one right answer (SM001: GROUP BY ALL and ordinals become "
                     "the grouped expressions; nothing else in the file changes), then report "
                     "what remains; a missing description (SM003) is not invented");
  auto* lint_fix = lint_cmd->get_option("--fix");
  lint_cmd
      ->add_flag("--diff", lint_opts.diff,
                 "with --fix: print the fixes as a unified diff instead of writing them")
      ->needs(lint_fix);
  lint_cmd->add_flag("--strict", lint_opts.strict,
                     "SM006 on every labelled table without its previous version, not only "
                     "where a backfill entry asks for mitigation");
  lint_cmd
      ->add_option("--jobs,-j", lint_opts.jobs, "worker processes (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  add_signed_metric_option(lint_cmd, lint_opts.signed_metrics);
  lint_cmd->add_option("--today", lint_opts.today,
                       "the date backfill entries must not be after, YYYY-MM-DD (default: the "
                       "local date; set it for reproducible runs)");
  auto* write_baseline =
      lint_cmd->add_option("--write-baseline", lint_opts.write_baseline,
                           "write every finding (but those a noqa comment suppresses) to FILE, "
                           "a baseline for --baseline, and exit 0");
  lint_cmd
      ->add_option("--baseline", lint_opts.baseline,
                   "report only findings not in FILE (written by --write-baseline); they are "
                   "matched by rule, file and a fingerprint of the line, so lines moving do "
                   "not matter; the others are suppressed (shown as such in sarif and github)")
      ->excludes(write_baseline);
  write_baseline->excludes(lint_fix);
  commands.push_back({lint_cmd, [lint_opts_ptr](std::ostream& out, std::ostream& err) {
                        return lint(*lint_opts_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
