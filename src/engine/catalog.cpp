// Catalogs from a bigquery-etl tree: the tables a query reads and the persistent functions it
// calls (see engine.h). No gRPC here: this file only finds files and reads them.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <regex>
#include <set>

#include "base/text.h"
#include "engine.h"
#include "resolve/resolve.h"

namespace shredmit::engine {
namespace {

namespace fs = std::filesystem;

// The dotted names of persistent-function candidates called (qualified names; SAFE. calls
// excluded), each once, in order of first call.
class Calls {
 public:
  void add(const syntax::Expr& e) { syntax::print(e, hook()); }
  void add(const syntax::Script& script) {
    for (const auto& s : script.statements) {
      if (s->kind == syntax::StatementKind::kQuery) {
        syntax::print(*s->as<syntax::QueryStatement>().query, hook());
      } else if (s->kind == syntax::StatementKind::kCreateFunction) {
        const auto& f = s->as<syntax::CreateFunction>();
        if (f.body) add(*f.body);
      }
    }
  }
  std::vector<std::string> names;

 private:
  // Printing visits every expression, subqueries included; the hook only records calls.
  syntax::ExprHook hook() {
    return [this](const syntax::Expr& e) -> std::optional<std::string> {
      if (e.kind != syntax::ExprKind::kFunctionCall) return std::nullopt;
      std::vector<std::string> parts;
      for (const auto& part : e.as<syntax::FunctionCall>().name) {
        for (const auto& p : base::split(part.name, ".")) parts.push_back(p);
      }
      if (parts.size() < 2 || syntax::to_lower(parts[0]) == "safe") return std::nullopt;
      std::string dotted = base::join(parts, ".");
      if (seen_.insert(syntax::to_lower(dotted)).second) names.push_back(dotted);
      return std::nullopt;
    };
  }
  std::set<std::string> seen_;
};

// The udf.sql that defines the function called `dotted` from a query of `project`, or an empty
// path: sql/<project>/<dataset>/<name>/udf.sql for `dataset.name` and `project.dataset.name`
// (`mozfun.dataset.name` is sql/mozfun/...).
fs::path function_file(const project::SqlTree& tree, const std::string& project,
                       const std::string& dotted) {
  std::vector<std::string> parts = base::split(dotted, ".");
  if (parts.size() == 2) parts.insert(parts.begin(), project);
  if (parts.size() != 3) return {};
  for (const auto& p : parts) {
    if (p.empty() || p == "." || p == ".." || p.find('/') != std::string::npos) return {};
  }
  fs::path file = tree.sql_dir / parts[0] / parts[1] / parts[2] / "udf.sql";
  std::error_code ec;
  return fs::is_regular_file(file, ec) ? file : fs::path();
}

}  // namespace

std::optional<std::string> qualified_table(const std::string& path, const std::string& project) {
  std::vector<std::string> parts = base::split(path, ".");
  if (parts.size() == 2) parts.insert(parts.begin(), project);
  if (parts.size() != 3) return std::nullopt;
  for (const auto& p : parts) {
    if (p.empty()) return std::nullopt;
  }
  return base::join(parts, ".");
}

Binding binding(std::string_view parameter) {
  std::string text(parameter);
  auto first = text.find(':');
  auto second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos) {
    throw base::Error("", 0, 0,
                      "parameter '" + text + "' is not name:TYPE:value (bq query --parameter)");
  }
  std::string type = text.substr(first + 1, second - first - 1);
  analysis::Type kind = type.empty() ? analysis::Type::kString : analysis::type_from_name(type);
  if (kind == analysis::Type::kUnknown || kind == analysis::Type::kStruct ||
      kind == analysis::Type::kArray) {
    throw base::Error(
        "", 0, 0,
        fmt::format("parameter '{}' has type {}, which is not a GoogleSQL scalar type", text,
                    type));
  }
  return Binding{Parameter{text.substr(0, first), scalar(kind)},
                 Value::of(text.substr(second + 1))};
}

