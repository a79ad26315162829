// The bigquery-etl table layout and its YAML files (see project.h).
#include "project.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>

#include "base/text.h"
#include "templating/templating.h"
#include "yaml.h"

namespace shredmit::project {
namespace fs = std::filesystem;

namespace {

using yaml::Node;

std::string rstrip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string lstrip(std::string s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// bigquery-etl: (description.rstrip() + "\n" + append).lstrip() and
// (prepend + "\n" + description.lstrip()).rstrip().
std::string append_text(const std::string& description, const std::string& append) {
  return lstrip(rstrip(description) + "\n" + append);
}
std::string prepend_text(const std::string& description, const std::string& prepend) {
  return rstrip(prepend + "\n" + lstrip(description));
}

void mark_included(std::vector<SchemaField>& fields, int line, int column) {
  for (auto& f : fields) {
    f.line = line;
    f.column = column;
    f.included = true;
    mark_included(f.fields, line, column);
  }
}

// The fields of included schema files, read once per process.
class IncludeCache {
 public:
  struct Entry {
    std::vector<SchemaField> fields;
    std::optional<base::Error> error;
  };

  static IncludeCache& instance() {
    static IncludeCache cache;
    return cache;
  }

  template <typename Load>
  std::shared_ptr<const Entry> get(const fs::path& file, Load load) {
    std::error_code ec;
    auto mtime = fs::last_write_time(file, ec);
    std::string key = file.string();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.first == mtime) return it->second.second;
    }
    auto entry = std::make_shared<Entry>();
    try {
      entry->fields = load();
    } catch (const base::Error& e) {
      entry->error = e;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[key] = {mtime, entry};
    return entry;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<fs::file_time_type, std::shared_ptr<const Entry>>> entries_;
};

// Reads the fields of one schema file, resolving bigquery-etl's custom tags (see load_schema).
class SchemaReader {
 public:
  SchemaReader(const SqlTree& tree, std::string file, int depth)
      : tree_(tree), file_(std::move(file)), depth_(depth) {}

  // A node that stands for a list of fields; refuses more than kMaxSchemaFields in all.
  std::vector<SchemaField> field_list(const Node& n) {
    if (n.tag != "!include-fields") return expand_field_list(n);  // counts as the list grows
    std::vector<SchemaField> fields = include_fields(n);
    check_field_count(n, count_fields(fields));
    return fields;
  }

 private:
  void check_field_count(const Node& n, size_t count) const {
    if (count > kMaxSchemaFields) {
      throw error(n, fmt::format("this list expands to more than {} fields (BigQuery allows "
                                 "10,000 columns); check the includes for a file included many "
                                 "times",
                                 kMaxSchemaFields));
    }
  }

  static size_t count_fields(const std::vector<SchemaField>& fields) {
    size_t count = fields.size();
    for (const auto& f : fields) count += count_fields(f.fields);
    return count;
  }

  // A sequence of fields (or null), its count checked as it grows.
  std::vector<SchemaField> expand_field_list(const Node& n) {
    if (n.kind == Node::Kind::kNull) return {};
    if (!n.is_sequence()) {
      throw base::Error(file_, n.line, n.column,
                        "`fields` must be a list of fields, each with name, type and description");
    }
    bool flatten = n.tag == "!flatten-lists";
    if (!flatten && !n.tag.empty()) throw unknown_tag(n);
    std::vector<SchemaField> fields;
    size_t count = 0;  // with nested fields, checked as the list grows
    for (const auto& item : n.items) {
      if (item.tag == "!include-fields" || (flatten && item.is_sequence())) {
        auto included = field_list(item);
        count += count_fields(included);
        check_field_count(item, count);
        for (auto& f : included) fields.push_back(std::move(f));
      } else {
        fields.push_back(field(item));
        count += 1 + count_fields(fields.back().fields);
        check_field_count(item, count);
      }
    }
    return fields;
  }

  base::Error error(const Node& at, const std::string& message) const {
    return base::Error(file_, at.line, at.column, message);
  }

  base::Error unknown_tag(const Node& n) const {
    return error(n, "unknown YAML tag " + n.tag +
                        "; bigquery-etl schemas use !include-field-description, !include-field, "
                        "!include-fields and !flatten-lists");
  }

  SchemaField field(const Node& n) {
    if (n.tag == "!include-field") return include_field(n);
    if (!n.tag.empty()) throw unknown_tag(n);
    if (!n.is_mapping()) {
      throw error(n, "a schema field must be a mapping with name, type and description");
    }
    SchemaField f;
    f.line = n.line;
    f.column = n.column;
    const Node* name = n.get("name");
    f.name = name ? name->scalar() : "";
    if (f.name.empty()) throw error(n, "schema field has no `name`; add one");
    if (const Node* t = n.get("type")) f.type = syntax::to_upper(t->scalar());
    const Node* mode = n.get("mode");
    f.mode = mode && !mode->scalar().empty() ? syntax::to_upper(mode->scalar()) : "NULLABLE";
    if (const Node* d = n.get("description")) f.description = description(*d);
    if (f.description && f.description->find_first_not_of(" \t\r\n") == std::string::npos) {
      f.description.reset();
    }
    if (const Node* sub = n.get("fields")) f.fields = field_list(*sub);
    return f;
  }

  std::optional<std::string> description(const Node& d) {
    if (d.tag == "!include-field-description") {
      const SchemaField& source = included_field(d, "!include-field-description");
      std::string text = source.description.value_or("");
      if (const Node* a = d.get("append"); a && a->is_scalar()) text = append_text(text, a->text);
      if (const Node* p = d.get("prepend"); p && p->is_scalar()) {
        text = prepend_text(text, p->text);
      }
      return text;
    }
    if (!d.tag.empty()) throw unknown_tag(d);
    if (!d.is_scalar()) return std::nullopt;
    return d.text;
  }

  SchemaField include_field(const Node& n) {
    SchemaField f = included_field(n, "!include-field");
    mark_included(f.fields, n.line, n.column);
    f.line = n.line;
    f.column = n.column;
    f.included = true;
    auto text = [&](const char* key) -> const std::string* {
      const Node* v = n.get(key);
      return v && v->is_scalar() ? &v->text : nullptr;
    };
    if (auto* v = text("new_name")) f.name = *v;
    if (auto* v = text("new_type")) f.type = syntax::to_upper(*v);
    if (auto* v = text("new_mode")) f.mode = syntax::to_upper(*v);
    if (auto* v = text("new_description")) f.description = *v;
    if (auto* v = text("append_description")) {
      f.description = append_text(f.description.value_or(""), *v);
    }
    if (auto* v = text("prepend_description")) {
      f.description = prepend_text(f.description.value_or(""), *v);
    }
    if (f.description && f.description->find_first_not_of(" \t\r\n") == std::string::npos) {
      f.description.reset();
    }
    if (const Node* v = n.get("new_fields")) f.fields = field_list(*v);
    if (const Node* v = n.get("append_fields")) {
      for (auto& x : field_list(*v)) f.fields.push_back(std::move(x));
    }
    if (const Node* v = n.get("prepend_fields")) {
      auto front = field_list(*v);
      for (auto& x : f.fields) front.push_back(std::move(x));
      f.fields = std::move(front);
    }
    return f;
  }

  std::vector<SchemaField> include_fields(const Node& n) {
    const char* tag = "!include-fields";
    std::vector<SchemaField> fields;
    const std::string* path = nullptr;
    auto source = included_schema(n, tag, &path);
    if (const Node* parent = n.get("parent_field"); parent && !parent->scalar().empty()) {
      fields = find_field(n, tag, source->fields, parent->scalar(), *path).fields;
    } else {
      fields = source->fields;
    }
    auto names = [](const Node* v) {
      std::vector<std::string> out;
      if (v && v->is_scalar()) out.push_back(v->text);
      if (v && v->is_sequence()) {
        for (const auto& x : v->items) out.push_back(x.scalar());
      }
      return out;
    };
    if (const Node* v = n.get("field_names")) {
      std::vector<SchemaField> selected;
      for (const auto& name : names(v)) {
        auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const SchemaField& f) { return f.name == name; });
        if (it == fields.end()) {
          throw error(n, fmt::format("cannot resolve {}: {} has no field '{}' to select; fix "
                                     "field_names or the included file",
                                     tag, *path, name));
        }
        selected.push_back(*it);
      }
      fields = std::move(selected);
    }
    if (const Node* v = n.get("exclude_field_names")) {
      auto excluded = names(v);
      std::erase_if(fields, [&](const SchemaField& f) {
        return std::find(excluded.begin(), excluded.end(), f.name) != excluded.end();
      });
    }
    mark_included(fields, n.line, n.column);
    if (const Node* v = n.get("field_replacements")) {
      for (auto& replacement : field_list(*v)) {
        for (auto& f : fields) {
          if (f.name == replacement.name) f = replacement;
        }
      }
    }
    return fields;
  }

