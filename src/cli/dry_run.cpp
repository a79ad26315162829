// `shredmit dry-run`: GoogleSQL's analyzer on the generated statements.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"
#include "dryrun/dryrun.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct DryRunOptions {
  std::vector<std::string> paths;
  std::string format = "text";
};

constexpr const char* kDryRunExitStatusHelp =
    "Exit status:\n"
    "  0  GoogleSQL's analyzer refused no statement (some may be not checked: they read\n"
    "     tables without schema.yaml in the tree or use what this engine build lacks)\n"
    "  1  it refused at least one statement (each is printed with file:line:column)\n"
    "  2  usage error: a path that does not exist, the engine not installed\n"
    "  3  internal error (a shredmit bug)\n";

int dry_run(const DryRunOptions& o, std::ostream& out) {
  std::vector<fs::path> paths(o.paths.begin(), o.paths.end());
  dryrun::Report report = dryrun::dry_run(paths);
  out << (o.format == "json" ? dryrun::format_json(report) : dryrun::format_text(report));
  return report.count(dryrun::Finding::Status::kRefused) > 0 ? kExitRefused : kExitOk;
}

}  // namespace

// See command.h.
void add_dry_run(CLI::App& app, std::vector<Command>& commands) {
  auto dry_ptr = std::make_shared<DryRunOptions>();
  DryRunOptions& dry = *dry_ptr;
  auto* dry_run_cmd = app.add_subcommand(
      "dry-run",
      "Analyze tables' queries and checks with GoogleSQL's analyzer offline, as `bq query "
      "--dry_run` would (names, types, function signatures), with the tree's schemas and UDFs");
  dry_run_cmd->footer(kDryRunExitStatusHelp);
  dry_run_cmd
      ->add_option("paths", dry.paths,
                   "table folders (sql/PROJECT/DATASET/TABLE: query.sql and checks files), "
                   "folders above them, or .sql files")
      ->required();
  dry_run_cmd->add_option("--format", dry.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  commands.push_back({dry_run_cmd, [dry_ptr](std::ostream& out, std::ostream&) {
                        return dry_run(*dry_ptr, out);
                      }});
}

}  // namespace shredmit::cli
