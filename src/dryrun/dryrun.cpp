// The offline dry run of a tree's queries and checks (see dryrun.h).
#include "dryrun.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/text.h"
#include "engine/engine.h"
#include "project/project.h"

namespace shredmit::dryrun {
namespace {

namespace fs = std::filesystem;
using Status = Finding::Status;

constexpr const char* kQueryFiles[] = {"query.sql", "shredder_mitigation_query.sql"};
constexpr const char* kCheckFiles[] = {"checks.sql", "shredder_mitigation_checks.sql"};

bool is_query_file(const fs::path& file) {
  return std::any_of(std::begin(kQueryFiles), std::end(kQueryFiles),
                     [&](const char* n) { return file.filename() == n; });
}

// The files a table folder holds that the dry run analyzes.
void table_files(const fs::path& dir, std::vector<fs::path>& out) {
  for (const char* n : kQueryFiles) {
    if (fs::is_regular_file(dir / n)) out.push_back(dir / n);
  }
  for (const char* n : kCheckFiles) {
    if (fs::is_regular_file(dir / n)) out.push_back(dir / n);
  }
}

std::vector<fs::path> files_of(const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) {
      throw base::Error::usage(
          fmt::format("{}: no such file or folder; give a table folder "
                      "(sql/PROJECT/DATASET/TABLE) or a .sql file",
                      p.string()));
    }
    if (fs::is_regular_file(status)) {
      out.push_back(p);
      continue;
    }
    if (fs::is_regular_file(p / "query.sql")) {
      table_files(p, out);
      continue;
    }
    std::vector<fs::path> tables;
    for (auto it =
             fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && it->path().filename() == "query.sql") {
        tables.push_back(it->path().parent_path());
      }
    }
    std::sort(tables.begin(), tables.end());
    for (const auto& t : tables) table_files(t, out);
  }
  return out;
}

// Analyzes one file into `report`.
void check_file(const fs::path& file, Report& report) {
  std::string name = file.string();
  fs::path table_dir = fs::absolute(file).lexically_normal().parent_path();
  fs::path dataset_dir = table_dir.parent_path();
  std::string project = dataset_dir.parent_path().filename().string();
  project::SqlTree tree = project::SqlTree::from_sql_dir(dataset_dir.parent_path().parent_path());
  bool query = is_query_file(file);
  auto add = [&](Status s, std::string what, base::Location at, std::string message) {
    report.findings.push_back({s, name, std::move(what), at, std::move(message)});
  };

  project::SqlFile sql;
  std::vector<engine::Parameter> parameters;
  try {
    sql = project::parse_sql_file(file, {});
    if (fs::is_regular_file(table_dir / "metadata.yaml")) {
      parameters = engine::declared_parameters(project::load_metadata(table_dir / "metadata.yaml"));
    } else {
      parameters = {{"submission_date", engine::scalar(analysis::Type::kDate)}};
    }
  } catch (const project::OfflineError& e) {
    add(Status::kNotChecked, query ? "query" : "checks", {e.line(), e.column()}, e.what());
    return;
  } catch (const base::Error& e) {
    add(Status::kRefused, query ? "query" : "checks", {e.line(), e.column()}, e.what());
    return;
  }
  engine::FromTree from = engine::catalog_from_tree(sql.sql, tree, project);
  std::string unknown;
  if (!from.unknown.empty()) {
    std::vector<std::string> shown(
        from.unknown.begin(),
        from.unknown.begin() + std::min<long>(3, static_cast<long>(from.unknown.size())));
    if (from.unknown.size() > 3) shown.push_back(fmt::format("{} more", from.unknown.size() - 3));
    unknown = "reads " + base::join(shown, "; ");
  }
  std::string rendered = sql.templated ? " (at line:column of the rendered template)" : "";
  auto judge = [&](const engine::Verdict& v, std::string what) {
    if (v.accepted()) {
      add(Status::kAccepted, std::move(what), {}, "");
    } else if (engine::unbound_parameter(v)) {
      // bigquery-etl binds the date parameter and scheduling.parameters; a DAG's `arguments`
      // may bind others, which the dry run cannot see.
      add(Status::kNotChecked, std::move(what), v.at,
          v.message +
              ": metadata.yaml declares no such parameter (bigquery-etl binds the date "
              "parameter and scheduling.parameters)");
    } else if (engine::cannot_check(v)) {
      add(Status::kNotChecked, std::move(what), v.at,
          unknown.empty() ? "the engine cannot check it offline: " + v.message : unknown);
    } else {
      // The catalog is the tree's schema.yaml files: a stale one (a view's schema.yaml behind
      // its view.sql) is refused here as BigQuery would not.
      add(Status::kRefused, std::move(what), v.at,
          "GoogleSQL refuses this " + std::string(query ? "query" : "statement") + ": " +
              v.message + rendered +
              (from.catalog.tables.empty()
                   ? std::string()
                   : "; checked against the schema.yaml of each table it reads, so a stale one "
                     "gives this too"));
    }
  };
  if (query) {
    judge(engine::analyze(sql.sql, from.catalog, parameters), "query");
    return;
  }
  auto verdicts = engine::analyze_each(sql.sql, from.catalog, parameters);
  for (size_t i = 0; i < verdicts.size(); ++i) {
    judge(verdicts[i], fmt::format("check statement {}", i + 1));
  }
}

const char* status_name(Status s) {
  switch (s) {
    case Status::kAccepted:
      return "accepted";
    case Status::kRefused:
      return "refused";
    case Status::kNotChecked:
      return "not_checked";
  }
  return "";
}

}  // namespace

size_t Report::count(Finding::Status s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [&](const Finding& f) { return f.status == s; }));
}

Report dry_run(const std::vector<fs::path>& paths) {
  Report report;
  auto files = files_of(paths);
  if (!files.empty() && !engine::server_path()) {
    throw base::Error::usage("dry-run needs GoogleSQL's engine, which is not installed; " +
                             engine::install_hint());
  }
  for (const auto& f : files) check_file(f, report);
  report.files = files.size();
  return report;
}

std::string format_text(const Report& r) {
  std::string out;
  for (const auto& f : r.findings) {
    std::string where = f.file;
    if (f.at.line > 0) where += fmt::format(":{}:{}", f.at.line, f.at.column);
    if (f.status == Status::kRefused) {
      out += fmt::format("{}: error: {} ({})\n", where, f.message, f.what);
    } else if (f.status == Status::kNotChecked) {
      out += fmt::format("{}: not checked: {} ({})\n", f.file, f.message, f.what);
    }
  }
  out += fmt::format(
      "dry run: {} file{}, {} statement{}: {} accepted, {} refused, {} not checked\n", r.files,
      r.files == 1 ? "" : "s", r.findings.size(), r.findings.size() == 1 ? "" : "s",
      r.count(Status::kAccepted), r.count(Status::kRefused), r.count(Status::kNotChecked));
  return out;
}

std::string format_json(const Report& r) {
  nlohmann::ordered_json j;
  j["files"] = r.files;
  j["accepted"] = r.count(Status::kAccepted);
  j["refused"] = r.count(Status::kRefused);
  j["not_checked"] = r.count(Status::kNotChecked);
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : r.findings) {
    j["findings"].push_back({{"file", f.file},
                             {"what", f.what},
                             {"status", status_name(f.status)},
                             {"line", f.at.line},
                             {"column", f.at.column},
                             {"message", f.message}});
  }
  return j.dump(2) + "\n";
}

}  // namespace shredmit::dryrun