  // The schema that an include tag at `n` names with `file` or `table`; *path_out is set to the
  // target's path as written in messages.
  std::shared_ptr<const IncludeCache::Entry> included_schema(const Node& n, const char* tag,
                                                             const std::string** path_out) {
    if (!n.is_mapping()) {
      throw error(n,
                  fmt::format("cannot resolve {}: it needs a mapping with `file` or `table`", tag));
    }
    if (depth_ > 8) {
      throw error(n, fmt::format("cannot resolve {}: includes nest more than 8 levels; check "
                                 "for a cycle",
                                 tag));
    }
    fs::path target;
    if (const Node* f = n.get("file"); f && !f->scalar().empty()) {
      std::string relative = f->scalar();
      while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
      target = tree_.repo_root / relative;
    } else if (const Node* t = n.get("table"); t && !t->scalar().empty()) {
      auto parts = base::split(t->scalar(), ".");
      if (parts.size() != 3) {
        throw error(n, fmt::format("cannot resolve {}: `table` must be project.dataset.table, "
                                   "got '{}'",
                                   tag, t->scalar()));
      }
      target = tree_.sql_dir / parts[0] / parts[1] / parts[2] / "schema.yaml";
    } else {
      throw error(n, fmt::format("cannot resolve {}: neither `file` nor `table` is given", tag));
    }
    target = target.lexically_normal();
    // Messages name the target relative to the working directory, as the user's paths are.
    std::string shown = target.lexically_proximate(fs::current_path()).string();
    if (auto resolved = outside_repository(target)) {
      throw error(
          n, fmt::format("cannot resolve {}: {}{} is outside the repository {}; includes "
                         "must name a file inside it",
                         tag, shown, *resolved == target ? "" : " (" + resolved->string() + ")",
                         tree_.repo_root.string()));
    }
    int depth = depth_ + 1;
    const SqlTree& tree = tree_;
    auto entry = IncludeCache::instance().get(target, [&]() {
      if (!fs::exists(target)) throw base::Error(shown, 0, 0, "file not found");
      Node root = yaml::parse(shown, base::read_text_file(target));
      const Node* fields = root.get("fields");
      if (!fields) throw base::Error(shown, 1, 1, "no `fields:` list");
      return SchemaReader(tree, shown, depth).field_list(*fields);
    });
    if (entry->error) {
      const base::Error& e = *entry->error;
      std::string where = e.file;
      if (e.line() > 0) where += fmt::format(":{}:{}", e.line(), std::max(e.column(), 1));
      throw error(n, fmt::format("cannot resolve {}: {}: {}", tag, where, e.what()));
    }
    scratch_paths_.push_back(shown);
    *path_out = &scratch_paths_.back();
    return entry;
  }

