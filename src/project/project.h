// shredmit project: the bigquery-etl `sql/<project>/<dataset>/<table>_v<N>/` layout and the
// YAML files of a table folder (schema.yaml, metadata.yaml), read without any BigQuery call.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/files.h"
#include "base/text.h"
#include "syntax/syntax.h"

namespace shredmit::project {

// A file that is valid but cannot be read without the network: a template calling bigquery-etl's
// metric-hub (metrics.calculate). `shredmit lint` skips such files rather than failing them.
class OfflineError : public base::Error {
 public:
  using base::Error::Error;
};

// A versioned table name:
// "moz-fx-data-shared-prod.firefox_desktop_derived.active_users_aggregates_v4" is project
// "moz-fx-data-shared-prod", dataset "firefox_desktop_derived", base name
// "active_users_aggregates", version 4.
// The largest table version shredmit accepts; bigquery-etl's tree stops at _v20.
inline constexpr int kMaxTableVersion = 1'000'000;

struct TableId {
  std::string project;
  std::string dataset;
  std::string base_name;
  int version = 0;

  // Parses PROJECT.DATASET.TABLE_vN. Throws base::Error (kind kUsage) when the text has
  // not three dot-separated parts, the table name does not end in _v<N>, or N is past
  // kMaxTableVersion.
  static TableId parse(std::string_view text);
  // Splits a table folder name "NAME_vN" into NAME and N; nullopt when it has no _vN suffix or
  // N is past kMaxTableVersion (such a folder is not a version bigquery-etl would create).
  static std::optional<std::pair<std::string, int>> split_version(std::string_view table_name);
  std::string table() const;      // "active_users_aggregates_v4"
  std::string qualified() const;  // "project.dataset.table_v4"
  // The same table at another version.
  TableId with_version(int v) const;
};

// A bigquery-etl checkout: the `sql/` directory and the repository root that schema includes
// are relative to (by default the parent of the sql directory).
struct SqlTree {
  std::filesystem::path sql_dir;
  std::filesystem::path repo_root;

  // The tree of `sql_dir`. repo_root is `repo_root` when given, else the parent of the absolute
  // sql_dir (a trailing separator on sql_dir is ignored: "repo/sql/" gives "repo").
  static SqlTree from_sql_dir(const std::filesystem::path& sql_dir,
                              const std::filesystem::path& repo_root = {});

