// `shredmit simulate`: the generated query and checks run on sample data.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/files.h"
#include "cli/command.h"
#include "report/report.h"
#include "simulation/simulation.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct SimulateOptions {
  GenerateOptions generate;
  std::string data_dir;
  std::string date;
  std::string deleted_clients;
  std::string client_id_column;
  std::string output;
  std::string previous_output;
  std::string report_dir;
};

constexpr const char* kSimulateExitStatusHelp =
    "Exit status:\n"
    "  0  the generated checks pass on the data\n"
    "  1  a check fails (its ERROR message is printed)\n"
    "  2  usage error or bad input: a missing or malformed data or schema file, a value that\n"
    "     does not fit its type, a table without data, a query GoogleSQL refuses or that\n"
    "     fails on the data, a JavaScript function called, the engine not installed\n"
    "  3  internal error (a shredmit bug, such as a generated statement GoogleSQL refuses)\n";

int simulate(const SimulateOptions& o, std::ostream& out, std::ostream& err) {
  simulation::Result result;
  try {
    const GenerateOptions& g = o.generate;
    auto [id, tree] = table_argument(g);
    simulation::Options options{
        tree, id, o.data_dir, o.date, mitigation_options(g), o.deleted_clients, o.client_id_column};
    result = simulation::simulate(options);
    if (!o.previous_output.empty() && !result.previous_computed) {
      throw base::Error::usage(
          "--previous-output writes the previous version's table computed with "
          "--deleted-clients, but --data has its data file: drop the option or that file");
    }
    std::vector<base::OutputFile> files;
    if (!o.output.empty()) files.push_back({o.output, simulation::to_ndjson(result.backfilled)});
    if (!o.previous_output.empty()) {
      files.push_back({o.previous_output, simulation::to_ndjson(result.previous_table)});
    }
    if (!o.report_dir.empty()) {
      report::Results results(result.validation.begin(), result.validation.end());
      report::Report r = report::build(results, result.mitigation.new_table.qualified());
      for (auto& f : report::files(r, o.report_dir)) files.push_back(std::move(f));
    }
    base::write_files_atomically(files);
  } catch (...) {
    Failure f = failure(std::current_exception(), exit_status_of_run);
    err << f.message << "\n";
    return f.status;
  }
  for (const auto& w : result.mitigation.warnings) err << "shredmit: " << w << "\n";
  out << simulation::format(result);
  if (!o.output.empty()) {
    out << fmt::format("backfilled rows written to {} ({} rows)\n", o.output,
                       result.backfilled.rows.size());
  }
  if (!o.previous_output.empty()) {
    out << fmt::format("previous table written to {} ({} rows)\n", o.previous_output,
                       result.previous_table.rows.size());
  }
  if (!o.report_dir.empty()) {
    out << fmt::format("validation report written to {} (report.md, report.json, report.html)\n",
                       o.report_dir);
  }
  return result.passed() ? kExitOk : kExitRefused;
}

}  // namespace

// See command.h.
void add_simulate(CLI::App& app, std::vector<Command>& commands) {
  auto sim_ptr = std::make_shared<SimulateOptions>();
  SimulateOptions& sim = *sim_ptr;
  auto* simulate_cmd = app.add_subcommand(
      "simulate",
      "Run the generated mitigation query and checks for TABLE_vN on sample data (NDJSON) with "
      "GoogleSQL's reference evaluator and print totals per common dimension group");
  simulate_cmd->footer(kSimulateExitStatusHelp);
  add_generate_options(simulate_cmd, sim.generate);
  simulate_cmd
      ->add_option("--data", sim.data_dir,
                   "folder with PROJECT.DATASET.TABLE.ndjson and PROJECT.DATASET.TABLE.schema.yaml "
                   "for each upstream table and the previous version")
      ->required();
  simulate_cmd->add_option("--date", sim.date, "the partition to simulate, YYYY-MM-DD")->required();
  simulate_cmd->add_option(
      "--deleted-clients", sim.deleted_clients,
      "FILE: client ids shredder deleted, one per line ('#' comments): they are removed from "
      "the upstream tables before the new query runs, and the previous version's table, when "
      "--data has no file for it, is computed by the previous query on the rows before deletion");
  simulate_cmd->add_option("--client-id-column", sim.client_id_column,
                           "PATH: the column --deleted-clients ids are matched on (a dotted path "
                           "reaches a STRUCT field); default: client_id, else "
                           "client_info.client_id");
  simulate_cmd->add_option("--output", sim.output,
                           "FILE.ndjson: write the backfilled rows (what the mitigation query "
                           "writes for --date) there, atomically");
  simulate_cmd->add_option("--report", sim.report_dir,
                           "DIR: write the validation report (seed 004's validations: totals "
                           "per dimension value, the likely column of a mismatch) there as "
                           "report.md, report.json and report.html");
  simulate_cmd->add_option(
      "--previous-output", sim.previous_output,
      "FILE.ndjson: write the previous version's table computed with --deleted-clients there "
      "(give it back as PREVIOUS_TABLE.ndjson in --data to replay late upstream rows)");
  commands.push_back({simulate_cmd, [sim_ptr](std::ostream& out, std::ostream& err) {
                        return simulate(*sim_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
