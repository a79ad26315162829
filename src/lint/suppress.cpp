// Suppressing lint findings: noqa comments in the files and the baseline file (see lint.h).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/files.h"
#include "base/text.h"
#include "lint/lint.h"

namespace shredmit::lint {

namespace fs = std::filesystem;

namespace {

// The lines of the files findings point at, read once each. A file that cannot be read (an
// SM008 finding's file, a folder) has no lines: nothing in it can suppress a finding, and its
// fingerprint uses an empty line.
class SourceLines {
 public:
  const std::vector<std::string>& of(const std::string& file) {
    auto it = lines_.find(file);
    if (it != lines_.end()) return it->second;
    std::vector<std::string> lines;
    try {
      lines = base::split(base::read_text_file(file), "\n");
    } catch (const base::Error&) {
      lines.clear();
    }
    return lines_.emplace(file, std::move(lines)).first->second;
  }

 private:
  std::map<std::string, std::vector<std::string>> lines_;
};

bool is_yaml(const std::string& file) {
  std::string ext = fs::path(file).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// The rule ids after a `noqa:` or `noqa-file:` marker: comma- or space-separated words of
// letters and digits. Empty when the marker has no colon (`-- noqa` alone: every rule).
std::set<std::string> rule_list(std::string_view rest) {
  std::set<std::string> rules;
  size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  if (i >= rest.size() || rest[i] != ':') return rules;
  ++i;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == ',')) ++i;
    size_t start = i;
    while (i < rest.size() && std::isalnum(static_cast<unsigned char>(rest[i]))) ++i;
    if (i == start) break;
    std::string id(rest.substr(start, i - start));
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    rules.insert(id);
  }
  return rules;
}

// A noqa marker in a line's comment: the text after `-- ` or `#` (SQL) or `#` (YAML), followed
// by `noqa` or `noqa-file`. `kind` is "noqa" or "noqa-file". nullopt when there is none.
// The comment is found without a tokenizer: the marker must follow the comment opener with only
// spaces between, so `'-- noqa'` inside a string is a false match only when a string holds that
// exact text, which no real query does.
std::optional<std::set<std::string>> marker(std::string_view line, bool yaml,
                                            std::string_view kind) {
  std::vector<std::string_view> openers =
      yaml ? std::vector<std::string_view>{"#"} : std::vector<std::string_view>{"--", "#"};
  for (std::string_view opener : openers) {
    size_t at = 0;
    while ((at = line.find(opener, at)) != std::string_view::npos) {
      size_t i = at + opener.size();
      at = i;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::string_view rest = line.substr(i);
      if (!rest.starts_with(kind)) continue;
      rest.remove_prefix(kind.size());
      // `noqa` must not be the start of `noqa-file` or of another word.
      if (!rest.empty() &&
          (std::isalnum(static_cast<unsigned char>(rest[0])) || rest[0] == '-' || rest[0] == '_'))
        continue;
      return rule_list(rest);
    }
  }
  return std::nullopt;
}

bool covers(const std::set<std::string>& rules, const std::string& rule) {
  return rules.empty() || rules.count(rule) > 0;
}

// The finding's fingerprint: its rule and the text of the line it points at without its
// indentation, hashed (FNV-1a, 64 bits, as 16 hex digits). It does not contain the line number,
// so a finding keeps its fingerprint when lines above it are added or removed, nor the message,
// which names paths as lint was called (relative or absolute) and counts that change. Findings
// of one rule on equal lines share a fingerprint; the baseline keeps one entry per finding, so a
// second one is still new.
std::string fingerprint(const Finding& f, SourceLines& sources) {
  const auto& lines = sources.of(f.file);
  std::string line = f.line >= 1 && static_cast<size_t>(f.line) <= lines.size()
                         ? base::trim(lines[f.line - 1])
                         : std::string();
  uint64_t h = 1469598103934665603ULL;
  for (const std::string& part : {f.rule, line}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separates the parts
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

// A finding's file as the baseline stores it: relative to the baseline file's folder, with `/`,
// so the baseline matches whatever folder lint runs from.
std::string baseline_path(const std::string& file, const fs::path& baseline_dir) {
  std::error_code ec;
  fs::path absolute = fs::weakly_canonical(fs::absolute(file), ec);
  if (ec) absolute = fs::absolute(file).lexically_normal();
  return absolute.lexically_relative(baseline_dir).generic_string();
}

fs::path folder_of(const fs::path& baseline_file) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(fs::absolute(baseline_file), ec).parent_path();
  return ec ? fs::absolute(baseline_file).lexically_normal().parent_path() : dir;
}

}  // namespace

