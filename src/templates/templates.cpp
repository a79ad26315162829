// Ping-backfill templates: header parsing, typed parameters, rendering (see templates.h).
#include "templates.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "project/project.h"
#include "syntax/format.h"
#include "syntax/syntax.h"
#include "templating/templating.h"

namespace shredmit::templates {

// Generated at build time from templates/* (CMakeLists.txt): file name and content.
extern const std::vector<std::pair<std::string, std::string>> kTemplateFiles;

namespace {

using base::trim;

// `s` cut at every `separator`, each part trimmed.
std::vector<std::string> split(const std::string& s, const std::string& separator) {
  std::vector<std::string> parts = base::split(s, separator);
  for (auto& p : parts) p = trim(p);
  return parts;
}

const std::map<std::string, ParameterType> kTypeNames = {
    {"date", ParameterType::kDate},       {"date_range", ParameterType::kDateRange},
    {"project", ParameterType::kProject}, {"dataset", ParameterType::kDataset},
    {"table", ParameterType::kTable},     {"table_pattern", ParameterType::kTablePattern},
    {"integer", ParameterType::kInteger}, {"bool", ParameterType::kBool}};

// `-- param: name | type | required|optional|default: X | example: Y | description`
Parameter parse_parameter(const std::string& text, const std::string& file) {
  auto fields = split(text, " | ");
  auto bad = [&](const std::string& why) {
    return std::logic_error(fmt::format("{}: bad parameter declaration '{}': {}", file, text, why));
  };
  if (fields.size() != 5) throw bad("it needs five fields separated by ' | '");
  Parameter p;
  p.name = fields[0];
  p.type_text = fields[1];
  auto type_words = split(fields[1], " ");
  auto type = kTypeNames.find(type_words[0]);
  if (type == kTypeNames.end()) throw bad("unknown type " + type_words[0]);
  p.type = type->second;
  if (p.type == ParameterType::kInteger) {
    std::smatch m;
    std::string bounds = type_words.size() == 2 ? type_words[1] : "";
    if (!std::regex_match(bounds, m, std::regex(R"((-?\d+)\.\.(-?\d+))"))) {
      throw bad("an integer needs bounds, such as `integer 0..28`");
    }
    p.min = std::stoll(m[1]);
    p.max = std::stoll(m[2]);
  }
  if (fields[2] == "required") {
    p.required = true;
  } else if (fields[2].rfind("default: ", 0) == 0) {
    p.default_value = fields[2].substr(9);
  } else if (fields[2] != "optional") {
    throw bad("the third field is required, optional or default: VALUE");
  }
  if (fields[3].rfind("example: ", 0) != 0) throw bad("the fourth field is example: VALUE");
  p.example = fields[3].substr(9);
  p.description = fields[4];
  return p;
}

// `include: VARIABLE = TEMPLATE(param=value, ...)`
Include parse_include(const std::string& text, const std::string& file) {
  static const std::regex kInclude(R"(^(\w+) = (\w+)\((.*)\)$)");
  std::smatch m;
  if (!std::regex_match(text, m, kInclude)) {
    throw std::logic_error(fmt::format(
        "{}: bad include '{}': write VARIABLE = TEMPLATE(param=value, ...)", file, text));
  }
  Include include{m[1], m[2], {}};
  for (const auto& assignment : split(m[3], ",")) {
    if (assignment.empty()) continue;
    auto eq = assignment.find('=');
    if (eq == std::string::npos) {
      throw std::logic_error(fmt::format("{}: bad include argument '{}'", file, assignment));
    }
    include.fixed[trim(assignment.substr(0, eq))] = trim(assignment.substr(eq + 1));
  }
  return include;
}

Template parse_template(const std::string& file, const std::string& text) {
  Template t;
  t.file = "templates/" + file;
  std::istringstream lines(text);
  std::string line, body;
  bool in_header = true;
  static const std::regex kHeader(R"(^(--|#) (name|output|description|param|include): (.*)$)");
  while (std::getline(lines, line)) {
    std::smatch m;
    if (in_header && std::regex_match(line, m, kHeader)) {
      std::string key = m[2], value = trim(m[3].str());
      if (key == "name") t.name = value;
      if (key == "output") t.output = value;
      if (key == "description") t.description = value;
      if (key == "param") t.parameters.push_back(parse_parameter(value, t.file));
      if (key == "include") t.includes.push_back(parse_include(value, t.file));
      continue;
    }
    in_header = false;
    body += line + "\n";
  }
  t.body = body;
  if (t.name.empty() || (t.output != "sql" && t.output != "shell") || t.description.empty()) {
    throw std::logic_error(t.file +
                           ": the header needs name, output (sql or shell) and description");
  }
  return t;
}

bool matches(const std::string& value, const char* pattern) {
  return std::regex_match(value, std::regex(pattern));
}

std::string compact(const std::string& iso) {
  std::string out;
  for (char c : iso) {
    if (c != '-') out += c;
  }
  return out;
}

// Validates `value` for parameter `p` and adds the variables its type gives the template.
void bind(const Parameter& p, const std::string& value, std::map<std::string, std::string>& vars) {
  auto refuse = [&](const std::string& expected) {
    return base::Error::usage(fmt::format("--param {}: '{}' is not {}", p.name, value, expected));
  };
  const std::string& n = p.name;
  switch (p.type) {
    case ParameterType::kDate:
      if (!base::is_iso_date(value)) throw refuse("a calendar date written YYYY-MM-DD");
      vars[n] = "DATE '" + value + "'";
      vars[n + "_iso"] = value;
      vars[n + "_compact"] = compact(value);
      return;
    case ParameterType::kDateRange: {
      auto at = value.find("..");
      std::string start = at == std::string::npos ? "" : value.substr(0, at);
      std::string end = at == std::string::npos ? "" : value.substr(at + 2);
      if (!base::is_iso_date(start) || !base::is_iso_date(end)) {
        throw refuse("a date range written START..END, such as 2022-08-31..2022-09-01");
      }
      if (end < start) {
        throw base::Error::usage(
            fmt::format("--param {}: the range ends ({}) before it starts ({})", n, end, start));
      }
      vars[n + "_start"] = "DATE '" + start + "'";
      vars[n + "_end"] = "DATE '" + end + "'";
      vars[n + "_start_iso"] = start;
      vars[n + "_end_iso"] = end;
      return;
    }
    case ParameterType::kProject:
      if (!matches(value, "^[a-z][a-z0-9-]{4,28}[a-z0-9]$")) {
        throw refuse(
            "a project id (6 to 30 lowercase letters, digits and hyphens, starting with "
            "a letter)");
      }
      vars[n] = value;
      return;
    case ParameterType::kDataset:
      if (!matches(value, "^[A-Za-z0-9_]{1,1024}$")) {
        throw refuse("a dataset name (letters, digits and underscores)");
      }
      vars[n] = value;
      return;
    case ParameterType::kTable:
    case ParameterType::kTablePattern: {
      bool pattern = p.type == ParameterType::kTablePattern;
      std::smatch m;
      static const std::regex kTable(
          R"(^([a-z][a-z0-9-]{4,28}[a-z0-9])\.([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_-]{1,1024})$)");
      static const std::regex kPattern(
          R"(^([a-z][a-z0-9-]{4,28}[a-z0-9])\.([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_-]{0,1023}\*?)$)");
      if (!std::regex_match(value, m, pattern ? kPattern : kTable) || m[3].str().empty()) {
        throw refuse(pattern ? "a table written project.dataset.table, whose name may end in *"
                             : "a table written project.dataset.table (letters, digits, _ and -; "
                               "no wildcard here)");
      }
      vars[n] = "`" + value + "`";
      vars[n + "_bq"] = m[1].str() + ":" + m[2].str() + "." + m[3].str();
      vars[n + "_project"] = m[1];
      vars[n + "_dataset"] = m[2];
      vars[n + "_table"] = m[3];
      vars[n + "_information_schema_columns"] =
          "`" + m[1].str() + "." + m[2].str() + ".INFORMATION_SCHEMA.COLUMNS`";
      return;
    }
    case ParameterType::kInteger: {
      if (!matches(value, "^-?[0-9]{1,18}$")) throw refuse("an integer");
      int64_t v = std::stoll(value);
      if (v < p.min || v > p.max) {
        throw base::Error::usage(
            fmt::format("--param {}: {} is outside {}..{}", n, value, p.min, p.max));
      }
      vars[n] = std::to_string(v);
      return;
    }
    case ParameterType::kBool:
      if (value != "true" && value != "false") throw refuse("true or false");
      vars[n] = value == "true" ? "1" : "0";
      return;
  }
}

std::vector<Template> load_all() {
  std::vector<Template> out;
  for (const auto& [file, text] : kTemplateFiles) out.push_back(parse_template(file, text));
  std::sort(out.begin(), out.end(),
            [](const Template& a, const Template& b) { return a.name < b.name; });
  return out;
}

std::string parameter_line(const Parameter& p) {
  std::string requirement = p.required        ? "required"
                            : p.default_value ? "default " + *p.default_value
                                              : "optional";
  return fmt::format("    {} ({}, {}; example {}): {}", p.name, p.type_text, requirement, p.example,
                     p.description);
}

}  // namespace

const std::vector<Template>& all() {
  static const std::vector<Template> templates = load_all();
  return templates;
}

const Template& find(const std::string& name) {
  for (const auto& t : all()) {
    if (t.name == name) return t;
  }
  std::string names;
  for (const auto& t : all()) names += (names.empty() ? "" : ", ") + t.name;
  throw base::Error::usage("no template '" + name + "'; the templates are " + names);
}

std::map<std::string, std::string> example_values(const Template& t) {
  std::map<std::string, std::string> values;
  for (const auto& p : t.parameters) values[p.name] = p.example;
  return values;
}

std::string render(const Template& t, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> vars;
  for (const auto& [name, value] : values) {
    auto it = std::find_if(t.parameters.begin(), t.parameters.end(),
                           [&](const Parameter& p) { return p.name == name; });
    if (it == t.parameters.end()) {
      std::string names;
      for (const auto& p : t.parameters) names += (names.empty() ? "" : ", ") + p.name;
      throw base::Error::usage(fmt::format(
          "--param {}: {} has no such parameter; its parameters are {}", name, t.name, names));
    }
  }
  for (const auto& p : t.parameters) {
    auto it = values.find(p.name);
    if (it != values.end()) {
      bind(p, it->second, vars);
    } else if (p.default_value) {
      bind(p, *p.default_value, vars);
    } else if (p.required) {
      throw base::Error::usage(
          fmt::format("--param {} is required by {}: {} (example: --param {}={})", p.name, t.name,
                      p.description, p.name, p.example));
    } else {
      vars[p.name] = "";  // an absent optional parameter is false in {% if %}
    }
  }
  for (const auto& include : t.includes) {
    const Template& included = find(include.template_name);
    std::map<std::string, std::string> included_values = include.fixed;
    for (const auto& p : included.parameters) {
      if (values.count(p.name) && !include.fixed.count(p.name)) {
        included_values[p.name] = values.at(p.name);
      }
    }
    std::string text = render(included, included_values);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    vars[include.variable] = text;
  }
  templating::RenderOptions options;
  options.variables = vars;
  std::string text;
  try {
    text = templating::render({t.file, t.body}, options).text;
  } catch (const templating::TemplateError& e) {
    throw base::Error::internal(
        fmt::format("{}:{}:{}: {}", e.file, e.pos.line, e.pos.column, e.what()));
  }
  if (t.output == "sql") {
    try {
      syntax::parse_statements(text);
    } catch (const syntax::SyntaxError& e) {
      throw base::Error::internal(
          fmt::format("template {} rendered SQL that does not parse at {}:{}: {}", t.name,
                      e.loc.line, e.loc.column, e.what()));
    }
    text = syntax::format_generated_sql(text, "template " + t.name);
  }
  return text;
}

std::string list_text() {
  std::string out;
  for (const auto& t : all()) {
    out += fmt::format("{} ({})\n  {}\n", t.name, t.output, t.description);
    for (const auto& p : t.parameters) out += parameter_line(p) + "\n";
    out += "\n";
  }
  return out;
}

std::string list_json() {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& t : all()) {
    nlohmann::ordered_json parameters = nlohmann::ordered_json::array();
    for (const auto& p : t.parameters) {
      parameters.push_back({{"name", p.name},
                            {"type", p.type_text},
                            {"required", p.required},
                            {"default", p.default_value ? nlohmann::ordered_json(*p.default_value)
                                                        : nlohmann::ordered_json(nullptr)},
                            {"example", p.example},
                            {"description", p.description}});
    }
    array.push_back({{"name", t.name},
                     {"description", t.description},
                     {"output", t.output},
                     {"parameters", parameters}});
  }
  return array.dump(2) + "\n";
}

std::string show(const Template& t) {
  std::string out =
      fmt::format("{} ({}, {})\n\n{}\n\nParameters:\n", t.name, t.output, t.file, t.description);
  for (const auto& p : t.parameters) out += parameter_line(p) + "\n";
  out += "\nExample:\n  shredmit template render " + t.name;
  for (const auto& p : t.parameters) out += " \\\n    --param " + p.name + "=" + p.example;
  return out + "\n";
}

}  // namespace shredmit::templates