  // sql_dir/project/dataset/table_vN
  std::filesystem::path table_dir(const TableId& id) const;
};

// What a command's TABLE argument names: the table and the tree it is in.
struct TableArgument {
  TableId id;
  SqlTree tree;
};

// The table a command-line argument names, in the forms bigquery-etl's commands accept:
// - PROJECT.DATASET.TABLE_vN;
// - DATASET.TABLE_vN: in the one project of `sql_dir` that has that table folder; when several
//   do, moz-fx-data-shared-prod (bqetl's default project) if it is among them, else an error
//   listing them;
// - a path to the table folder or to a file in it (`sql/<project>/<dataset>/<table>_vN/query.sql`):
//   the sql folder is the one three levels above the table folder, and must be `sql_dir` when
//   `sql_dir_given`.
// `sql_dir` is "sql" when empty; `repo_root` as for SqlTree::from_sql_dir.
// Throws base::Error: kUsage for text that is none of these (or a path outside `sql_dir`), and
// kInput naming the folder when the table folder does not exist, with the nearest table of the
// dataset (or dataset of the project, or project) by edit distance as "did you mean".
TableArgument resolve_table_argument(std::string_view argument, const std::string& sql_dir,
                                     bool sql_dir_given, const std::filesystem::path& repo_root);

// Throws base::Error (kInput) naming tree.table_dir(id) when that folder does not exist, with
// the nearest existing name (by edit distance) at the first level that is missing: project,
// dataset or table ("did you mean 'active_users_aggregates_v4'?").
void require_table_dir(const SqlTree& tree, const TableId& id);

// One field of schema.yaml, nested fields included.
struct SchemaField {
  std::string name;
  std::string type;  // as written, upper-cased: STRING, INTEGER, INT64, FLOAT, RECORD, ...
  std::string mode;  // NULLABLE (default), REQUIRED or REPEATED
  std::optional<std::string> description;  // after resolving includes; empty text counts as none
  std::vector<SchemaField> fields;
  int line = 0;    // where the field's entry starts in the schema file; for a field that arrived
  int column = 0;  // through !include-field(s), where that tag is
  bool included = false;  // copied from another schema by !include-field or !include-fields
};

struct Schema {
  std::string file;
  std::vector<SchemaField> fields;
  // The top-level field with this name (case-insensitive, as BigQuery column names), or null.
  const SchemaField* find(std::string_view name) const;
};

// Reads a bigquery-etl schema.yaml, resolving its custom tags as bigquery-etl's SchemaLoader
// does (bigquery_etl/schema/__init__.py):
// - `!include-field-description {file|table, field, append, prepend}`: the description of
//   another schema's field (`field` is a dotted path for nested fields); append and prepend join
//   with a newline.
// - `!include-field {file|table, field, new_name, new_type, new_mode, new_description,
//   append_description, prepend_description, new_fields, append_fields, prepend_fields}`: a copy
//   of another schema's field, modified.
// - `!include-fields {file|table, parent_field, field_names, exclude_field_names,
//   field_replacements}`: a list of another schema's fields (top-level or under parent_field),
//   selected, ordered by field_names, and replaced by name.
// - `!flatten-lists`: a sequence whose list items are spliced in.
// `file` is relative to tree.repo_root (a leading "/" is ignored); `table` is project.dataset.
// table, read from tree.sql_dir. Either must stay inside tree.repo_root once `..` and symbolic
// links are resolved: in pull-request CI a schema is untrusted input, and an include of any
// other path could copy a file of the runner into lint output. Included files are read once per
// process (keyed by path and modification time) and shared between threads.
// Throws base::Error for unreadable or malformed YAML, a field without a name, an include that
// cannot be resolved or leaves the repository, and a schema of more than kMaxSchemaFields
// fields; the include errors name the schema file, the tag's line:column and the target.
Schema load_schema(const std::filesystem::path& file, const SqlTree& tree);

// Fields (nested ones included) one schema may have after its includes are expanded. BigQuery
// allows 10,000 columns in a table; this is ten times that, and it stops include chains that fan
// out (a file including another several times, 8 levels deep) before they exhaust memory.
inline constexpr size_t kMaxSchemaFields = 100'000;

struct Metadata {
  std::string file;
  std::optional<std::string> friendly_name;
  // labels.shredder_mitigation is present, read as bigquery-etl reads labels (Metadata.from_file
  // keeps every label but a YAML false, and its shredder mitigation code asks only whether the
  // key is there): `true`, `yes`, `1`, `"true"` and even the string `"false"` set it; `false`,
  // `no` and `off` do not. generate, lint and backfill validate all read it from here.
  bool shredder_mitigation = false;
  bool public_bigquery = false;  // labels.public_bigquery is set (not false)
  int labels_line = 0;           // where `labels:` is, 0 when absent
  // Where the `shredder_mitigation` key under labels is; labels' position when it is absent.
  base::Location label;
  // Every key under labels, as written, with its position (for lint's spelling check: a
  // `shredder-mitigation: true` label is another label, and the table is not set up).
  std::vector<std::pair<std::string, base::Location>> label_keys;
  bool time_partitioning = false;              // bigquery.time_partitioning is a mapping
  base::Location time_partitioning_at;         // its key, 0 when absent
  std::optional<std::string> partition_field;  // bigquery.time_partitioning.field
  base::Location partition_field_at;           // the field's value, 0 when absent
  std::optional<std::string> partition_type;   // bigquery.time_partitioning.type
  base::Location partition_type_at;            // the type's value, 0 when absent
  bool require_partition_filter = false;  // bigquery.time_partitioning.require_partition_filter
  std::optional<int> expiration_days;     // bigquery.time_partitioning.expiration_days (not null)
  std::vector<std::string> clustering_fields;  // bigquery.clustering.fields

