// The bigquery-etl table layout and its YAML files (see project.h).
#include "project.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>

#include "templating/templating.h"

namespace shredmit::project {
namespace fs = std::filesystem;

namespace {

int line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }
int column_of(const YAML::Node& n) { return n.Mark().column >= 0 ? n.Mark().column + 1 : 0; }

YAML::Node load_yaml(const fs::path& file) {
  std::string text = read_text_file(file);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UserError(file.string(), e.mark.line + 1, e.mark.column + 1,
                    "invalid YAML: " + e.msg + "; fix the YAML syntax");
  }
}

std::string scalar(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return "";
  return n.Scalar();
}

// Reads schema.yaml files and resolves description includes, caching included files.
class SchemaReader {
 public:
  explicit SchemaReader(const SqlTree& tree) : tree_(tree) {}

  std::vector<SchemaField> read_fields(const YAML::Node& list, const std::string& file, int depth) {
    std::vector<SchemaField> fields;
    if (!list) return fields;
    if (!list.IsSequence()) {
      throw UserError(file, line_of(list), column_of(list),
                      "`fields` must be a list of fields, each with name, type and description");
    }
    for (const auto& node : list) {
      if (!node.IsMap()) {
        throw UserError(file, line_of(node), column_of(node),
                        "a schema field must be a mapping with name, type and description");
      }
      SchemaField f;
      f.line = line_of(node);
      f.column = column_of(node);
      f.name = scalar(node["name"]);
      if (f.name.empty()) {
        throw UserError(file, f.line, f.column, "schema field has no `name`; add one");
      }
      f.type = syntax::to_upper(scalar(node["type"]));
      f.mode = node["mode"] ? syntax::to_upper(scalar(node["mode"])) : "NULLABLE";
      if (const auto& d = node["description"]) f.description = description(d, file, depth);
      if (f.description && f.description->find_first_not_of(" \t\n") == std::string::npos) {
        f.description.reset();
      }
      f.fields = read_fields(node["fields"], file, depth);
      fields.push_back(std::move(f));
    }
    return fields;
  }

 private:
  std::optional<std::string> description(const YAML::Node& d, const std::string& file, int depth) {
    if (d.Tag() != "!include-field-description") {
      if (d.IsNull()) return std::nullopt;
      return scalar(d);
    }
    auto fail = [&](const std::string& why) {
      return UserError(file, line_of(d), column_of(d),
                       "cannot resolve !include-field-description: " + why);
    };
    if (!d.IsMap()) throw fail("it needs a mapping with `file` or `table`, and `field`");
    if (depth > 8) throw fail("includes nest more than 8 levels; check for a cycle");
    std::string field = scalar(d["field"]);
    if (field.empty()) throw fail("no `field` given; name the field whose description to use");
    fs::path target;
    if (auto f = scalar(d["file"]); !f.empty()) {
      target = tree_.repo_root / f;
    } else if (auto t = scalar(d["table"]); !t.empty()) {
      auto parts = split(t, '.');
      if (parts.size() != 3) throw fail("`table` must be project.dataset.table, got '" + t + "'");
      target = tree_.sql_dir / parts[0] / parts[1] / parts[2] / "schema.yaml";
    } else {
      throw fail("neither `file` nor `table` is given");
    }
    const std::vector<SchemaField>* fields = nullptr;
    try {
      fields = &included(target, depth);
    } catch (const UserError& e) {
      throw fail("cannot read " + target.string() + " (" + e.what() + ")");
    }
    const SchemaField* found = nullptr;
    for (const auto& part : split(field, '.')) {
      auto it = std::find_if(fields->begin(), fields->end(), [&](const SchemaField& f) {
        return syntax::to_lower(f.name) == syntax::to_lower(part);
      });
      if (it == fields->end()) {
        throw fail(target.string() + " has no field '" + field +
                   "'; fix the field name or the file");
      }
      found = &*it;
      fields = &found->fields;
    }
    std::string text = found->description.value_or("");
    if (auto p = scalar(d["prepend"]); !p.empty()) text = p + (text.empty() ? "" : " ") + text;
    if (auto a = scalar(d["append"]); !a.empty()) text += (text.empty() ? "" : " ") + a;
    return text;
  }

