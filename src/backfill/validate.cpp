// backfill.yaml validation: bigquery-etl's rules, located, all reported (see backfill.h).
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "backfill.h"
#include "internal.h"

namespace shredmit::backfill {
namespace {

namespace fs = std::filesystem;
using base::Finding;
using base::Location;
using base::Severity;
using project::YamlValue;

const std::vector<base::Rule> kRules = {
    {"BF001", "backfill-parses",
     "backfill.yaml is a mapping of entry dates to entries with start_date, end_date, reason, "
     "watchers and status, dates as YYYY-MM-DD and flags as booleans; the table's metadata.yaml "
     "parses.",
     Severity::kError},
    {"BF002", "unique-entry-dates", "No two entries have the same entry date.", Severity::kError},
    {"BF003", "entry-date-not-future", "No entry is dated after today.", Severity::kError},
    {"BF004", "valid-start-date", "start_date is on or before end_date and the entry date.",
     Severity::kError},
    {"BF005", "valid-end-date", "end_date is on or before the entry date.", Severity::kError},
    {"BF006", "excluded-dates-in-range",
     "Every excluded date lies strictly between start_date and end_date.", Severity::kError},
    {"BF007", "excluded-dates-sorted", "excluded_dates are sorted and unique.", Severity::kError},
    {"BF008", "valid-watchers", "watchers is a non-empty list of emails or GitHub identities.",
     Severity::kError},
    {"BF009", "unique-watchers", "No watcher is listed twice.", Severity::kError},
    {"BF010", "reason-present", "The entry has a non-empty reason.", Severity::kError},
    {"BF011", "known-status", "status is Initiate, Complete or Cancelled.", Severity::kError},
    {"BF012", "billing-project",
     "billing_project, when set, is one of the moz-fx-data-backfill-* projects.", Severity::kError},
    {"BF013", "no-default-watcher", "No watcher is the placeholder nobody@mozilla.com.",
     Severity::kError},
    {"BF014", "no-default-reason", "The reason is not bqetl's placeholder text.", Severity::kError},
    {"BF015", "mitigation-matches-label",
     "An Initiate entry has shredder_mitigation: true exactly when metadata.yaml has the "
     "shredder_mitigation label.",
     Severity::kError},
    {"BF016", "single-initiate-entry", "At most one entry has status Initiate.", Severity::kError},
    {"BF017", "depends-on-past-end-date",
     "On a depends_on_past table, end_date is on or after the entry date (or the entry sets "
     "override_depends_on_past_end_date).",
     Severity::kError},
    {"BF018", "entry-not-too-old",
     "An Initiate entry is at most 28 days old; older entries are never scheduled.",
     Severity::kError},
    {"BF019", "retention-range",
     "An Initiate entry starts within the retention window (775 days or the partition "
     "expiration) before its entry date, or sets override_retention_limit.",
     Severity::kError},
    {"BF020", "query-script-options",
     "A backfill of a Python query sets query_script_entrypoint and query_script_date_arg.",
     Severity::kError},
    {"BF021", "sampling-batch-size", "reinitialize_sampling_batch_size is between 1 and 100.",
     Severity::kError},
    {"BF022", "null-partition-override",
     "override_depends_on_past_null_partition comes with custom_query_path and without "
     "reinitialize_table.",
     Severity::kError},
    {"BF023", "entries-sorted", "Entries are sorted newest first.", Severity::kError},
    {"BF024", "depends-on-past-partition",
     "A depends_on_past table with date_partition_parameter: null is backfilled only with "
     "reinitialize_table (and an is_init() query) or override_depends_on_past_null_partition.",
     Severity::kError},
    {"BF025", "partitioning-type", "The table is partitioned by day or by month, or not at all.",
     Severity::kError},
    {"BF026", "custom-query-path",
     "An Initiate entry's custom_query_path names an existing .sql or .py file that parses.",
     Severity::kError},
    {"BF027", "mitigation-preconditions",
     "An Initiate entry with shredder_mitigation: true is on a table that meets every "
     "precondition of shredder mitigation (the ones `shredmit generate` and `lint` check: "
     "label, versions, files, explicit GROUP BY, descriptions, no id-level columns, schema and "
     "query agree, partitioning, comparable versions, recoverable metrics).",
     Severity::kError},
    {"BF029", "status-case",
     "status is written Initiate, Complete or Cancelled: bigquery-etl parses other letter cases "
     "but never schedules them.",
     Severity::kWarning},
    {"BF030", "monthly-offset",
     "A month-partitioned table's Initiate entry has no date_partition_offset in effect (set "
     "ignore_date_partition_offset: true).",
     Severity::kError},
    {"BF031", "whole-table-writer",
     "An Initiate entry of a partitioned table binds a date parameter: with "
     "date_partition_parameter: null each date overwrites the whole staging table and complete "
     "fails.",
     Severity::kError},
};

const char* const kDefaultReason =
    "Please provide a reason for the backfill and links to any related bugzilla or jira tickets";
const char* const kDefaultWatcher = "nobody@mozilla.com";
constexpr int kMaxEntryAgeDays = 28;
constexpr int kMaxRetentionDays = 775;

// bigquery-etl's is_email_or_github_identity (bigquery_etl/query_scheduling/utils.py).
bool is_email_or_github_identity(const std::string& s) {
  static const std::regex kEmail(R"(^[^@]+@[^@]+\.[^@]+)");
  static const std::regex kGithub(R"(^[@mozilla]+/[a-zA-Z0-9]+)");
  return std::regex_search(s, kEmail) || std::regex_search(s, kGithub);
}

bool is_yaml_bool(const YamlValue& v) {
  if (!v.present || !v.is_scalar) return false;
  static const std::set<std::string> kSpellings = {
      "true",  "True",  "TRUE",  "yes", "Yes", "YES", "on",  "On",  "ON",
      "false", "False", "FALSE", "no",  "No",  "NO",  "off", "Off", "OFF"};
  return kSpellings.count(v.text) > 0;
}

class Validator {
 public:
  Validator(const fs::path& file, const project::SqlTree& tree, const ValidateOptions& options)
      : file_(file), tree_(tree), options_(options) {}

