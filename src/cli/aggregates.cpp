// `shredmit aggregates export` and `aggregates load-plan`: the Telemetry aggregates from PostgreSQL
// dumps.
#include "aggregates/aggregates.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"

namespace shredmit::cli {
namespace {

namespace fs = std::filesystem;

struct AggregatesOptions {
  aggregates::ExportOptions export_options;
  std::vector<std::string> dump_dirs;
  std::string output;
};

constexpr const char* kAggregatesExitStatusHelp =
    "Exit status:\n"
    "  0  every row was exported (rows with malformed dimensions JSON are counted on stderr)\n"
    "  1  a dump was refused (named with its byte offset or line): a damaged or truncated\n"
    "     toc.dat or data file, a missing data file, a table that is not an aggregate table of\n"
    "     the dump's type and date; nothing was written\n"
    "  2  usage error (a bad --ingest-date, a dump folder whose names give no type or date)\n"
    "  3  internal error (a shredmit bug)\n";

// Progress of a long export on stderr: a bar redrawn in place on a terminal, otherwise one line
// every 10 seconds (nothing for an export that takes less).
void show_export_progress(aggregates::ExportOptions& options, std::ostream& err) {
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  options.progress_interval = terminal ? 0.2 : 10.0;
  options.progress = [&err, terminal](const aggregates::ExportProgress& p) {
    double mb = static_cast<double>(p.bytes) / 1e6,
           total = static_cast<double>(p.total_bytes) / 1e6;
    double rate = p.seconds > 0 ? mb / p.seconds : 0;
    double share = p.total_bytes > 0 ? static_cast<double>(p.bytes) / p.total_bytes : 1;
    if (terminal) {
      int filled = static_cast<int>(share * 30);
      err << fmt::format("\rshredmit: [{}{}] {:3.0f}%  {} rows  {:.1f} MB/s",
                         std::string(filled, '#'), std::string(30 - filled, ' '), share * 100,
                         p.rows, rate)
          << (p.done ? "\n" : "") << std::flush;
    } else if (!p.done) {
      err << fmt::format("shredmit: {} rows, {:.0f} of {:.0f} MB read, {:.1f} MB/s\n", p.rows, mb,
                         total, rate);
    }
  };
}

int aggregates_export(AggregatesOptions o, std::ostream& out, std::ostream& err) {
  for (const auto& d : o.dump_dirs) o.export_options.dump_dirs.emplace_back(d);
  show_export_progress(o.export_options, err);
  aggregates::ExportStats stats;
  if (o.output.empty()) {
    stats = aggregates::export_rows(o.export_options, [&](std::string_view line) { out << line; });
  } else {
    stats = aggregates::export_to_file(o.export_options, o.output);
  }
  if (stats.malformed_json > 0) {
    err << fmt::format(
        "shredmit: warning: {} row{} had dimensions that are not a JSON object; their 7 "
        "dimension columns are NULL (first: {})\n",
        stats.malformed_json, stats.malformed_json == 1 ? "" : "s",
        base::join(stats.malformed_examples, ", "));
  }
  err << fmt::format("shredmit: exported {} row{} of {} table{}{}\n", stats.rows,
                     stats.rows == 1 ? "" : "s", stats.tables, stats.tables == 1 ? "" : "s",
                     o.output.empty() ? "" : " to " + o.output);
  return kExitOk;
}

struct LoadPlanCliOptions {
  aggregates::LoadPlanOptions plan;
  std::vector<std::string> sources;  // YYYYMMDD=URI
  std::string format = "sh";
};

int aggregates_load_plan(LoadPlanCliOptions o, std::ostream& out) {
  for (const auto& s : o.sources) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) {
      throw base::Error::usage("--source takes YYYYMMDD=URI, got '" + s + "'");
    }
    o.plan.sources.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  out << (o.format == "json" ? aggregates::load_plan_json(o.plan)
                             : aggregates::load_plan_shell(o.plan));
  return kExitOk;
}

}  // namespace

// See command.h.
void add_aggregates(CLI::App& app, std::vector<Command>& commands) {
  auto agg_ptr = std::make_shared<AggregatesOptions>();
  AggregatesOptions& agg = *agg_ptr;
  auto* aggregates_cmd = app.add_subcommand(
      "aggregates",
      "The Firefox Telemetry aggregates export (mozaggregator2bq) from pg_dump dumps");
  aggregates_cmd->require_subcommand(1);
  auto* aggregates_export_cmd = aggregates_cmd->add_subcommand(
      "export",
      "Read pg_dump --format directory dumps of the aggregates database natively and write "
      "their rows as newline-delimited JSON in the 13 columns of the BigQuery table");
  aggregates_export_cmd
      ->add_option("dump_dirs", agg.dump_dirs,
                   "dump folders, .../submission_date|build_id/YYYYMMDD/ (with toc.dat)")
      ->required();
  aggregates_export_cmd
      ->add_option("--ingest-date", agg.export_options.ingest_date,
                   "YYYY-MM-DD written in the ingest_date column")
      ->required();
  aggregates_export_cmd->add_option(
      "--output", agg.output,
      "write to FILE atomically (gzip when it ends in .gz) instead of stdout");
  aggregates_export_cmd
      ->add_option("--aggregate-type", agg.export_options.aggregate_type,
                   "submission_date or build_id (default: the dump folder's parent's name)")
      ->check(CLI::IsMember({"submission_date", "build_id"}));
  aggregates_export_cmd->add_option("--ds-nodash", agg.export_options.ds_nodash,
                                    "YYYYMMDD (default: the dump folder's name)");
  aggregates_export_cmd->footer(kAggregatesExitStatusHelp);
  auto load_ptr = std::make_shared<LoadPlanCliOptions>();
  LoadPlanCliOptions& load = *load_ptr;
  auto* aggregates_load_cmd = aggregates_cmd->add_subcommand(
      "load-plan",
      "Print the bq commands that load exported days idempotently: an explicit schema, one "
      "--replace load per day into its partition, the original clustering");
  aggregates_load_cmd->add_option("--table", load.plan.table, "PROJECT.DATASET.TABLE")->required();
  aggregates_load_cmd
      ->add_option("--aggregate-type", load.plan.aggregate_type, "submission_date or build_id")
      ->required()
      ->check(CLI::IsMember({"submission_date", "build_id"}));
  aggregates_load_cmd
      ->add_option("--source", load.sources,
                   "YYYYMMDD=URI: the file `aggregates export` wrote for that day (repeatable)")
      ->required();
  aggregates_load_cmd
      ->add_option("--format", load.format, "sh: a bash script; json: the plan as data")
      ->check(CLI::IsMember({"sh", "json"}))
      ->capture_default_str();
  aggregates_load_cmd->footer(
      "Exit status:\n  0  the plan was printed\n  2  usage error (the message names the "
      "option)\n  3  internal error (a shredmit bug)\n");
  commands.push_back(
      {aggregates_export_cmd, [agg_ptr, load_ptr](std::ostream& out, std::ostream& err) {
         return aggregates_export(*agg_ptr, out, err);
       }});
  commands.push_back({aggregates_load_cmd, [agg_ptr, load_ptr](std::ostream& out, std::ostream&) {
                        return aggregates_load_plan(*load_ptr, out);
                      }});
}

}  // namespace shredmit::cli
