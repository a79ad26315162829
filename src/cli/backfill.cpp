// `shredmit backfill validate|plan|run`: managed backfills from backfill.yaml.
#include "backfill/backfill.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "base/diagnostics.h"
#include "cli/command.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct BackfillOptions {
  std::vector<std::string> paths;  // validate
  std::string format = "text";
  std::string today;
  GenerateOptions generate;  // plan and run: the table, --sql-dir, mitigation options
  std::string entry;
  int parallelism = 16;
  double price_per_tib = 6.25;
  std::string staging_project = "moz-fx-data-shared-prod";
  std::string billing_project;
  std::string output_dir;
  std::string data_dir;
  std::string run_output_dir;
  std::string report_dir;
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
  auto [id, tree] = table_argument(g);
  backfill::PlanOptions options;
  options.entry = o.entry;
  if (!o.entry.empty() && !base::is_iso_date(o.entry)) {
    throw base::Error::usage("--entry takes an entry date YYYY-MM-DD, got '" + o.entry + "'");
  }
  options.parallelism = o.parallelism;
  options.price_per_tib = o.price_per_tib;
  options.staging_project = o.staging_project;
  options.billing_project = o.billing_project;
  options.today = today_option(o.today);
  options.mitigation = mitigation_options(g);
  options.output_dir = o.output_dir;
  auto plan = backfill::plan(tree, id, options);
  // The mitigation query and checks the plan runs get generate's dry run before they are
  // written.
  if (plan.generated) {
    for (auto& note : mitigation::verify(*plan.generated, tree)) plan.warnings.push_back(note);
  }
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
  options.output_dir = o.run_output_dir;
  options.report_dir = o.report_dir;
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
  } catch (...) {
    if (terminal) err << "\n";
    Failure f = failure(std::current_exception(), exit_status_of_run);
    err << f.message << "\n";
    return f.status;
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
        "staging {}removed\n",
        plan.partitions.size(), plan.partitions.size() == 1 ? "" : "s", plan.production_table,
        plan.backup_table,
        plan.previous_query_table.empty()
            ? (plan.new_query_table.empty() ? "" : "and the new-query table ")
            : "and the first step's tables ");
  }
  if (!o.run_output_dir.empty()) {
    out << fmt::format("tables written to {}: {}\n", o.run_output_dir,
                       fmt::join(result.tables, ", "));
  }
  for (const auto& [date, summary] : result.report_summaries) {
    out << fmt::format("report {}/{}/report.md: {}\n", o.report_dir, date, summary);
  }
  return result.passed ? kExitOk : kExitRefused;
}

}  // namespace

// See command.h.
void add_backfill(CLI::App& app, std::vector<Command>& commands) {
  auto bf_ptr = std::make_shared<BackfillOptions>();
  BackfillOptions& bf = *bf_ptr;
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
  backfill_validate_cmd->add_option("--id-level-columns", bf.generate.id_level_columns,
                                    kIdLevelColumnsHelp);
  auto add_plan_options = [&](CLI::App* command) {
    command->add_option("table", bf.generate.table, kTableArgumentHelp)->required();
    command->add_option("--sql-dir", bf.generate.sql_dir, kSqlDirHelp);
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
        ->add_option("--price-per-tib", bf.price_per_tib,
                     "US dollars per TiB the script prices its dry runs' bytes at: BigQuery's "
                     "on-demand list price by default (a reservation bills slots, not bytes)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--baseline", bf.generate.baseline,
                     "mitigation baseline: new-query or previous-query (see generate)")
        ->check(CLI::IsMember({"new-query", "previous-query"}))
        ->capture_default_str();
    add_signed_metric_option(command, bf.generate.mitigation.signed_metrics);
    command->add_option("--id-level-columns", bf.generate.id_level_columns, kIdLevelColumnsHelp);
    add_today(command);
  };
  auto* backfill_plan_cmd = backfill_cmd->add_subcommand(
      "plan",
      "The complete, ordered plan of TABLE_vN's Initiate entry: staging and backup names, "
      "partitions with destinations and parameters, the statements each partition runs (for a "
      "shredder mitigation two steps: the new query, then the compensation query) with the "
      "tables each reads, checks, complete steps and a cost line; writes the query files the "
      "plan runs");
  backfill_plan_cmd->footer(kBackfillPlanExitStatusHelp);
  add_plan_options(backfill_plan_cmd);
  backfill_plan_cmd
      ->add_option("--format", bf.format,
                   "text; json: one document with a step list for an orchestrator; sh: a "
                   "resumable bash script of bq commands that prints the dry runs' cost and "
                   "asks before the first query (its --yes, --max-bytes, --price-per-tib)")
      ->check(CLI::IsMember({"text", "json", "sh"}))
      ->capture_default_str();
  auto* backfill_run_cmd = backfill_cmd->add_subcommand(
      "run",
      "Execute the plan locally on sample data with GoogleSQL's reference evaluator: staging, "
      "each partition and its checks, then backup, copy into production and staging removal");
  backfill_run_cmd->footer(kBackfillRunExitStatusHelp);
  add_plan_options(backfill_run_cmd);
  backfill_run_cmd
      ->add_option("--data", bf.data_dir,
                   "folder with PROJECT.DATASET.TABLE.ndjson and .schema.yaml files (the "
                   "simulate layout), rows for every date of the entry")
      ->required();
  backfill_run_cmd->add_option(
      "--output", bf.run_output_dir,
      "DIR: write the tables the run created or wrote (production, backup, staging) as "
      "NAME.ndjson with NAME.schema.yaml, all at once at the end; default: nowhere");
  backfill_run_cmd->add_option(
      "--report", bf.report_dir,
      "DIR: after each partition's check, run the validation queries and write their report "
      "as DIR/DATE/report.md, report.json and report.html");
  commands.push_back({backfill_validate_cmd, [bf_ptr](std::ostream& out, std::ostream&) {
                        return backfill_validate(*bf_ptr, out);
                      }});
  commands.push_back({backfill_plan_cmd, [bf_ptr](std::ostream& out, std::ostream& err) {
                        return backfill_plan(*bf_ptr, out, err);
                      }});
  commands.push_back({backfill_run_cmd, [bf_ptr](std::ostream& out, std::ostream& err) {
                        return backfill_run(*bf_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