  // `target` with `..` and symbolic links resolved when that lies outside the repository root
  // (or cannot be resolved), nullopt when it is inside.
  std::optional<fs::path> outside_repository(const fs::path& target) const {
    std::error_code ec;
    fs::path root = fs::weakly_canonical(fs::absolute(tree_.repo_root, ec), ec);
    if (ec) return target;
    fs::path resolved = fs::weakly_canonical(fs::absolute(target, ec), ec);
    if (ec) return target;
    auto r = root.begin();
    auto t = resolved.begin();
    for (; r != root.end() && !r->empty(); ++r, ++t) {
      if (t == resolved.end() || *r != *t) return resolved;
    }
    return std::nullopt;
  }

  const SchemaField& find_field(const Node& n, const char* tag, const std::vector<SchemaField>& top,
                                const std::string& dotted, const std::string& path) {
    const std::vector<SchemaField>* fields = &top;
    const SchemaField* found = nullptr;
    for (const auto& part : base::split(dotted, ".")) {
      auto it = std::find_if(fields->begin(), fields->end(),
                             [&](const SchemaField& f) { return f.name == part; });
      if (it == fields->end()) {
        throw error(n, fmt::format("cannot resolve {}: {} has no field '{}'; fix the field name "
                                   "or the file",
                                   tag, path, dotted));
      }
      found = &*it;
      fields = &found->fields;
    }
    if (found == nullptr) throw error(n, fmt::format("cannot resolve {}: no `field` given", tag));
    return *found;
  }

