// shredmit base: findings of the static checks (`lint`, `backfill validate`) and their four
// output formats, shared by every command that reports rule violations.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace shredmit::base {

enum class Severity { kError, kWarning };

// "error" or "warning".
std::string_view severity_name(Severity s);

// A rule a finding refers to, described in SARIF output and in --help.
struct Rule {
  std::string_view id;       // stable: "SM001", "BF001"
  std::string_view name;     // kebab-case: "explicit-group-by"
  std::string_view summary;  // one sentence
  Severity severity;
  // lint: runs on every table with --all-tables, not only on tables set up for mitigation.
  bool all_tables = false;
};

// Why a finding does not count: a `noqa` comment in the file it points at, or an entry of the
// baseline file given to `lint --baseline`. SARIF calls these "inSource" and "external".
enum class Suppression { kNone, kNoqa, kBaseline };

struct Finding {
  std::string rule;  // "SM001"
  Severity severity = Severity::kError;
  std::string file;  // as reached from the command-line path (relative when that was)
  int line = 1;      // 1-based; whole-file findings point at 1:1
  int column = 1;
  std::string message;  // one line, says how to fix it
  Suppression suppression = Suppression::kNone;
};

// Sorts findings by file, line, column, rule and message and removes exact duplicates.
void sort_findings(std::vector<Finding>& findings);
// Errors and warnings that are not suppressed (the ones that decide the exit status), and the
// suppressed ones of either severity.
size_t count_errors(const std::vector<Finding>& findings);
size_t count_warnings(const std::vector<Finding>& findings);
size_t count_suppressed(const std::vector<Finding>& findings);

// "file:line:col: error|warning: [RULE] message" lines, for the findings not suppressed.
std::string format_text_lines(const std::vector<Finding>& findings);
// An array of {"rule", "severity", "file", "line", "column", "message"}, indented, with a final
// newline.
std::string format_json(const std::vector<Finding>& findings);
// GitHub workflow commands "::error file=F,line=L,col=C,title=RULE::message" (warnings as
// ::warning), escaped as GitHub's toolkit does (% CR LF, and : , in properties). A suppressed
// finding is a "::notice" titled "RULE (suppressed by noqa)" or "(... by baseline)", so the pull
// request still shows it without failing a check.
std::string format_github(const std::vector<Finding>& findings);
// SARIF 2.1.0: one rule descriptor per entry of `rules` (every finding's rule must be among
// them; std::out_of_range otherwise) and one result per finding. A suppressed finding carries
// SARIF's `suppressions` ([{"kind": "inSource"}] for noqa, "external" for a baseline), which code
// scanning shows as dismissed.
std::string format_sarif(const std::vector<Finding>& findings, const std::vector<Rule>& rules);

// `value` as JSON text (indented by `indent` spaces, on one line when -1). Bytes that are not
// valid UTF-8 (folder names are bytes on Linux) become U+FFFD instead of throwing: every JSON
// document shredmit prints goes through this.
std::string dump_json(const nlohmann::json& value, int indent = -1);

}  // namespace shredmit::base