  std::vector<Finding> run() {
    try {
      backfill_ = project::load_backfill(file_);
    } catch (const base::Error& e) {
      add("BF001", e.span.begin, e.what(), e.file);
      return std::move(out_);
    }
    fs::path dir = file_.parent_path();
    std::error_code ec;
    if (fs::is_regular_file(dir / "metadata.yaml", ec)) {
      try {
        metadata_ = project::load_metadata(dir / "metadata.yaml");
      } catch (const base::Error& e) {
        add("BF001", e.span.begin, e.what(), e.file);
      }
    }
    today_ = options_.today.empty() ? today() : *parse_date(options_.today);
    check_entries();
    return std::move(out_);
  }

 private:
  void add(std::string_view id, base::Location at, std::string message, std::string file = {},
           std::optional<Severity> severity = std::nullopt) {
    const base::Rule* r = nullptr;
    for (const auto& x : kRules) {
      if (x.id == id) r = &x;
    }
    out_.push_back(Finding{std::string(id), severity.value_or(r->severity),
                           file.empty() ? file_.string() : file, at.line > 0 ? at.line : 1,
                           at.column > 0 ? at.column : 1, std::move(message)});
  }

  // The position to report a field at: its key, else the entry's key.
  static base::Location at(const YamlValue& v, const project::BackfillEntry& e) {
    return v.present ? v.key : e.entry_date.key;
  }