  // The field named by `field` in the schema an include tag names.
  const SchemaField& included_field(const Node& n, const char* tag) {
    const std::string* path = nullptr;
    auto source = included_schema(n, tag, &path);
    const Node* field = n.get("field");
    if (!field || field->scalar().empty()) {
      throw error(n,
                  fmt::format("cannot resolve {}: no `field` given; name the field to use", tag));
    }
    keep_.push_back(source);
    return find_field(n, tag, source->fields, field->scalar(), *path);
  }

  const SqlTree& tree_;
  std::string file_;
  int depth_;
  std::deque<std::string> scratch_paths_;
  std::vector<std::shared_ptr<const IncludeCache::Entry>> keep_;
};

YamlValue value_of(const yaml::Entry* e) {
  YamlValue v;
  if (!e) return v;
  v.present = true;
  v.is_scalar = e->second.is_scalar();
  v.text = e->second.scalar();
  v.key = {e->first.line, e->first.column};
  v.value = {e->second.line, e->second.column};
  v.yaml_true = e->second.is_true();
  return v;
}

YamlValue item_of(const Node& n) {
  YamlValue v;
  v.present = true;
  v.is_scalar = n.is_scalar();
  v.text = n.scalar();
  v.key = v.value = {n.line, n.column};
  v.yaml_true = n.is_true();
  return v;
}

// The N of a table's _vN suffix: decimal digits up to kMaxTableVersion, or nullopt.
std::optional<int> version_number(std::string_view digits) {
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int version = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (error != std::errc() || end != digits.data() + digits.size() || version > kMaxTableVersion) {
    return std::nullopt;
  }
  return version;
}

}  // namespace

TableId TableId::parse(std::string_view text) {
  static const std::regex kPattern(R"(^([^.\s]+)\.([^.\s]+)\.([A-Za-z0-9_]+)_v([0-9]+)$)");
  std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, kPattern)) {
    throw base::Error::usage(
        "'" + s +
        "' is not a versioned table name; write PROJECT.DATASET.TABLE_vN (or DATASET.TABLE_vN, or "
        "the table's folder), e.g. moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6");
  }
  auto version = version_number(m[4].str());
  if (!version) {
    throw base::Error::usage(
        fmt::format("'{}': table version {} is too large; versions go up to {}", s,
                    std::string(m[4]), kMaxTableVersion));
  }
  return TableId{m[1], m[2], m[3], *version};
}

