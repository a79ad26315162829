// `shredmit parse`: parse .sql files and print them formatted, as AST JSON or a summary.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "base/diagnostics.h"
#include "cli/command.h"
#include "project/project.h"
#include "syntax/format.h"
#include "syntax/syntax.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct ParseOptions {
  std::vector<std::string> paths;
  std::string format = "sql";
  bool stats = false;
  int jobs = 1;
  bool init = false;
  std::vector<std::string> params;
};

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
    std::string text;       // formatted SQL, JSON, or the error line
    bool internal = false;  // the error is a shredmit bug (exit 3)
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
                                     base::dump_json(files[i].generic_string()),
                                     syntax::to_json(f.script))
                       : syntax::format_generated_sql(syntax::print(f.script), "SQL");
        }
      } catch (...) {
        // No exception may leave a worker thread: it would terminate the process.
        Failure f = failure(std::current_exception(), exit_status, files[i].string());
        r.internal = f.status == kExitInternal;
        r.text = f.message + "\n";
        std::error_code ec;
        auto size = fs::file_size(files[i], ec);
        r.bytes = ec ? 0 : static_cast<size_t>(size);
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
  bool internal =
      std::any_of(results.begin(), results.end(), [](const Result& r) { return r.internal; });
  return internal ? kExitInternal : ok == files.size() ? kExitOk : kExitRefused;
}

}  // namespace

// See command.h.
void add_parse(CLI::App& app, std::vector<Command>& commands) {
  auto parse_opts_ptr = std::make_shared<ParseOptions>();
  ParseOptions& parse_opts = *parse_opts_ptr;
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
  commands.push_back({parse_cmd, [parse_opts_ptr](std::ostream& out, std::ostream& err) {
                        return parse(*parse_opts_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
