// `shredmit format`: bigquery-etl's house style, byte for byte.
#include "syntax/format.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "base/files.h"
#include "cli/command.h"
#include "project/project.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

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

// A file's text with Python's newlines (what bigquery-etl compares) and its formatted form.
struct FormattedText {
  std::string text;
  std::string formatted;
  bool changed() const { return text != formatted; }
};

// Formats `raw`, the text of `name`. Throws base::Error (kInput, located) for text that is not
// UTF-8, for nesting too deep to lay out (see syntax::format_sql), and for text where the house
// style would change a token, not only whitespace and keyword case (only text that is not valid
// SQL: see syntax::first_token_difference).
FormattedText format_text(const std::string& name, const std::string& raw) {
  if (size_t bad = base::invalid_utf8_offset(raw); bad != std::string_view::npos) {
    base::Location at = base::location_of(raw, bad);
    throw base::Error(name, at.line, at.column,
                      "the file is not valid UTF-8; save it as UTF-8 (bigquery-etl reads SQL "
                      "files as UTF-8)");
  }
  FormattedText result;
  result.text = syntax::normalize_newlines(raw);
  syntax::CheckedFormat checked;
  try {
    checked = syntax::format_sql_checked(result.text);
  } catch (base::Error& e) {
    e.file = name;
    throw;
  }
  if (const auto& d = checked.difference) {
    base::Location at = base::location_of(result.text, d->offset);
    throw base::Error(
        name, at.line, at.column,
        fmt::format("formatting would turn `{}` into `{}`, which changes the SQL, so the file is "
                    "left as it is; fix the SQL here or put it between `-- format: off` and "
                    "`-- format: on`",
                    d->before, d->after));
  }
  result.formatted = std::move(checked.text);
  return result;
}

int format(const FormatOptions& o, std::ostream& out, std::ostream& err) {
  if (o.paths.empty()) {
    std::ostringstream in;
    in << std::cin.rdbuf();
    FormattedText f = format_text("<stdin>", in.str());
    if (o.diff && f.changed()) out << unified_diff("<stdin>", f.text, f.formatted);
    if (!o.check && !o.diff) out << f.formatted;
    return o.check && f.changed() ? kExitRefused : kExitOk;
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
        FormattedText f = format_text(name, raw);
        r.changed = f.changed();
        if (r.changed && o.diff) r.message = unified_diff(name, f.text, f.formatted);
        if (r.changed && !o.check && !o.diff) base::rewrite_file(files[i], f.formatted);
      } catch (...) {
        // No exception may leave a worker thread: it would terminate the process.
        r.failed = true;
        r.message = failure(std::current_exception(), exit_status, name).message;
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

}  // namespace

// See command.h.
void add_format(CLI::App& app, std::vector<Command>& commands) {
  auto format_opts_ptr = std::make_shared<FormatOptions>();
  FormatOptions& format_opts = *format_opts_ptr;
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
  commands.push_back({format_cmd, [format_opts_ptr](std::ostream& out, std::ostream& err) {
                        return format(*format_opts_ptr, out, err);
                      }});
}

}  // namespace shredmit::cli