  void check_entries() {
    const auto& entries = backfill_.entries;
    std::set<std::string> seen;
    const project::BackfillEntry* first_initiate = nullptr;
    std::optional<Days> previous_entry;
    bool unsorted_reported = false;
    for (const auto& e : entries) {
      const std::string& date = e.entry_date.text;
      auto entry_date = parse_date(date);
      if (!entry_date) {
        add("BF001", e.entry_date.key,
            fmt::format("entry key '{}' is not a date; key each entry by its entry date "
                        "YYYY-MM-DD",
                        date));
      } else {
        if (!seen.insert(date).second) {
          add("BF002", e.entry_date.key,
              fmt::format("backfill entry {} already exists; merge the two entries or date one "
                          "differently",
                          date));
        }
        if (*entry_date > today_) {
          add("BF003", e.entry_date.key,
              fmt::format("backfill entry {} can't be in the future (today is {}); date the "
                          "entry when it is written",
                          date, format_date(today_)));
        }
        if (previous_entry && *entry_date > *previous_entry && !unsorted_reported) {
          add("BF023", e.entry_date.key,
              fmt::format("backfill entries are not sorted by entry date: {} comes after {}; put "
                          "the newest entry first",
                          date, format_date(*previous_entry)));
          unsorted_reported = true;
        }
        previous_entry = entry_date;
      }
      if (!e.entry_is_mapping) {
        add("BF001", e.entry_date.key,
            fmt::format("backfill entry {} must be a mapping with start_date, end_date, reason, "
                        "watchers and status",
                        date));
        continue;
      }
      std::string status = check_entry(e, entry_date);
      if (status == "initiate") {
        if (first_initiate) {
          add("BF016", at(e.status, e),
              fmt::format("backfill entries cannot contain more than one entry with Initiate "
                          "status (also {}); set the older one to Complete or Cancelled",
                          first_initiate->entry_date.text));
        } else {
          first_initiate = &e;
        }
      }
    }
    check_table_metadata();
  }