std::optional<std::pair<std::string, int>> TableId::split_version(std::string_view table_name) {
  size_t v = table_name.rfind("_v");
  if (v == std::string_view::npos || v == 0) return std::nullopt;
  auto version = version_number(table_name.substr(v + 2));
  if (!version) return std::nullopt;
  return std::make_pair(std::string(table_name.substr(0, v)), *version);
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

namespace {

// The names of the folders in `dir` (sorted), empty when it cannot be listed.
std::vector<std::string> folder_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void require_table_dir(const SqlTree& tree, const TableId& id) {
  fs::path dir = tree.table_dir(id);
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  std::string hint;
  if (!fs::is_directory(tree.sql_dir / id.project, ec)) {
    hint = base::did_you_mean(id.project, folder_names(tree.sql_dir));
  } else if (!fs::is_directory(tree.sql_dir / id.project / id.dataset, ec)) {
    hint = base::did_you_mean(id.dataset, folder_names(tree.sql_dir / id.project));
  } else {
    hint = base::did_you_mean(id.table(), folder_names(tree.sql_dir / id.project / id.dataset));
  }
  throw base::Error(dir.string(), 0, 0,
                    "table folder not found" + hint + "; check the table name and --sql-dir");
}

TableArgument resolve_table_argument(std::string_view argument, const std::string& sql_dir,
                                     bool sql_dir_given, const fs::path& repo_root) {
  std::string text(argument);
  std::string sql = sql_dir.empty() ? "sql" : sql_dir;
  std::error_code ec;
  bool is_path = text.find('/') != std::string::npos || fs::exists(text, ec);
  if (is_path) {
    fs::path p = fs::path(text).lexically_normal();
    if (fs::is_regular_file(p, ec)) p = p.parent_path();
    if (p.filename().empty()) p = p.parent_path();  // "table_v2/"
    fs::path dataset = p.parent_path(), project = dataset.parent_path();
    fs::path tree_dir = project.parent_path();
    if (tree_dir.empty()) tree_dir = ".";
    if (project.filename().empty() || dataset.filename().empty()) {
      throw base::Error::usage("'" + text +
                               "' is not a table folder; give sql/PROJECT/DATASET/TABLE_vN or a "
                               "file in it, or PROJECT.DATASET.TABLE_vN");
    }
    if (sql_dir_given &&
        !(fs::exists(tree_dir, ec) && fs::exists(sql, ec) && fs::equivalent(tree_dir, sql, ec))) {
      throw base::Error::usage("'" + text + "' is not inside --sql-dir " + sql +
                               "; give a table of that tree, or leave --sql-dir out");
    }
    TableId id = TableId::parse(project.filename().string() + "." + dataset.filename().string() +
                                "." + p.filename().string());
    SqlTree tree = SqlTree::from_sql_dir(sql_dir_given ? fs::path(sql) : tree_dir, repo_root);
    require_table_dir(tree, id);
    return {id, tree};
  }
  SqlTree tree = SqlTree::from_sql_dir(sql, repo_root);
  size_t dots = static_cast<size_t>(std::count(text.begin(), text.end(), '.'));
  if (dots == 1) {
    // DATASET.TABLE_vN: the projects that have it.
    std::string dataset = text.substr(0, text.find('.'));
    std::string table = text.substr(text.find('.') + 1);
    std::vector<std::string> projects;
    for (const auto& project : folder_names(tree.sql_dir))
      if (fs::is_directory(tree.sql_dir / project / dataset / table, ec))
        projects.push_back(project);
    std::string project = "moz-fx-data-shared-prod";
    if (projects.size() == 1) {
      project = projects[0];
    } else if (projects.size() > 1 &&
               std::find(projects.begin(), projects.end(), project) == projects.end()) {
      throw base::Error::usage(
          fmt::format("'{}' is a table of several projects ({}); write PROJECT.{}", text,
                      fmt::join(projects, ", "), text));
    }
    text = project + "." + text;
  }
  TableId id = TableId::parse(text);
  require_table_dir(tree, id);
  return {id, tree};
}

const SchemaField* Schema::find(std::string_view name) const {
  std::string key = syntax::to_lower(name);
  for (const auto& f : fields) {
    if (syntax::to_lower(f.name) == key) return &f;
  }
  return nullptr;
}

Schema load_schema(const fs::path& file, const SqlTree& tree) {
  Node root = yaml::load(file);
  Schema schema;
  schema.file = file.string();
  const Node* fields = root.get("fields");
  if (!fields) {
    throw base::Error(schema.file, 1, 1, "schema has no `fields:` list; list the table's columns");
  }
  schema.fields = SchemaReader(tree, schema.file, 0).field_list(*fields);
  return schema;
}

std::vector<std::string> bind_scheduling_parameters(const Metadata& md, const std::string& date) {
  std::vector<std::string> out;
  for (const auto& s : md.parameters) {
    auto first = s.find(':'), second = s.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      throw base::Error(md.file, md.scheduling_at.line, md.scheduling_at.column,
                        "scheduling parameter '" + s + "' is not name:TYPE:value");
    }
    std::string type = s.substr(first + 1, second - first - 1);
    std::string value = s.substr(second + 1);
    if (type == "DATE" && value != "{{ds}}") {
      throw base::Error(
          md.file, md.scheduling_at.line, md.scheduling_at.column,
          "unable to parse parameter " + s + ": a DATE parameter of a backfill must be {{ds}}");
    }
    std::string bound = s;
    for (size_t at = bound.find("{{ds}}"); at != std::string::npos; at = bound.find("{{ds}}")) {
      bound.replace(at, 6, date);
    }
    out.push_back(std::move(bound));
  }
  return out;
}

Metadata load_metadata(const fs::path& file) {
  Node root = yaml::load(file);
  Metadata m;
  m.file = file.string();
  if (!root.is_mapping()) return m;
  auto at = [](const Node& n) { return base::Location{n.line, n.column}; };
  if (const Node* n = root.get("friendly_name"); n && n->is_scalar()) m.friendly_name = n->text;
  if (const auto* labels = root.entry("labels"); labels && labels->second.is_mapping()) {
    m.labels_line = labels->first.line;
    m.label = at(labels->first);
    for (const auto& entry : labels->second.pairs)
      if (entry.first.is_scalar()) m.label_keys.emplace_back(entry.first.text, at(entry.first));
    if (const auto* e = labels->second.entry("shredder_mitigation")) {
      m.label = at(e->first);
      m.shredder_mitigation = !e->second.is_false();
    }
    if (const Node* p = labels->second.get("public_bigquery")) m.public_bigquery = !p->is_false();
  }
  if (const auto* sch = root.entry("scheduling"); sch && sch->second.is_mapping()) {
    m.scheduling_at = at(sch->first);
    const Node& s = sch->second;
    if (const auto* e = s.entry("date_partition_parameter")) {
      m.date_partition_parameter_at = at(e->first);
      if (e->second.kind == Node::Kind::kNull || (e->second.plain && e->second.text == "null")) {
        m.date_partition_parameter.reset();
      } else {
        m.date_partition_parameter = e->second.scalar();
      }
    }
    if (const auto* e = s.entry("date_partition_offset")) {
      m.date_partition_offset_at = at(e->first);
      try {
        m.date_partition_offset = std::stoi(e->second.scalar());
      } catch (const std::exception&) {
        throw base::Error(m.file, e->second.line, e->second.column,
                          "scheduling.date_partition_offset must be a whole number of days");
      }
    }
    if (const auto* e = s.entry("depends_on_past")) {
      m.depends_on_past_at = at(e->first);
      m.depends_on_past = e->second.is_true();
    }
    if (const Node* p = s.get("parameters"); p && p->is_sequence()) {
      for (const auto& item : p->items) m.parameters.push_back(item.scalar());
    }
  }
  if (const Node* bq = root.get("bigquery"); bq && bq->is_mapping()) {
    if (const auto* tpe = bq->entry("time_partitioning"); tpe && tpe->second.is_mapping()) {
      const Node* tp = &tpe->second;
      m.time_partitioning = true;
      m.time_partitioning_at = at(tpe->first);
      if (const Node* f = tp->get("field"); f && !f->scalar().empty()) {
        m.partition_field = f->text;
        m.partition_field_at = at(*f);
      }
      if (const Node* t = tp->get("type"); t && !t->scalar().empty()) {
        m.partition_type = t->text;
        m.partition_type_at = at(*t);
      }
      if (const Node* r = tp->get("require_partition_filter")) {
        m.require_partition_filter = r->is_true();
      }
      if (const Node* x = tp->get("expiration_days"); x && x->is_scalar() && x->text != "null") {
        try {
          double days = std::stod(x->text);
          if (!(days >= -1e9 && days <= 1e9)) throw std::out_of_range(x->text);
          m.expiration_days = static_cast<int>(days);
        } catch (const std::exception&) {
          throw base::Error(m.file, x->line, x->column,
                            "bigquery.time_partitioning.expiration_days must be a number of days");
        }
      }
    }
    if (const Node* cl = bq->get("clustering"); cl && cl->is_mapping()) {
      if (const Node* list = cl->get("fields"); list && list->is_sequence()) {
        for (const auto& f : list->items) m.clustering_fields.push_back(f.scalar());
      }
    }
  }
  return m;
}

const YamlValue& BackfillEntry::field(const std::string& key) const {
  static const YamlValue kAbsent;
  auto it = fields.find(key);
  return it == fields.end() ? kAbsent : it->second;
}

bool BackfillEntry::flag(const std::string& key) const { return field(key).yaml_true; }

Backfill load_backfill(const fs::path& file) {
  Node root = yaml::load(file);
  Backfill b;
  b.file = file.string();
  if (root.kind == Node::Kind::kNull) return b;
  if (!root.is_mapping()) {
    throw base::Error(b.file, root.line, root.column,
                      "backfill.yaml must map entry dates to entries (`2024-05-01:` followed by "
                      "start_date, end_date, reason, watchers and status)");
  }
  for (const auto& pair : root.pairs) {
    BackfillEntry e;
    e.entry_date = item_of(pair.first);
    const Node& body = pair.second;
    e.entry_is_mapping = body.is_mapping();
    e.start_date = value_of(body.entry("start_date"));
    e.end_date = value_of(body.entry("end_date"));
    e.excluded_dates = value_of(body.entry("excluded_dates"));
    if (const Node* x = body.get("excluded_dates"); x && x->is_sequence()) {
      for (const auto& item : x->items) e.excluded_date_items.push_back(item_of(item));
    }
    e.reason = value_of(body.entry("reason"));
    e.watchers = value_of(body.entry("watchers"));
    if (const Node* w = body.get("watchers"); w && w->is_sequence()) {
      for (const auto& item : w->items) e.watcher_items.push_back(item_of(item));
    }
    e.status = value_of(body.entry("status"));
    e.shredder_mitigation = value_of(body.entry("shredder_mitigation"));
    if (const Node* m = body.get("shredder_mitigation")) e.mitigation = m->is_true();
    for (const auto& pair : body.pairs) {
      e.fields[pair.first.scalar()] = value_of(&pair);
      if (pair.second.is_sequence()) {
        auto& items = e.list_fields[pair.first.scalar()];
        for (const auto& item : pair.second.items) items.push_back(item_of(item));
      }
    }
    b.entries.push_back(std::move(e));
  }
  return b;
}

std::vector<std::string> default_id_level_columns() {
  return {"client_id", "device_id", "profile_id", "profile_group_id"};
}

std::vector<std::string> load_id_level_columns(const fs::path& file) {
  Node root = yaml::load(file);
  const Node* list = root.get("id_level_columns");
  if (!list || !list->is_sequence()) {
    throw base::Error(file.string(), root.line > 0 ? root.line : 1, 1,
                      "no `id_level_columns:` list; write `id_level_columns: [client_id, ...]`");
  }
  std::vector<std::string> names;
  for (const auto& item : list->items) {
    if (!item.is_scalar() || item.text.empty()) {
      throw base::Error(file.string(), item.line, item.column,
                        "each id-level column must be a column name");
    }
    names.push_back(item.text);
  }
  return names;
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
    for (const auto& f : files) sources.push_back({f.string(), base::read_text_file(f)});
    return sources;
  });
}

