// shredmit templates: the ping-backfill SQL and shell templates of templates/ (issue 6), with
// typed parameters that are validated and quoted, never pasted. The template files are compiled
// into the binary.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shredmit::templates {

// Parameter types. Values are validated before rendering (BigQuery's naming rules, narrowed to
// what can never change a statement), and each type gives the template fixed, safe variables:
//   date        NAME `DATE 'YYYY-MM-DD'`, NAME_iso `YYYY-MM-DD`, NAME_compact `YYYYMMDD`
//   date_range  START..END: NAME_start, NAME_end (DATE literals), NAME_start_iso, NAME_end_iso
//   project     NAME: 6-30 of [a-z0-9-], starting with a letter, not ending with '-'
//   dataset     NAME: 1-1024 of [A-Za-z0-9_]
//   table       project.dataset.table, the table 1-1024 of [A-Za-z0-9_-]: NAME `\`p.d.t\``,
//               NAME_bq `p:d.t` (the bq command's form), NAME_project, NAME_dataset,
//               NAME_table, NAME_information_schema_columns `\`p.d.INFORMATION_SCHEMA.COLUMNS\``
//   table_pattern  a table whose name may end in `*` (a wildcard table)
//   integer     NAME: decimal, within the declared bounds
//   bool        NAME: true or false (1 or 0 in the template)
enum class ParameterType {
  kDate,
  kDateRange,
  kProject,
  kDataset,
  kTable,
  kTablePattern,
  kInteger,
  kBool
};

struct Parameter {
  std::string name;
  ParameterType type;
  std::string type_text;  // as declared: "integer 0..28"
  bool required = false;
  std::optional<std::string> default_value;
  std::string example;
  std::string description;
  int64_t min = 0;  // kInteger bounds
  int64_t max = 0;
};

// `include: VARIABLE = TEMPLATE(param=value, ...)` in a header: the template body sees VARIABLE,
// TEMPLATE rendered with the fixed values given here and, for its other parameters, the values
// of the including template's parameters of the same name.
struct Include {
  std::string variable;
  std::string template_name;
  std::map<std::string, std::string> fixed;
};

struct Template {
  std::string name;
  std::string description;
  std::string output;  // "sql" or "shell"
  std::vector<Parameter> parameters;
  std::vector<Include> includes;
  std::string file;  // templates/<name>.sql or .sh
  std::string body;  // the Jinja text after the header
};

// The templates, in name order.
const std::vector<Template>& all();

// The template called `name`. Throws base::Error (kind kUsage) naming the
// known templates when there is none.
const Template& find(const std::string& name);

// Renders `t` with `values` (parameter name to value as typed on the command line). SQL output
// is parsed with shredmit's parser before it is returned.
// Throws base::Error (kind kUsage) naming the parameter for an unknown, missing
// or invalid value, and std::logic_error when a SQL template renders to text that does not
// parse (a template bug).
std::string render(const Template& t, const std::map<std::string, std::string>& values);

// The documented example value of every parameter.
std::map<std::string, std::string> example_values(const Template& t);

// `template list` as text (name, output and description, then the parameters) and as JSON
// (an array of {name, description, output, parameters: [{name, type, required, default,
// example, description}]}).
std::string list_text();
std::string list_json();

// `template show NAME`: the description, parameters, and an example command.
std::string show(const Template& t);

}  // namespace shredmit::templates