void apply_noqa(Report& report) {
  SourceLines sources;
  std::map<std::string, std::set<std::string>> file_rules;  // noqa-file rules per file
  std::map<std::string, bool> file_all;                     // `noqa-file` without rules
  for (auto& f : report.findings) {
    if (f.suppression != Suppression::kNone) continue;
    const auto& lines = sources.of(f.file);
    bool yaml = is_yaml(f.file);
    if (!file_rules.count(f.file)) {
      std::set<std::string> rules;
      bool all = false;
      for (const auto& line : lines) {
        if (auto m = marker(line, yaml, "noqa-file")) {
          if (m->empty()) all = true;
          rules.insert(m->begin(), m->end());
        }
      }
      file_rules[f.file] = std::move(rules);
      file_all[f.file] = all;
    }
    bool suppressed = file_all[f.file] || file_rules[f.file].count(f.rule) > 0;
    if (!suppressed && f.line >= 1 && static_cast<size_t>(f.line) <= lines.size()) {
      auto m = marker(lines[f.line - 1], yaml, "noqa");
      suppressed = m && covers(*m, f.rule);
    }
    if (suppressed) f.suppression = Suppression::kNoqa;
  }
}

std::string baseline_text(const Report& report, const fs::path& baseline_file) {
  SourceLines sources;
  fs::path dir = folder_of(baseline_file);
  std::vector<nlohmann::ordered_json> entries;
  for (const auto& f : report.findings) {
    if (f.suppression == Suppression::kNoqa) continue;
    entries.push_back({{"rule", f.rule},
                       {"file", baseline_path(f.file, dir)},
                       {"fingerprint", fingerprint(f, sources)},
                       {"message", f.message}});
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a["file"], a["rule"], a["fingerprint"]) <
           std::tie(b["file"], b["rule"], b["fingerprint"]);
  });
  nlohmann::ordered_json doc = {{"shredmit_lint_baseline", 1},
                                {"findings", nlohmann::ordered_json(entries)}};
  return base::dump_json(doc, 2) + "\n";
}

Baseline read_baseline(const fs::path& baseline_file) {
  std::string text = base::read_text_file(baseline_file);
  Baseline baseline;
  baseline.dir = folder_of(baseline_file);
  auto bad = [&](const std::string& why) {
    return base::Error(baseline_file.string(), 0, 0,
                       why + "; write it again with `shredmit lint --write-baseline FILE`");
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports the 1-based position of the byte it stopped at.
    base::Location at = base::location_of(text, std::min(e.byte, text.size()) - (e.byte > 0));
    throw base::Error(baseline_file.string(), at.line, at.column,
                      "not a lint baseline: invalid JSON; write it again with `shredmit lint "
                      "--write-baseline FILE`");
  }
  if (!doc.is_object() || !doc.contains("shredmit_lint_baseline") || !doc.contains("findings") ||
      !doc["findings"].is_array())
    throw bad("not a lint baseline (no \"shredmit_lint_baseline\" and \"findings\")");
  if (doc["shredmit_lint_baseline"] != 1)
    throw bad("a lint baseline of an unknown version (this shredmit reads version 1)");
  for (const auto& e : doc["findings"]) {
    if (!e.is_object() || !e.contains("rule") || !e.contains("file") ||
        !e.contains("fingerprint") || !e["rule"].is_string() || !e["file"].is_string() ||
        !e["fingerprint"].is_string())
      throw bad("a finding without a \"rule\", \"file\" and \"fingerprint\" string");
    baseline.entries.insert({e["rule"].get<std::string>(), e["file"].get<std::string>(),
                             e["fingerprint"].get<std::string>()});
  }
  return baseline;
}

size_t apply_baseline(Report& report, const Baseline& baseline) {
  SourceLines sources;
  std::multiset<Baseline::Entry> left = baseline.entries;
  for (auto& f : report.findings) {
    if (f.suppression != Suppression::kNone) continue;
    auto it = left.find({f.rule, baseline_path(f.file, baseline.dir), fingerprint(f, sources)});
    if (it == left.end()) continue;
    left.erase(it);
    f.suppression = Suppression::kBaseline;
  }
  return left.size();
}

}  // namespace shredmit::lint
