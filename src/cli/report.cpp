// `shredmit report`: the validation report from bq's JSON results.
#include "report/report.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  std::string results_dir;
  std::string table;
  std::string format = "markdown";
};

constexpr const char* kReportExitStatusHelp =
    "Exit status:\n"
    "  0  the totals match (the report is printed)\n"
    "  1  they differ: the report's first line says where and the likely column\n"
    "  2  usage error or unreadable results (a file that is not bq's JSON, a missing column)\n"
    "  3  internal error (a shredmit bug)\n";

int report_command(const ReportOptions& o, std::ostream& out, std::ostream& err) {
  report::Report r;
  try {
    r = report::build(report::read_bq_json(o.results_dir), o.table);
  } catch (...) {
    // 1 means "the totals differ": unreadable results are 2.
    Failure f = failure(std::current_exception(), exit_status_of_run);
    err << f.message << "\n";
    return f.status;
  }
  out << (o.format == "json"   ? report::json(r)
          : o.format == "html" ? report::html(r)
                               : report::markdown(r));
  return r.matches ? kExitOk : kExitRefused;
}

}  // namespace

// See command.h.
void add_report(CLI::App& app, std::vector<Command>& commands) {
  auto rep_ptr = std::make_shared<ReportOptions>();
  ReportOptions& rep = *rep_ptr;
  auto* report_cmd = app.add_subcommand(
      "report",
      "Render the validation report of a backfill from the results of "
      "shredder_mitigation_validation.sql (NAME.json per statement, `bq query --format=json`)");
  report_cmd->footer(kReportExitStatusHelp);
  report_cmd
      ->add_option("--results", rep.results_dir,
                   "DIR with dimension_totals.json, added_dimension_totals.json, "
                   "row_differences.json and compensation.json")
      ->required();
  report_cmd->add_option("--table", rep.table, "the backfilled table, for the title")->required();
  report_cmd->add_option("--format", rep.format, "markdown, json or html")
      ->check(CLI::IsMember({"markdown", "json", "html"}))
      ->capture_default_str();
  commands.push_back({report_cmd, [rep_ptr](std::ostream& out, std::ostream& err) {
                        return report_command(*rep_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