  // scheduling: as bigquery-etl's backfill code reads it.
  // date_partition_parameter: "submission_date" when the key is absent, nullopt when it is an
  // explicit null (a whole-table writer).
  std::optional<std::string> date_partition_parameter = "submission_date";
  base::Location date_partition_parameter_at;  // the key, 0 when absent
  int date_partition_offset = 0;               // days added to the parameter and the partition id
  base::Location date_partition_offset_at;
  bool depends_on_past = false;
  base::Location depends_on_past_at;
  // scheduling.parameters, each "name:TYPE:value" with {{ds}} for the date.
  std::vector<std::string> parameters;
  base::Location scheduling_at;  // `scheduling:`, 0 when absent
};

// Reads a bigquery-etl metadata.yaml. Throws base::Error when the file is unreadable or not YAML.
Metadata load_metadata(const std::filesystem::path& file);

// scheduling.parameters of `metadata` bound for the run of `date` (YYYY-MM-DD) as bigquery-etl's
// backfill binds them: each "name:TYPE:value" with every `{{ds}}` replaced by the date, in
// order. Throws base::Error located at `scheduling:` for a parameter that is not name:TYPE:value,
// and for a DATE parameter whose value is not `{{ds}}` (bigquery-etl's backfill refuses it,
// "unable to parse parameter").
std::vector<std::string> bind_scheduling_parameters(const Metadata& metadata,
                                                    const std::string& date);

// A scalar of a YAML file with the position of its value (and of its key, for a mapping value).
struct YamlValue {
  bool present = false;  // the key was written (its value may still be empty)
  std::string text;      // the scalar as written; empty for null or a collection
  bool is_scalar = false;
  base::Location key;      // the key's position (the value's for a list item)
  base::Location value;    // the value's position
  bool yaml_true = false;  // a YAML 1.1 true as PyYAML reads it
};

// One entry of backfill.yaml, as written. backfill::validate checks it against bigquery-etl's
// rules.
struct BackfillEntry {
  YamlValue entry_date;  // the entry's key
  YamlValue start_date;
  YamlValue end_date;
  YamlValue excluded_dates;  // the key; items below
  std::vector<YamlValue> excluded_date_items;
  YamlValue reason;
  YamlValue watchers;  // the key; items below
  std::vector<YamlValue> watcher_items;
  YamlValue status;
  YamlValue shredder_mitigation;
  bool mitigation = false;  // shredder_mitigation is a YAML true
  bool entry_is_mapping = true;
  // Every other key of the entry by name (custom_query_path, billing_project, the override_*
  // flags, ...), and the items of those whose value is a list (query_script_args).
  std::map<std::string, YamlValue> fields;
  std::map<std::string, std::vector<YamlValue>> list_fields;
  // The field `key` (absent: present == false).
  const YamlValue& field(const std::string& key) const;
  // `key` is a YAML true (true/True/TRUE/yes/on, as PyYAML reads it).
  bool flag(const std::string& key) const;
};

struct Backfill {
  std::string file;
  std::vector<BackfillEntry> entries;  // in file order
};

// Reads a bigquery-etl backfill.yaml: a mapping from entry date to entry. Throws base::Error for
// unreadable or malformed YAML and a file that is not a mapping.
Backfill load_backfill(const std::filesystem::path& file);

// The id-level columns of bigquery-etl's bigquery_etl/metadata/id_level_columns.yaml: client_id,
// device_id, profile_id and profile_group_id.
std::vector<std::string> default_id_level_columns();

// Reads the `id_level_columns` list of a YAML file (the format of bigquery-etl's
// bigquery_etl/metadata/id_level_columns.yaml). Throws base::Error when the file is unreadable,
// not YAML, or has no such list of strings.
std::vector<std::string> load_id_level_columns(const std::filesystem::path& file);

// How Jinja-templated SQL files are rendered before parsing.
struct RenderSettings {
  bool init = false;                          // value of is_init() (`--init`)
  std::map<std::string, std::string> params;  // `--param name=value`, override path variables
};

// One .sql file, read, rendered and parsed.
struct SqlFile {
  std::filesystem::path path;
  size_t bytes = 0;        // size of the file as stored
  bool templated = false;  // it held Jinja and was rendered
  std::string sql;         // the text that was parsed (the rendered text for a template)
  syntax::Script script;
};

// Reads `file`, renders it when it is a Jinja template (templating::is_template), and parses it
// as semicolon-separated statements.
// Rendering follows bigquery-etl: when the file lies in sql/<project>/<dataset>/<table>/, the
// variables project_id, dataset_id and table_name are set from the path; for a checks.sql the
// macros of <repo>/tests/checks/*.jinja (repo = the parent of sql/) are available;
// settings.params add or override variables. Files matching a `render: skip:` pattern of
// <repo>/bqetl_project.yaml are parsed as written, as bigquery-etl does. The macro files and the
// skip list are read once per repository and shared between threads.
// Throws base::Error "file:line:col: message" for an unreadable file, a template error and a
// syntax error; a syntax error in rendered text is reported at the template's line and column.
// Throws OfflineError (a base::Error) for a template that needs the network to render.
SqlFile parse_sql_file(const std::filesystem::path& file, const RenderSettings& settings);

// The query of a table folder, read the one way `generate`, `lint` and `simulate` read it.
struct TableQuery {
  std::string file;                      // <table_dir>/query.sql
  std::shared_ptr<const SqlFile> sql;    // rendered and parsed (owns the statements below)
  const syntax::Query* query = nullptr;  // the file's last statement: the table's query
  // The CREATE TEMP FUNCTION statements before the query, in file order. bigquery-etl runs
  // query.sql as one script, so the functions are defined for the query; whoever embeds the
  // query in other SQL must put them first.
  std::vector<const syntax::CreateFunction*> functions;
};

// Reads <table_dir>/query.sql with parse_sql_file (Jinja rendered as for every .sql file, `{# #}`
// comments included) and splits it into its CREATE TEMP FUNCTION preamble and its query.
// Throws base::Error (kInput): "file not found" when there is no query.sql, the errors of
// parse_sql_file, and, located at the statement, a statement other than CREATE TEMP FUNCTION
// before the query, or a last statement that is not a query (bigquery-etl writes scripts as
// script.sql, not query.sql).
TableQuery read_table_query(const std::filesystem::path& table_dir,
                            const RenderSettings& settings = {});

// The files `bqetl format` leaves alone: the `format: skip:` globs of the bqetl_project.yaml in
// the nearest folder at or above a path, relative to that folder (for bigquery-etl, Jinja
// templates of its generators, tests, and a few UDFs whose layout is deliberate).
struct FormatSkipList {
  std::filesystem::path root;         // the folder holding bqetl_project.yaml; empty if none
  std::vector<std::string> patterns;  // as written, matched with base::glob_match

  FormatSkipList() = default;
  // Looks for bqetl_project.yaml in `start` (a file's folder, or the folder itself) and each
  // folder above it. Throws base::Error when the file found is not valid YAML.
  explicit FormatSkipList(const std::filesystem::path& start);
  // Whether `file` (relative to the working directory, or absolute) lies under `root` and
  // matches a pattern.
  bool skips(const std::filesystem::path& file) const;
};

}  // namespace shredmit::project
