// shredmit dry run: GoogleSQL's analyzer on the queries and checks of a bigquery-etl tree,
// offline (`shredmit dry-run PATH...`): what `bq query --dry_run` would say of names, types and
// function signatures, without a BigQuery connection.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"

namespace shredmit::dryrun {

// One statement (or one file that could not be analyzed) as the dry run judged it.
struct Finding {
  enum class Status {
    kAccepted,    // GoogleSQL's analyzer accepts it
    kRefused,     // it refuses it: BigQuery would refuse it too
    kNotChecked,  // it reads a table or calls a function the tree does not describe, or uses a
                  // construct this build of the engine lacks (engine::cannot_check)
  };
  Status status = Status::kAccepted;
  std::string file;   // the .sql file, as given or found
  std::string what;   // "query", "check statement 2"
  base::Location at;  // in the file (the rendered text of a Jinja template), {0, 0} when none
  std::string message;
};

struct Report {
  std::vector<Finding> findings;  // in file order, then statement order
  size_t files = 0;
  size_t count(Finding::Status s) const;
};

// Analyzes the queries and checks at `paths`: a table folder (sql/PROJECT/DATASET/TABLE) gives
// its query.sql and its checks files (checks.sql, shredder_mitigation_query.sql,
// shredder_mitigation_checks.sql); a folder above tables gives every table below it; a .sql file
// is a query when it is named query.sql or shredder_mitigation_query.sql and checks otherwise.
// Each file is read as bigquery-etl reads it (Jinja rendered, with the check macros of
// tests/checks/ for a checks file) and analyzed with the catalog its table's tree gives
// (engine::catalog_from_tree: tables with a schema.yaml, persistent UDFs, the table's project
// for two-part names) and the parameters its metadata.yaml declares
// (engine::declared_parameters). A query is analyzed with the CREATE TEMP FUNCTION statements
// before it; each checks statement alone, as bigquery-etl's check runner runs them. The tree of a
// file is the folder three levels above its table folder (its sql/ directory).
// Throws base::Error (kUsage) for a path that does not exist and when the engine is not
// installed; a file that cannot be read or rendered is a refused finding.
Report dry_run(const std::vector<std::filesystem::path>& paths);

// The report as text: one line per refused or not-checked statement
// ("file:line:column: error: message", "file: not checked: reason"), then a summary line.
std::string format_text(const Report& report);

// The report as one JSON document: {"files", "accepted", "refused", "not_checked",
// "findings": [{"file", "what", "status", "line", "column", "message"}]}.
std::string format_json(const Report& report);

}  // namespace shredmit::dryrun