  const std::vector<SchemaField>& included(const fs::path& target, int depth) {
    std::string key = target.lexically_normal().string();
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    if (!fs::exists(target)) throw UserError(key, 0, 0, "file not found");
    YAML::Node root = load_yaml(target);
    auto fields = read_fields(root["fields"], key, depth + 1);
    return cache_.emplace(key, std::move(fields)).first->second;
  }

  static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, sep)) parts.push_back(part);
    return parts;
  }

  const SqlTree& tree_;
  std::map<std::string, std::vector<SchemaField>> cache_;
};

}  // namespace

std::string UserError::format() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}:{}", line, column > 0 ? column : 1);
  return fmt::format("{}: error: {}", where, what());
}

TableId TableId::parse(std::string_view text) {
  static const std::regex kPattern(R"(^([^.\s]+)\.([^.\s]+)\.([A-Za-z0-9_]+)_v([0-9]+)$)");
  std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, kPattern)) {
    throw UserError("<command line>", 0, 0,
                    "'" + s +
                        "' is not a versioned table name; write PROJECT.DATASET.TABLE_vN, e.g. "
                        "moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6");
  }
  return TableId{m[1], m[2], m[3], std::stoi(m[4])};
}

std::string TableId::table() const { return fmt::format("{}_v{}", base_name, version); }
std::string TableId::qualified() const {
  return fmt::format("{}.{}.{}", project, dataset, table());
}
TableId TableId::with_version(int v) const { return TableId{project, dataset, base_name, v}; }

SqlTree SqlTree::from_sql_dir(const fs::path& sql_dir, const fs::path& repo_root) {
  if (!repo_root.empty()) return SqlTree{sql_dir, repo_root};
  fs::path sql = fs::absolute(sql_dir).lexically_normal();
  if (sql.filename().empty()) sql = sql.parent_path();  // "repo/sql/" -> "repo/sql"
  return SqlTree{sql_dir, sql.parent_path()};
}

fs::path SqlTree::table_dir(const TableId& id) const {
  return sql_dir / id.project / id.dataset / id.table();
}

const SchemaField* Schema::find(std::string_view name) const {
  std::string key = syntax::to_lower(name);
  for (const auto& f : fields) {
    if (syntax::to_lower(f.name) == key) return &f;
  }
  return nullptr;
}

Schema load_schema(const fs::path& file, const SqlTree& tree) {
  YAML::Node root = load_yaml(file);
  Schema schema;
  schema.file = file.string();
  if (!root.IsMap() || !root["fields"]) {
    throw UserError(schema.file, 1, 1, "schema has no `fields:` list; list the table's columns");
  }
  SchemaReader reader(tree);
  schema.fields = reader.read_fields(root["fields"], schema.file, 0);
  return schema;
}

Metadata load_metadata(const fs::path& file) {
  YAML::Node root = load_yaml(file);
  Metadata m;
  m.file = file.string();
  if (!root.IsMap()) return m;
  if (auto n = root["friendly_name"]; n && n.IsScalar()) m.friendly_name = n.Scalar();
  if (auto labels = root["labels"]; labels && labels.IsMap()) {
    m.labels_line = line_of(labels);
    m.shredder_mitigation = syntax::to_lower(scalar(labels["shredder_mitigation"])) == "true";
  }
  if (auto bq = root["bigquery"]; bq && bq.IsMap()) {
    if (auto tp = bq["time_partitioning"]; tp && tp.IsMap()) {
      if (auto f = scalar(tp["field"]); !f.empty()) m.partition_field = f;
      if (auto t = scalar(tp["type"]); !t.empty()) m.partition_type = t;
    }
    if (auto cl = bq["clustering"]; cl && cl.IsMap() && cl["fields"].IsSequence()) {
      for (const auto& f : cl["fields"]) m.clustering_fields.push_back(scalar(f));
    }
  }
  return m;
}