  // Checks one entry; returns its status in lower case ("" when missing).
  std::string check_entry(const project::BackfillEntry& e, std::optional<Days> entry_date) {
    const std::string& date = e.entry_date.text;
    auto required_date = [&](const YamlValue& v, const char* name) -> std::optional<Days> {
      if (!v.present || v.text.empty()) {
        add("BF001", at(v, e),
            fmt::format("backfill entry {} has no {}; add `{}: YYYY-MM-DD`", date, name, name));
        return std::nullopt;
      }
      auto d = parse_date(v.text);
      if (!d) {
        add("BF001", v.value, fmt::format("{} '{}' is not a date; write YYYY-MM-DD", name, v.text));
      }
      return d;
    };
    auto start = required_date(e.start_date, "start_date");
    auto end = required_date(e.end_date, "end_date");
    if (start && ((end && *start > *end) || (entry_date && *start > *entry_date))) {
      add("BF004", e.start_date.key,
          fmt::format("invalid start date {}: it must be on or before end_date ({}) and the "
                      "entry date ({})",
                      e.start_date.text, e.end_date.text, date));
    }
    if (end && entry_date && *end > *entry_date) {
      add("BF005", e.end_date.key,
          fmt::format("invalid end date {}: it must be on or before the entry date {}",
                      e.end_date.text, date));
    }

    // excluded_dates
    if (e.excluded_dates.present && !e.list_fields.count("excluded_dates") &&
        !e.excluded_dates.text.empty()) {
      add("BF001", e.excluded_dates.key, "excluded_dates must be a list of dates (`- YYYY-MM-DD`)");
    }
    std::set<std::string> excluded;
    std::optional<Days> last_excluded;
    for (const auto& x : e.excluded_date_items) {
      auto d = parse_date(x.text);
      if (!d) {
        add("BF001", x.value,
            fmt::format("excluded date '{}' is not a date; write YYYY-MM-DD", x.text));
        continue;
      }
      if (start && end && !(*start < *d && *d < *end)) {
        add("BF006", x.value,
            fmt::format("invalid excluded date {}: it must lie strictly between start_date {} "
                        "and end_date {} (move the start or end date instead)",
                        x.text, e.start_date.text, e.end_date.text));
      }
      if (!excluded.insert(x.text).second) {
        add("BF007", x.value,
            fmt::format("duplicate excluded date {}; list each date once", x.text));
      } else if (last_excluded && *d < *last_excluded) {
        add("BF007", x.value,
            fmt::format("excluded dates not sorted: {} comes after {}; sort them oldest first",
                        x.text, format_date(*last_excluded)));
      }
      last_excluded = d;
    }

    // watchers
    if (!e.watchers.present) {
      add("BF001", e.entry_date.key,
          fmt::format("backfill entry {} has no watchers; add `watchers:` with the emails to "
                      "notify",
                      date));
    } else if (e.watcher_items.empty()) {
      add("BF008", e.watchers.key,
          "watchers is empty; list the emails or GitHub identities to notify");
    }
    std::set<std::string> watchers;
    for (const auto& w : e.watcher_items) {
      if (w.text == kDefaultWatcher) {
        add("BF013", w.value,
            "default watcher nobody@mozilla.com found; list the people to notify instead");
      } else if (!is_email_or_github_identity(w.text)) {
        add("BF008", w.value,
            fmt::format("invalid email or GitHub identity for watchers: '{}'", w.text));
      }
      if (!watchers.insert(w.text).second) {
        add("BF009", w.value,
            fmt::format("duplicate watcher '{}'; list each watcher once", w.text));
      }
    }

    // reason
    if (!e.reason.present) {
      add("BF001", e.entry_date.key,
          fmt::format("backfill entry {} has no reason; add `reason:` with why the backfill is "
                      "needed and its bug link",
                      date));
    } else if (e.reason.text.find_first_not_of(" \t\r\n") == std::string::npos) {
      add("BF010", e.reason.key,
          "reason in backfill entry should not be empty; say why the backfill is needed");
    } else if (e.reason.text == kDefaultReason) {
      add("BF014", e.reason.value,
          "default reason found; replace it with why the backfill is needed and its bug link");
    }

    // status
    std::string status = syntax::to_lower(e.status.text);
    if (!e.status.present || status.empty()) {
      add("BF001", at(e.status, e),
          fmt::format("backfill entry {} has no status; add `status: Initiate`", date));
      status.clear();
    } else if (status != "initiate" && status != "complete" && status != "cancelled") {
      add("BF011", e.status.value,
          fmt::format("invalid status '{}'; use Initiate, Complete or Cancelled", e.status.text));
      status.clear();
    } else {
      std::string canonical = status == "initiate"   ? "Initiate"
                              : status == "complete" ? "Complete"
                                                     : "Cancelled";
      if (e.status.text != canonical) {
        add("BF029", e.status.value,
            fmt::format("status '{}' is read as {} here, but bigquery-etl's scheduler compares "
                        "the text exactly and never runs it; write `status: {}`",
                        e.status.text, canonical, canonical));
      }
    }

    // typed optional fields
    for (const char* flag :
         {"shredder_mitigation", "reinitialize_table", "override_retention_limit",
          "override_depends_on_past_end_date", "override_depends_on_past_null_partition",
          "ignore_date_partition_offset"}) {
      const YamlValue& v = e.field(flag);
      if (v.present && !v.text.empty() && !is_yaml_bool(v)) {
        add("BF001", v.value,
            fmt::format("{} must be true or false, got '{}' (bigquery-etl reads any other text "
                        "as true)",
                        flag, v.text));
      } else if (v.present && !v.is_scalar) {
        add("BF001", v.value, fmt::format("{} must be true or false", flag));
      }
    }
    if (const YamlValue& bp = e.field("billing_project"); bp.present && !bp.text.empty()) {
      if (bp.text.rfind("moz-fx-data-backfill-", 0) != 0) {
        add("BF012", bp.value,
            fmt::format("invalid billing project {}; use one of the projects assigned to "
                        "backfills (moz-fx-data-backfill-*)",
                        bp.text));
      }
    }
    if (const YamlValue& n = e.field("reinitialize_sampling_batch_size");
        n.present && !n.text.empty()) {
      int value = 0;
      bool integer = std::regex_match(n.text, std::regex("-?[0-9]{1,9}"));
      if (integer) value = std::stoi(n.text);
      if (!integer) {
        add("BF001", n.value,
            fmt::format("reinitialize_sampling_batch_size must be a whole number, got '{}'",
                        n.text));
      } else if (value < 1 || value > 100) {
        add("BF021", n.value,
            fmt::format("reinitialize_sampling_batch_size {} is out of range; use 1 to 100",
                        value));
      }
    }

    // validate_entries, per entry, in bigquery-etl's order.
    bool initiate = status == "initiate";
    const auto& md = metadata_;
    if (initiate && md) {
      bool label = md->shredder_mitigation;
      if (label != e.mitigation) {
        add("BF015", at(e.shredder_mitigation, e),
            label ? fmt::format("shredder_mitigation label in {} and backfill entry {} should "
                                "match: the table has the label, so add `shredder_mitigation: "
                                "true` to the entry",
                                md->file, date)
                  : fmt::format("shredder_mitigation label in {} and backfill entry {} should "
                                "match: the entry asks for mitigation, so add the "
                                "`shredder_mitigation: true` label (once the table is set up) or "
                                "set the entry's shredder_mitigation to false",
                                md->file, date));
      }
    }
    if (md && md->depends_on_past && end && entry_date && *end < *entry_date &&
        !e.flag("override_depends_on_past_end_date")) {
      add("BF017", e.end_date.key,
          fmt::format("end date {} must be on or after the backfill entry date {} for a "
                      "depends_on_past table; extend it or set "
                      "override_depends_on_past_end_date: true",
                      e.end_date.text, date));
    }
    if (initiate && entry_date && *entry_date < today_ - std::chrono::days(kMaxEntryAgeDays)) {
      add("BF018", e.entry_date.key,
          fmt::format("backfill entry {} is more than {} days old (today is {}) and will not "
                      "run; date a new entry today",
                      date, kMaxEntryAgeDays, format_date(today_)));
    }
    if (initiate && start && entry_date && !e.flag("override_retention_limit")) {
      int retention = kMaxRetentionDays;
      if (md && md->expiration_days) retention = std::min(retention, *md->expiration_days);
      if (*start < *entry_date - std::chrono::days(retention - 1)) {
        add("BF019", e.start_date.key,
            fmt::format("cannot backfill more than {} days prior to the entry date due to "
                        "retention policies; move start_date to {} or later, or add "
                        "override_retention_limit: true",
                        retention, format_date(*entry_date - std::chrono::days(retention - 1))));
      }
    }
    const YamlValue& custom = e.field("custom_query_path");
    bool python = (custom.present && custom.text.size() > 3 &&
                   custom.text.compare(custom.text.size() - 3, 3, ".py") == 0) ||
                  fs::exists(file_.parent_path() / "query.py");
    if (python && (e.field("query_script_entrypoint").text.empty() ||
                   e.field("query_script_date_arg").text.empty())) {
      add("BF020", e.entry_date.key,
          "a backfill of a Python query requires query_script_entrypoint and "
          "query_script_date_arg; add both to the entry");
    }
    if (e.flag("override_depends_on_past_null_partition")) {
      const YamlValue& v = e.field("override_depends_on_past_null_partition");
      if (custom.text.empty()) {
        add("BF022", v.key,
            "override_depends_on_past_null_partition requires custom_query_path; add the query "
            "that processes one partition");
      }
      if (e.flag("reinitialize_table")) {
        add("BF022", v.key,
            "override_depends_on_past_null_partition and reinitialize_table cannot be used "
            "together; keep one");
      }
    }
    if (initiate) check_initiate(e, custom);
    return status;
  }