FromTree catalog_from_tree(std::string_view sql, const project::SqlTree& tree,
                           const std::string& project, const std::set<std::string>& known) {
  FromTree out;
  syntax::Script script;
  try {
    script = syntax::parse_statements(sql);
  } catch (const syntax::SyntaxError& e) {
    out.unknown.push_back(std::string("the text does not parse: ") + e.what());
    return out;
  }

  std::set<std::string> added;
  for (const auto& name : known) added.insert(syntax::to_lower(name));
  for (const auto& s : script.statements) {
    if (s->kind != syntax::StatementKind::kQuery) continue;
    resolve::Resolution resolution(*s->as<syntax::QueryStatement>().query);
    for (const auto& [path, at] : resolution.tables_read()) {
      auto name = qualified_table(path, project);
      if (name && added.count(syntax::to_lower(*name))) continue;
      fs::path schema_file;
      if (name) {
        auto parts = base::split(*name, ".");
        schema_file = tree.sql_dir / parts[0] / parts[1] / parts[2] / "schema.yaml";
      }
      std::error_code ec;
      if (!name || !fs::is_regular_file(schema_file, ec)) {
        out.unknown.push_back("table " + path + " (no schema.yaml in the tree)");
        continue;
      }
      added.insert(syntax::to_lower(*name));
      try {
        out.catalog.tables.push_back(
            Table{*name, columns_from_schema(project::load_schema(schema_file, tree))});
      } catch (const base::Error&) {
        out.unknown.push_back("table " + path + " (its schema.yaml does not load)");
      }
    }
  }

  // Functions, breadth first through the bodies of those found: a persistent function's body
  // names others relative to its own project (a mozfun body calls `map.get_key`).
  std::map<fs::path, size_t> by_file;  // index in out.catalog.functions
  std::deque<std::pair<std::string, std::vector<std::string>>> pending;  // project, calls
  Calls top;
  top.add(script);
  pending.emplace_back(project, top.names);
  while (!pending.empty()) {
    auto [from, calls] = std::move(pending.front());
    pending.pop_front();
    for (const auto& dotted : calls) {
      fs::path file = function_file(tree, from, dotted);
      if (file.empty()) continue;  // a builtin (NET.HOST) or not in the tree: the analyzer says
      auto parts = base::split(dotted, ".");
      std::string project_of = parts.size() == 3 ? parts[0] : from;
      std::string full = parts.size() == 3 ? dotted : from + "." + dotted;
      auto [it, fresh] = by_file.emplace(file, out.catalog.functions.size());
      if (!fresh) {
        auto& names = out.catalog.functions[it->second].names;
        if (std::find(names.begin(), names.end(), dotted) == names.end()) names.push_back(dotted);
        continue;
      }
      std::string text;
      try {
        text = base::read_text_file(file);
      } catch (const base::Error&) {
        continue;
      }
      Function f;
      f.names = {full};
      if (dotted != full) f.names.push_back(dotted);
      f.file = file.string();
      syntax::Script defined;
      try {
        defined = syntax::parse_statements(text);
      } catch (const syntax::SyntaxError&) {
        continue;  // the analyzer will say "Function not found"
      }
      // The statement that defines it; the tests after it (assert.* calls) do not matter.
      const syntax::CreateFunction* definition = nullptr;
      for (const auto& s : defined.statements) {
        if (s->kind != syntax::StatementKind::kCreateFunction) continue;
        const auto& c = s->as<syntax::CreateFunction>();
        if (syntax::to_lower(c.name.back().name) == syntax::to_lower(parts.back())) {
          definition = &c;
          break;
        }
      }
      if (definition == nullptr) continue;
      f.definition = std::move(text);
      Calls inner;
      if (definition->body) inner.add(*definition->body);
      pending.emplace_back(project_of, inner.names);
      out.catalog.functions.push_back(std::move(f));
    }
  }
  return out;
}

std::optional<std::string> unbound_parameter(const Verdict& v) {
  static const std::string kStart = "Query parameter '";
  const std::string& message = v.message;
  if (message.rfind(kStart, 0) != 0) return std::nullopt;
  size_t end = message.find('\'', kStart.size());
  if (end == std::string::npos || message.find("not found", end) == std::string::npos) {
    return std::nullopt;
  }
  return message.substr(kStart.size(), end - kStart.size());
}

bool cannot_check(const Verdict& v) {
  const std::string& m = v.message;
  // A function the catalog lacks, also inside a UDF's body ("Invalid function f ...; Function
  // not found: JSON_KEYS") and table-valued ones (EXTERNAL_QUERY).
  if (m.find("unction not found") != std::string::npos) return true;
  if (m.rfind("Table not found", 0) == 0 || m.find("not found inside") != std::string::npos ||
      m.rfind("Syntax error", 0) == 0 || m.find("INTERVAL") != std::string::npos ||
      m.find("not supported") != std::string::npos) {
    return true;
  }
  // BigQuery's aliases of INT64 and NUMERIC, which this build does not know.
  static const std::regex alias(
      "^Type not found: (INT|SMALLINT|INTEGER|BIGINT|TINYINT|BYTEINT|"
      "DECIMAL|BIGDECIMAL)\\b",
      std::regex::icase);
  if (std::regex_search(m, alias)) return true;
  // The difference of two dates or times, an INTERVAL in BigQuery.
  static const std::regex difference(
      "^No matching signature for operator - for argument types: (DATE|DATETIME|TIMESTAMP), "
      "\\1\\.");
  return std::regex_search(m, difference);
}

std::vector<Parameter> declared_parameters(const project::Metadata& metadata) {
  std::vector<Parameter> out;
  if (metadata.date_partition_parameter) {
    out.push_back({*metadata.date_partition_parameter, scalar(analysis::Type::kDate)});
  }
  for (const auto& p : metadata.parameters) {
    auto parts = base::split(p, ":");
    if (parts.size() < 2) continue;
    if (std::any_of(out.begin(), out.end(),
                    [&](const Parameter& x) { return base::same_name(x.name, parts[0]); })) {
      continue;
    }
    analysis::Type t =
        parts[1].empty() ? analysis::Type::kString : analysis::type_from_name(parts[1]);
    if (t != analysis::Type::kUnknown) out.push_back({parts[0], scalar(t)});
  }
  return out;
}

}  // namespace shredmit::engine