namespace {

// `load(repo_root)`, computed once per repository and shared between threads. Each call site
// passes its own lambda type, so each gets its own cache.
template <typename T, typename Load>
std::shared_ptr<const T> once_per_repository(const fs::path& repo_root, Load load) {
  static std::mutex mutex;
  static std::map<fs::path, std::shared_ptr<const T>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& entry = cache[repo_root];
  if (!entry) entry = std::make_shared<const T>(load(repo_root));
  return entry;
}

// The check macros of a repository: tests/checks/*.jinja, by name.
std::shared_ptr<const std::vector<templating::Source>> check_macros(const fs::path& repo_root) {
  return once_per_repository<std::vector<templating::Source>>(repo_root, [](const fs::path& root) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "tests" / "checks", ec)) {
      if (entry.path().extension() == ".jinja") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<templating::Source> sources;
    for (const auto& f : files) sources.push_back({f.string(), read_text_file(f)});
    return sources;
  });
}

// The `render: skip:` patterns of <repo>/bqetl_project.yaml: files bigquery-etl does not render
// with Jinja (such as a UDF whose SQL contains `{%s}`).
std::shared_ptr<const std::vector<std::string>> render_skip(const fs::path& repo_root) {
  return once_per_repository<std::vector<std::string>>(repo_root, [](const fs::path& root) {
    std::vector<std::string> patterns;
    fs::path config = root / "bqetl_project.yaml";
    std::error_code ec;
    if (!fs::exists(config, ec)) return patterns;
    YAML::Node yaml = load_yaml(config);
    if (yaml.IsMap() && yaml["render"] && yaml["render"]["skip"] &&
        yaml["render"]["skip"].IsSequence()) {
      for (const auto& p : yaml["render"]["skip"]) patterns.push_back(scalar(p));
    }
    return patterns;
  });
}

}  // namespace

SqlFile parse_sql_file(const fs::path& file, const RenderSettings& settings) {
  SqlFile out;
  out.path = file;
  std::string text = read_text_file(file);
  out.bytes = text.size();
  // sql/<project>/<dataset>/<table>/<file>
  fs::path absolute = fs::absolute(file).lexically_normal();
  fs::path table_dir = absolute.parent_path();
  fs::path dataset_dir = table_dir.parent_path();
  fs::path project_dir = dataset_dir.parent_path();
  fs::path sql_dir = project_dir.parent_path();
  fs::path repo_root = sql_dir.parent_path();
  bool in_tree = sql_dir.filename() == "sql";
  bool render = templating::is_template(text);
  if (render && in_tree) {
    std::string relative = absolute.lexically_relative(repo_root).generic_string();
    for (const auto& pattern : *render_skip(repo_root)) {
      if (fnmatch(pattern.c_str(), relative.c_str(), 0) == 0) render = false;
    }
  }
  std::optional<templating::Rendered> rendered;
  if (render) {
    // Templates are checked before rendering; parse_statements checks every other text.
    try {
      syntax::check_text(text);
    } catch (const syntax::SyntaxError& e) {
      throw UserError(file.string(), e.loc.line, e.loc.column, e.what());
    }
    out.templated = true;
    templating::RenderOptions options;
    options.init = settings.init;
    if (in_tree) {
      options.variables["project_id"] = project_dir.filename().string();
      options.variables["dataset_id"] = dataset_dir.filename().string();
      options.variables["table_name"] = table_dir.filename().string();
      if (file.filename() == "checks.sql") options.macro_files = *check_macros(repo_root);
    }
    for (const auto& [name, value] : settings.params) options.variables[name] = value;
    try {
      rendered = templating::render({file.string(), text}, options);
    } catch (const templating::TemplateError& e) {
      throw UserError(e.file, e.pos.line, e.pos.column, e.what());
    }
  }
  const std::string& sql = rendered ? rendered->text : text;
  try {
    out.script = syntax::parse_statements(sql);
  } catch (const syntax::SyntaxError& e) {
    templating::Position pos{e.loc.line, e.loc.column};
    if (rendered) pos = rendered->original(pos);
    throw UserError(file.string(), pos.line, pos.column, e.what());
  }
  out.sql = rendered ? std::move(rendered->text) : std::move(text);
  return out;
}

std::string read_text_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        file.string(), 0, 0,
        fs::exists(file) ? "cannot read the file; check its permissions" : "file not found");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_atomically(const fs::path& file, std::string_view content) {
  fs::path tmp = file;
  tmp += fmt::format(".tmp-{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw UserError(file.string(), 0, 0, "cannot write the file; check the output directory");
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw UserError(file.string(), 0, 0, "cannot replace the file: " + ec.message());
  }
}

}  // namespace shredmit::project