// The `<section>: skip:` patterns of <repo>/bqetl_project.yaml (none when there is no such
// file or list).
std::vector<std::string> skip_patterns(const fs::path& repo_root, std::string_view section) {
  std::vector<std::string> patterns;
  fs::path config = repo_root / "bqetl_project.yaml";
  std::error_code ec;
  if (!fs::exists(config, ec)) return patterns;
  Node yaml = yaml::load(config);
  if (const Node* node = yaml.get(section)) {
    if (const Node* skip = node->get("skip"); skip && skip->is_sequence()) {
      for (const auto& p : skip->items) patterns.push_back(p.scalar());
    }
  }
  return patterns;
}

// The `render: skip:` patterns: files bigquery-etl does not render with Jinja (such as a UDF
// whose SQL contains `{%s}`).
std::shared_ptr<const std::vector<std::string>> render_skip(const fs::path& repo_root) {
  return once_per_repository<std::vector<std::string>>(
      repo_root, [](const fs::path& root) { return skip_patterns(root, "render"); });
}

}  // namespace

SqlFile parse_sql_file(const fs::path& file, const RenderSettings& settings) {
  SqlFile out;
  out.path = file;
  std::string text = base::read_text_file(file);
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
      if (base::glob_match(pattern, relative)) render = false;
    }
  }
  std::optional<templating::Rendered> rendered;
  if (render) {
    // Templates are checked before rendering; parse_statements checks every other text.
    try {
      syntax::check_text(text);
    } catch (const syntax::SyntaxError& e) {
      throw base::Error(file.string(), e.loc.line, e.loc.column, e.what());
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
      if (e.needs_network) throw OfflineError(e.file, e.pos.line, e.pos.column, e.what());
      throw base::Error(e.file, e.pos.line, e.pos.column, e.what());
    }
  }
  const std::string& sql = rendered ? rendered->text : text;
  try {
    out.script = syntax::parse_statements(sql);
  } catch (const syntax::SyntaxError& e) {
    templating::Position pos{e.loc.line, e.loc.column};
    if (rendered) pos = rendered->original(pos);
    throw base::Error(file.string(), pos.line, pos.column, e.what());
  }
  out.sql = rendered ? std::move(rendered->text) : std::move(text);
  return out;
}

