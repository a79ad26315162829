// Findings and their output formats (see diagnostics.h).
#include "diagnostics.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace shredmit::base {
namespace {

auto key(const Finding& f) { return std::tie(f.file, f.line, f.column, f.rule, f.message); }

std::string github_escape(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view severity_name(Severity s) { return s == Severity::kError ? "error" : "warning"; }

void sort_findings(std::vector<Finding>& findings) {
  std::sort(findings.begin(), findings.end(),
            [](const Finding& a, const Finding& b) { return key(a) < key(b); });
  findings.erase(std::unique(findings.begin(), findings.end(),
                             [](const Finding& a, const Finding& b) { return key(a) == key(b); }),
                 findings.end());
}

namespace {

// The findings that count (not suppressed) with this severity.
size_t count_counted(const std::vector<Finding>& findings, Severity severity) {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) {
    return f.severity == severity && f.suppression == Suppression::kNone;
  }));
}

}  // namespace

size_t count_errors(const std::vector<Finding>& findings) {
  return count_counted(findings, Severity::kError);
}

size_t count_warnings(const std::vector<Finding>& findings) {
  return count_counted(findings, Severity::kWarning);
}

size_t count_suppressed(const std::vector<Finding>& findings) {
  return findings.size() - count_errors(findings) - count_warnings(findings);
}

std::string format_text_lines(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    if (f.suppression != Suppression::kNone) continue;
    out += fmt::format("{}:{}:{}: {}: [{}] {}\n", f.file, f.line, f.column,
                       severity_name(f.severity), f.rule, f.message);
  }
  return out;
}

std::string format_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : findings) {
    out.push_back({{"rule", f.rule},
                   {"severity", severity_name(f.severity)},
                   {"file", f.file},
                   {"line", f.line},
                   {"column", f.column},
                   {"message", f.message}});
  }
  return dump_json(out, 2) + "\n";
}

std::string format_github(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    bool suppressed = f.suppression != Suppression::kNone;
    std::string title = f.rule;
    if (suppressed)
      title += f.suppression == Suppression::kNoqa ? " (suppressed by noqa)"
                                                   : " (suppressed by baseline)";
    out +=
        fmt::format("::{} file={},line={},col={},title={}::{}\n",
                    suppressed ? "notice" : severity_name(f.severity), github_escape(f.file, true),
                    f.line, f.column, github_escape(title, true), github_escape(f.message, false));
  }
  return out;
}

std::string format_sarif(const std::vector<Finding>& findings, const std::vector<Rule>& rules) {
  nlohmann::json rules_json = nlohmann::json::array();
  std::map<std::string, size_t> index;
  for (const auto& r : rules) {
    index[std::string(r.id)] = rules_json.size();
    rules_json.push_back({{"id", r.id},
                          {"name", r.name},
                          {"shortDescription", {{"text", r.summary}}},
                          {"defaultConfiguration", {{"level", severity_name(r.severity)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& f : findings) {
    namespace fs = std::filesystem;
    nlohmann::json result = {
        {"ruleId", f.rule},
        {"ruleIndex", index.at(f.rule)},
        {"level", severity_name(f.severity)},
        {"message", {{"text", f.message}}},
        {"locations",
         {{{"physicalLocation",
            {{"artifactLocation", {{"uri", fs::path(f.file).generic_string()}}},
             {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}}}}};
    if (f.suppression != Suppression::kNone) {
      result["suppressions"] = {
          {{"kind", f.suppression == Suppression::kNoqa ? "inSource" : "external"}}};
    }
    results.push_back(std::move(result));
  }
  nlohmann::json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                          {"version", "2.1.0"},
                          {"runs",
                           {{{"tool", {{"driver", {{"name", "shredmit"}, {"rules", rules_json}}}}},
                             {"results", results}}}}};
  return dump_json(sarif, 2) + "\n";
}

std::string dump_json(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace shredmit::base
