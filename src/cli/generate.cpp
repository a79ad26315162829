// `shredmit generate`: the mitigation query, its two-step form, checks and validation.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"
#include "mitigation/mitigation.h"
#include "project/project.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

int generate(const GenerateOptions& o, std::ostream& out, std::ostream& err) {
  if (!o.sql_dir.empty() && !fs::is_directory(o.sql_dir)) {
    throw base::Error(o.sql_dir, 0, 0,
                      "--sql-dir is not a directory; point it at the sql/ folder of a "
                      "bigquery-etl checkout");
  }
  auto [id, tree] = table_argument(o);
  auto m = mitigation::generate(tree, id, mitigation_options(o));
  // The offline dry run: every statement analyzed by GoogleSQL's own analyzer before it is
  // written.
  for (auto& note : mitigation::verify(m, tree)) m.warnings.push_back(std::move(note));
  fs::path dir = o.output_dir.empty() ? tree.table_dir(id) : fs::path(o.output_dir);
  // Written before anything is printed: a failed write must not follow output that reads as
  // success.
  std::vector<fs::path> written = mitigation::write_files(m, dir);
  if (o.format != "json") err << mitigation::format_classification(m);
  if (o.format == "json") {
    out << mitigation::format_json(m, written);
  } else {
    for (const auto& p : written) out << "wrote " << p.string() << "\n";
  }
  return kExitOk;
}

}  // namespace

// See command.h.
void add_generate(CLI::App& app, std::vector<Command>& commands) {
  auto gen_ptr = std::make_shared<GenerateOptions>();
  GenerateOptions& gen = *gen_ptr;
  auto* generate_cmd = app.add_subcommand(
      "generate",
      "Write shredder_mitigation_query.sql (one statement), shredder_mitigation_compensation.sql "
      "(its two-step form's second step), shredder_mitigation_checks.sql and "
      "shredder_mitigation_validation.sql for TABLE_vN against TABLE_v(N-1), each statement "
      "first analyzed by GoogleSQL's analyzer");
  add_generate_options(generate_cmd, gen);
  generate_cmd->add_option("--output-dir", gen.output_dir,
                           "where to write the files (default: the new version's folder)");
  generate_cmd
      ->add_option("--format", gen.format,
                   "text: `wrote FILE` lines on stdout, the classification on stderr; json: one "
                   "JSON document on stdout (schema: docs/generate.schema.json)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  commands.push_back({generate_cmd, [gen_ptr](std::ostream& out, std::ostream& err) {
                        return generate(*gen_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