TableQuery read_table_query(const fs::path& table_dir, const RenderSettings& settings) {
  TableQuery t;
  fs::path path = table_dir / "query.sql";
  t.file = path.string();
  std::error_code ec;
  // A path that cannot be examined (permission denied) is read, so that the error says why.
  if (!fs::exists(path, ec) && !ec) throw base::Error(t.file, 0, 0, "file not found");
  t.sql = std::make_shared<SqlFile>(parse_sql_file(path, settings));
  const auto& statements = t.sql->script.statements;
  if (statements.empty()) {
    throw base::Error(t.file, 0, 0, "the file has no query; write the table's SELECT");
  }
  for (size_t i = 0; i + 1 < statements.size(); ++i) {
    const syntax::Statement& s = *statements[i];
    if (s.kind != syntax::StatementKind::kCreateFunction ||
        !s.as<syntax::CreateFunction>().temporary) {
      throw base::Error(t.file, s.loc.line, s.loc.column,
                        "only CREATE TEMP FUNCTION statements may come before the query in "
                        "query.sql; move other statements to a script.sql");
    }
    t.functions.push_back(&s.as<syntax::CreateFunction>());
  }
  const syntax::Statement& last = *statements.back();
  if (last.kind != syntax::StatementKind::kQuery) {
    throw base::Error(t.file, last.loc.line, last.loc.column,
                      "the last statement of query.sql must be the table's query (SELECT or "
                      "WITH); move scripts to a script.sql");
  }
  t.query = last.as<syntax::QueryStatement>().query.get();
  return t;
}

FormatSkipList::FormatSkipList(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec).lexically_normal();
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "bqetl_project.yaml", ec)) {
      root = dir;
      patterns = skip_patterns(dir, "format");
      return;
    }
    if (dir == dir.root_path()) break;
  }
}

bool FormatSkipList::skips(const fs::path& file) const {
  if (root.empty()) return false;
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec).lexically_normal();
  std::string relative = absolute.lexically_relative(root).generic_string();
  if (relative.empty() || relative.starts_with("..")) return false;
  for (const auto& pattern : patterns)
    if (base::glob_match(pattern, relative)) return true;
  return false;
}

}  // namespace shredmit::project
