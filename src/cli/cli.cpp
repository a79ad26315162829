// The shredmit command line (see cli.h).
#include "cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

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
};

int generate(const GenerateOptions& o, std::ostream& out, std::ostream& err) {
  auto id = project::TableId::parse(o.table);
  auto tree = project::SqlTree::from_sql_dir(o.sql_dir, o.repo_root);
  if (!fs::is_directory(tree.sql_dir)) {
    throw project::UserError(o.sql_dir, 0, 0,
                             "--sql-dir is not a directory; point it at the sql/ folder of a "
                             "bigquery-etl checkout");
  }
  auto m = mitigation::generate(tree, id);
  err << mitigation::format_classification(m);
  fs::path dir = o.output_dir.empty() ? tree.table_dir(id) : fs::path(o.output_dir);
  for (const auto& p : mitigation::write_files(m, dir)) out << "wrote " << p.string() << "\n";
  return kExitOk;
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
  generate_cmd->add_option("table", gen.table, "PROJECT.DATASET.TABLE_vN")->required();
  generate_cmd->add_option("--sql-dir", gen.sql_dir, "the sql/ folder of a bigquery-etl checkout")
      ->capture_default_str();
  generate_cmd->add_option("--output-dir", gen.output_dir,
                           "where to write the files (default: the new version's folder)");
  generate_cmd->add_option("--repo-root", gen.repo_root,
                           "root that schema includes are relative to (default: the parent of "
                           "--sql-dir)");

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
  } catch (const project::UserError& e) {
    err << e.format() << "\n";
    return e.file == "<command line>" ? kExitUsage : kExitRefused;
  } catch (const std::exception& e) {
    err << "shredmit: internal error: " << e.what() << "; please report this\n";
    return kExitInternal;
  }
  return kExitUsage;
}

}  // namespace shredmit::cli
