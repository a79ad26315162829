// `shredmit aggregates load-plan` (see aggregates.h): the bq commands that load exported rows.
#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "aggregates/aggregates.h"
#include "base/diagnostics.h"
#include "base/error.h"
#include "base/text.h"

namespace shredmit::aggregates {
namespace {

// A word for the shell, in single quotes.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void check(const LoadPlanOptions& o) {
  static const std::regex kTable(R"(^[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+$)");
  if (!std::regex_match(o.table, kTable)) {
    throw base::Error::usage("--table takes PROJECT.DATASET.TABLE, got '" + o.table + "'");
  }
  if (o.aggregate_type != "submission_date" && o.aggregate_type != "build_id") {
    throw base::Error::usage("--aggregate-type is submission_date or build_id, got '" +
                             o.aggregate_type + "'");
  }
  if (o.sources.empty()) throw base::Error::usage("give at least one --source YYYYMMDD=URI");
  std::set<std::string> days;
  for (const auto& s : o.sources) {
    std::string iso = s.ds_nodash.size() == 8
                          ? s.ds_nodash.substr(0, 4) + "-" + s.ds_nodash.substr(4, 2) + "-" +
                                s.ds_nodash.substr(6, 2)
                          : "";
    if (!base::is_iso_date(iso)) {
      throw base::Error::usage("--source takes YYYYMMDD=URI, got date '" + s.ds_nodash + "'");
    }
    if (s.uri.empty()) throw base::Error::usage("--source " + s.ds_nodash + "= has no URI");
    if (!days.insert(s.ds_nodash).second) {
      throw base::Error::usage("--source " + s.ds_nodash +
                               " is given twice; one load replaces the day's partition");
    }
  }
}

}  // namespace

nlohmann::ordered_json bigquery_schema() {
  nlohmann::ordered_json fields = nlohmann::ordered_json::array();
  for (std::string_view c : kExportColumns) {
    bool ingest = c == "ingest_date";
    fields.push_back({{"name", c},
                      {"type", ingest ? "DATE" : "STRING"},
                      {"mode", ingest ? "REQUIRED" : "NULLABLE"}});
  }
  return fields;
}

std::vector<std::string> clustering(const std::string& aggregate_type) {
  if (aggregate_type == "build_id") return {"metric", "channel", "os", "version"};
  return {"ds_nodash", "version", "metric", "channel"};
}

std::string load_command(const LoadPlanOptions& o, const LoadSource& s,
                         const std::string& schema_file) {
  size_t dot = o.table.find('.');
  std::string destination = o.table.substr(0, dot) + ":" + o.table.substr(dot + 1);
  return fmt::format(
      "bq load --source_format=NEWLINE_DELIMITED_JSON --replace --time_partitioning_type=DAY "
      "--clustering_fields={} {} {} {}",
      // The table is checked to be letters, digits, `-`, `_`, `.` and `:`: safe in double
      // quotes, where the partition decorator's `$` is escaped.
      base::join(clustering(o.aggregate_type), ","),
      "\"" + destination + "\\$" + s.ds_nodash + "\"", quoted(s.uri), schema_file);
}

std::string load_plan_shell(const LoadPlanOptions& o) {
  check(o);
  std::string out = fmt::format(
      "#!/usr/bin/env bash\n"
      "# Loads the {} aggregates exported by `shredmit aggregates export` into {}, one day per\n"
      "# partition. Ingestion-time DAY partitioning as the original table; each load targets the\n"
      "# day's partition ($YYYYMMDD = ds_nodash) with --replace, so re-running a day replaces it\n"
      "# instead of appending. The schema is explicit: autodetection would type version and\n"
      "# ds_nodash as INTEGER. Clustering: {}.\n"
      "set -euo pipefail\n"
      "schema=$(mktemp)\n"
      "trap 'rm -f \"$schema\"' EXIT\n"
      "cat >\"$schema\" <<'SCHEMA'\n{}\nSCHEMA\n",
      o.aggregate_type, o.table, base::join(clustering(o.aggregate_type), ", "),
      bigquery_schema().dump(2));
  for (const auto& s : o.sources) out += load_command(o, s, "\"$schema\"") + "\n";
  return out;
}

std::string load_plan_json(const LoadPlanOptions& o) {
  check(o);
  nlohmann::ordered_json loads = nlohmann::ordered_json::array();
  for (const auto& s : o.sources) {
    loads.push_back({{"ds_nodash", s.ds_nodash},
                     {"partition", o.table + "$" + s.ds_nodash},
                     {"source", s.uri},
                     {"write_disposition", "WRITE_TRUNCATE"},
                     {"command", load_command(o, s, "SCHEMA_FILE")}});
  }
  nlohmann::ordered_json doc = {
      {"table", o.table},
      {"aggregate_type", o.aggregate_type},
      {"source_format", "NEWLINE_DELIMITED_JSON"},
      {"partitioning", {{"type", "DAY"}, {"field", nullptr}, {"partition", "ds_nodash"}}},
      {"clustering", clustering(o.aggregate_type)},
      {"schema", bigquery_schema()},
      {"loads", std::move(loads)}};
  return base::dump_json(doc, 2) + "\n";
}

}  // namespace shredmit::aggregates