  // A Python custom_query_path compiles: bigquery-etl runs it with Python, so a syntax error
  // fails the backfill at its first date. Compiled by Python itself (compile(), which writes no
  // __pycache__ into the tree); without python3 the finding says the file was not checked.
  void check_python(const fs::path& path, const YamlValue& custom) {
    static const char* kCompile =
        "import sys\n"
        "p = sys.argv[1]\n"
        "try:\n"
        "    compile(open(p, 'rb').read(), p, 'exec')\n"
        "except SyntaxError as e:\n"
        "    print(f'{e.lineno or 0}:{e.offset or 0}:{e.msg}')\n"
        "    sys.exit(1)\n";
    auto result = base::run_program({"python3", "-c", kCompile, path.string()});
    if (!result) {
      add("BF026", custom.value,
          fmt::format("custom_query_path {} was not checked: python3 is not installed to compile "
                      "it",
                      custom.text),
          {}, Severity::kWarning);
      return;
    }
    if (result->status == 0) return;
    static const std::regex kError(R"(^(\d+):(\d+):(.*)\n?$)");
    std::smatch m;
    if (result->status == 1 && std::regex_match(result->output, m, kError)) {
      add("BF026", custom.value,
          fmt::format("custom_query_path does not compile: {}:{}:{}: {}", path.string(), m[1].str(),
                      m[2].str(), m[3].str()));
    } else {
      add("BF026", custom.value,
          fmt::format("custom_query_path {} could not be compiled (python3 exited with status "
                      "{})",
                      custom.text, result->status));
    }
  }

  // What bigquery-etl checks only when `initiate` runs, for an Initiate entry.
  void check_initiate(const project::BackfillEntry& e, const YamlValue& custom) {
    const std::string& date = e.entry_date.text;
    if (custom.present && !custom.text.empty() && !e.mitigation) {
      fs::path path = tree_.repo_root / custom.text;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) {
        add("BF026", custom.value,
            fmt::format("custom_query_path {} does not exist (paths are relative to the "
                        "repository root, {})",
                        custom.text, tree_.repo_root.string()));
      } else if (path.extension() == ".sql") {
        try {
          project::parse_sql_file(path, {});
        } catch (const project::OfflineError&) {
        } catch (const base::Error& err) {
          add("BF026", custom.value,
              fmt::format("custom_query_path does not parse: {}", err.format()));
        }
      } else if (path.extension() == ".py") {
        check_python(path, custom);
      } else {
        add("BF026", custom.value,
            fmt::format("custom_query_path {} must be a .sql or .py file", custom.text));
      }
    }
    if (!metadata_) return;
    const auto& md = *metadata_;
    std::string type = syntax::to_lower(md.partition_type.value_or(""));
    int offset = e.flag("ignore_date_partition_offset") ? 0 : md.date_partition_offset;
    if (type == "month" && offset != 0) {
      add("BF030",
          md.date_partition_offset_at.line ? md.date_partition_offset_at : e.entry_date.key,
          fmt::format("offsets are unsupported for monthly partitions: bigquery-etl fails the "
                      "backfill {} at run time; add ignore_date_partition_offset: true to the "
                      "entry",
                      date),
          md.file);
    }
    bool partitioned = type == "day" || type == "month";
    if (partitioned && !md.date_partition_parameter && offset == 0 && !md.depends_on_past &&
        !e.flag("reinitialize_table") && !e.flag("override_depends_on_past_null_partition")) {
      add("BF031", e.entry_date.key,
          fmt::format("the table has date_partition_parameter: null, so every date of backfill "
                      "{} overwrites the whole staging table and complete fails with \"Null "
                      "partition found\"; set scheduling.date_partition_parameter, or backfill one "
                      "date with reinitialize_table",
                      date));
    }
    if (!e.mitigation || !options_.mitigation_preconditions) return;
    // One finding per reason, quoting it with its own location, as generate reports it.
    base::Location where = at(e.shredder_mitigation, e);
    analysis::PreconditionOptions po;
    po.id_level_columns = options_.mitigation.id_level_columns;
    po.signed_metrics = options_.mitigation.signed_metrics;
    analysis::Preconditions pre = analysis::check_preconditions(tree_, file_.parent_path(), po);
    for (const auto& r : pre.refusals) {
      std::string cause =
          r.at.line > 0 ? fmt::format(" ({}:{}:{})", r.file, r.at.line, std::max(1, r.at.column))
                        : fmt::format(" ({})", r.file);
      add("BF027", where,
          fmt::format("shredder mitigation cannot run for backfill entry {}: {}{}", date, r.message,
                      cause));
    }
  }

  // bigquery-etl's validate_table_metadata: partitioning type, depends_on_past with a null
  // partition parameter.
  void check_table_metadata() {
    if (!metadata_) return;
    const auto& md = *metadata_;
    if (md.partition_type) {
      std::string type = syntax::to_lower(*md.partition_type);
      if (type != "day" && type != "month") {
        add("BF025", md.partition_type_at,
            fmt::format("unsupported table partitioning type {}: managed backfills support day "
                        "and month partitioning only",
                        *md.partition_type),
            md.file);
      }
    }
    if (md.depends_on_past && !md.date_partition_parameter) {
      // The newest entry decides, as in `bqetl backfill validate`.
      const project::BackfillEntry* newest = nullptr;
      for (const auto& e : backfill_.entries) {
        if (e.entry_is_mapping) {
          newest = &e;
          break;
        }
      }
      if (!newest) return;
      bool reinitialize = newest->flag("reinitialize_table");
      bool supported = false;
      if (reinitialize) {
        try {
          std::string query = base::read_text_file(file_.parent_path() / "query.sql");
          supported = query.find("is_init()") != std::string::npos;
        } catch (const base::Error&) {
        }
      }
      if (!supported && !newest->flag("override_depends_on_past_null_partition")) {
        add("BF024", md.depends_on_past_at,
            fmt::format("tables with depends_on_past and a null date_partition_parameter are not "
                        "supported by backfill entry {}; use reinitialize_table: true (with an "
                        "is_init() query) or override_depends_on_past_null_partition: true with a "
                        "custom_query_path",
                        newest->entry_date.text),
            md.file);
      }
    }
  }

  fs::path file_;
  const project::SqlTree& tree_;
  const ValidateOptions& options_;
  project::Backfill backfill_;
  std::optional<project::Metadata> metadata_;
  Days today_;
  std::vector<Finding> out_;
};

}  // namespace

const std::vector<base::Rule>& rules() { return kRules; }

std::vector<Finding> validate(const fs::path& backfill_file, const project::SqlTree& tree,
                              const ValidateOptions& options) {
  if (!options.today.empty() && !parse_date(options.today)) {
    throw base::Error::usage("--today takes a date YYYY-MM-DD, got '" + options.today + "'");
  }
  auto findings = Validator(backfill_file, tree, options).run();
  base::sort_findings(findings);
  return findings;
}

std::vector<fs::path> find_backfill_files(const std::vector<std::string>& paths) {
  std::set<fs::path> found;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      throw base::Error::usage("no such file or directory: " + p +
                               "; give backfill.yaml files or folders");
    }
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(
               p, fs::directory_options::skip_permission_denied, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->path().filename() == "backfill.yaml" && it->is_regular_file(ec)) {
          found.insert(it->path());
        }
      }
    } else if (fs::path(p).filename() == "backfill.yaml") {
      found.insert(fs::path(p));
    } else {
      throw base::Error::usage(p + " is not a backfill.yaml; give backfill.yaml files or folders");
    }
  }
  return {found.begin(), found.end()};
}

project::SqlTree tree_of(const fs::path& backfill_file) {
  fs::path absolute = fs::absolute(backfill_file).lexically_normal();
  // Walk up the absolute path to sql/, and the path as given alongside it, so that the tree (and
  // every file named in findings) keeps the user's relative spelling when it can.
  fs::path a = absolute.parent_path();
  fs::path r = backfill_file.lexically_normal().parent_path();
  while (!a.empty() && a != a.root_path()) {
    if (r.filename() == "..") r.clear();
    if (a.filename() == "sql") return project::SqlTree::from_sql_dir(r.empty() ? a : r);
    a = a.parent_path();
    r = r.parent_path();
  }
  throw base::Error(backfill_file.string(), 0, 0,
                    "not inside a bigquery-etl sql/ folder; backfill.yaml belongs in "
                    "sql/<project>/<dataset>/<table>/");
}

std::string staging_table_name(const project::TableId& table, const std::string& entry_date,
                               const std::string& staging_project) {
  std::string prefix =
      table.project == "moz-fx-data-shared-prod" ? std::string() : table.project + "__";
  std::string name = fmt::format("{}{}__{}_{}", prefix, table.dataset, table.table(), entry_date);
  std::replace(name.begin(), name.end(), '-', '_');
  return staging_project + ".backfills_staging_derived." + name;
}

std::string backup_table_name(const project::TableId& table, const std::string& entry_date,
                              const std::string& staging_project) {
  return staging_table_name(table, "backup_" + entry_date, staging_project);
}

}  // namespace shredmit::backfill
