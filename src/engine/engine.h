// shredmit engine: GoogleSQL's reference implementation behind two calls, analyze and evaluate.
// The engine is
// Google's ZetaSQL local service (the analyzer BigQuery's frontend is built on, and the reference
// evaluator of GoogleSQL's compliance tests), run as a server process that this stage starts on
// first use on a Unix socket in a private temporary folder and stops when shredmit exits. No
// other stage sees gRPC or protobuf: they describe tables, parameters and functions with the
// types below.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analysis.h"
#include "base/error.h"
#include "project/project.h"

namespace shredmit::engine {

struct Field;

// A GoogleSQL type: a scalar (kind), a STRUCT of named fields, or an ARRAY of one element type.
struct Type {
  analysis::Type kind = analysis::Type::kUnknown;
  std::vector<Field> fields;  // kStruct, in order
  std::vector<Type> element;  // kArray: exactly one
  // The type as GoogleSQL writes it: "INT64", "ARRAY<STRUCT<a INT64, b STRING>>".
  std::string sql() const;
};

struct Field {
  std::string name;
  Type type;
};

// A scalar type.
Type scalar(analysis::Type kind);

// A table of the catalog. `name` is the dotted path SQL names it by
// ("moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6"); the catalog registers it so that
// `project.dataset.table` and `dataset.table` reach it, backticked whole, in parts or not at all.
struct Table {
  std::string name;
  std::vector<Field> columns;
};

// A function of the catalog, defined by a CREATE [OR REPLACE] [TEMP] FUNCTION statement of
// `definition` (its other statements, such as the assert.* tests that follow a bigquery-etl
// udf.sql, are ignored): the one whose name ends like names.front(). A SQL body is run by the
// evaluator (the analyzer inlines it at each call); a JavaScript function is analyzed against
// its declared signature, and evaluating a call of it is refused with a message naming it.
struct Function {
  // The dotted names SQL calls it by ("moz-fx-data-shared-prod.udf.organic_vs_paid_desktop",
  // "udf.organic_vs_paid_desktop"); each reaches it backticked whole or part by part.
  std::vector<std::string> names;
  std::string definition;
  std::string file;  // where it is defined, for messages
};

struct Catalog {
  std::vector<Table> tables;
  std::vector<Function> functions;
};

// A catalog built from a bigquery-etl tree, and what it could not find there.
struct FromTree {
  Catalog catalog;
  // The tables read that the tree lacks or cannot give: "table telemetry.main (no schema.yaml
  // in the tree)". Functions not found are not listed: builtins such as NET.HOST look the same,
  // and the analyzer says "Function not found" of the others.
  std::vector<std::string> unknown;
};

// `path` (a table path as written, parts joined with dots) as PROJECT.DATASET.TABLE, a two-part
// name taken to be in `project` (bigquery-etl's default project); nullopt for any other shape.
std::optional<std::string> qualified_table(const std::string& path, const std::string& project);

// The catalog the statements of `sql` (queries, and CREATE TEMP FUNCTION statements before them)
// need from `tree`, for a query of `project`:
// - each table a query reads whose schema.yaml is in the tree
//   (sql/PROJECT/DATASET/TABLE/schema.yaml, columns_from_schema), unless `known` names it
//   (PROJECT.DATASET.TABLE, case-insensitive: tables the caller provides itself);
// - each persistent function called, and those its body calls, where bigquery-etl keeps
//   them: `dataset.name` and `project.dataset.name` in sql/PROJECT/DATASET/NAME/udf.sql,
//   `mozfun.dataset.name` in sql/mozfun/DATASET/NAME/udf.sql; a body's two-part names are in
//   its own project (a mozfun function calls `map.get_key`).
// Reads files only; does not start the engine. A text that does not parse gives an empty catalog
// with the reason in `unknown`.
FromTree catalog_from_tree(std::string_view sql, const project::SqlTree& tree,
                           const std::string& project, const std::set<std::string>& known = {});

// A query parameter (@name), declared with its type as the statement expects it bound:
// bigquery-etl binds the date partition parameter as DATE (`--parameter=NAME:DATE:VALUE`).
struct Parameter {
  std::string name;
  Type type;
};

// The columns of a table described by schema.yaml: legacy names (INTEGER, FLOAT, BOOLEAN,
// RECORD) and GoogleSQL ones, RECORD as STRUCT and `mode: REPEATED` as ARRAY, at any depth. A
// field the engine cannot hold is left out and named in `*dropped` when given: a type shredmit
// does not know, or a RECORD without fields (one such column makes the engine refuse the whole
// catalog, "Empty column names not allowed").
std::vector<Field> columns_from_schema(const project::Schema& schema,
                                       std::vector<std::string>* dropped = nullptr);

// What GoogleSQL's analyzer says of a statement.
struct Verdict {
  enum class Status {
    kAccepted,  // it resolves: names, types and function signatures are valid
    kRefused,   // GoogleSQL refuses it; `message` says why
  };
  Status status = Status::kAccepted;
  // The analyzer's message in BigQuery's wording, without its location, e.g. "No matching
  // signature for operator = for argument types: TIMESTAMP, DATE. Supported signature: ANY =
  // ANY".
  std::string message;
  // Where in the statement's text the analyzer points (1-based line and column), {0, 0} when it
  // gives no location.
  base::Location at;
  bool accepted() const { return status == Status::kAccepted; }
};

// The parameter a refusal says has no value ("Query parameter 'x' not found": the analyzer's
// words for a parameter used but not declared), or nullopt for any other refusal.
std::optional<std::string> unbound_parameter(const Verdict& verdict);

// Whether a refusal says nothing about the statement itself: a name the catalog lacks (a
// function, also one a UDF's body calls, a table-valued function such as EXTERNAL_QUERY, or a
// table outside the tree), or a construct this build of the engine (GoogleSQL of about 2023)
// lacks while BigQuery has it: a syntax error on SQL shredmit's parser read (GROUP BY ALL, pipe
// syntax), INTERVAL values (the difference of two DATEs, DATETIMEs or TIMESTAMPs), the type
// aliases INT, INTEGER, BIGINT, SMALLINT, TINYINT, BYTEINT, DECIMAL and BIGDECIMAL, or a refusal
// saying "not supported". Such a statement is "not checked", never an error.
bool cannot_check(const Verdict& verdict);

// The query parameters a table's query is run with, declared as bigquery-etl binds them: the
// date partition parameter (metadata's date_partition_parameter, submission_date by default) as
// DATE, then each scheduling.parameters entry with its type (`name:TYPE:value`; an entry whose
// type GoogleSQL lacks is left out, and the analyzer then names it).
std::vector<Parameter> declared_parameters(const project::Metadata& metadata);

// Analyzes one statement (a query, or a query with CREATE TEMP FUNCTION statements before it,
// separated by semicolons: each is analyzed, the functions defined for the statements after
// them) with BigQuery's language (GoogleSQL's full feature set in PRODUCT_EXTERNAL mode, the
// mode of BigQuery) against `catalog` and the declared `parameters`. Starts the engine on first
// use (about 1 s). Throws base::Error of kind kUsage when the engine is not installed or does not
// start (the message says how to install it), and of kind kInternal when it fails while running.
Verdict analyze(std::string_view sql, const Catalog& catalog,
                const std::vector<Parameter>& parameters);

// A value of a table cell, a parameter or a result: NULL, or its text in the form CAST(x AS
// STRING) gives in BigQuery ("2024-06-01", "2024-06-01 10:00:00+00", "true", "1.5"; a TIMESTAMP
// is read in UTC unless it carries an offset), or, for an ARRAY, its elements and, for a STRUCT,
// its fields in order.
struct Value {
  bool null = true;
  std::string text;
  std::vector<Value> items;
  static Value of(std::string text);
  static Value list(std::vector<Value> items);
  bool operator==(const Value& o) const {
    return null == o.null && text == o.text && items == o.items;
  }
};

// Why `value` is not a value of `type` ("'2024-13-01' is not a valid DATE value; ..."), or nullopt
// when it is: the check evaluate makes of each cell and parameter, for callers that can say
// where the value came from.
std::optional<std::string> value_error(const Type& type, const Value& value);

// A parameter with the value it is bound to.
struct Binding {
  Parameter parameter;
  Value value;
};

// A parameter as bigquery-etl binds it, `bq query --parameter=name:TYPE:value` (an empty TYPE is
// STRING, as for bq): "submission_date:DATE:2024-06-01". Throws base::Error (kInput, the message
// naming the parameter) for a text without two colons or a type GoogleSQL lacks; the value
// itself is checked when it is given to the engine.
Binding binding(std::string_view parameter);

// Rows of a table (in its catalog columns' order) or of a result.
struct Rows {
  std::vector<Field> columns;
  std::vector<std::vector<Value>> rows;
};

// What the reference evaluator gives for a query.
struct Evaluation {
  // kAccepted when the query ran; kRefused when GoogleSQL refused it or it failed while running
  // (an ERROR() call: `message` is its text).
  Verdict verdict;
  // The analyzer accepted the query and it failed while running (an ERROR() call, a division by
  // zero, a JavaScript function).
  bool failed_while_running = false;
  Rows result;
};

// Evaluates `sql` (a query, or a query after CREATE TEMP FUNCTION statements with SQL bodies)
// with GoogleSQL's reference evaluator, BigQuery's semantics: the tables of `catalog` hold the
// rows of `contents` (keyed by Table::name; a table without an entry is empty) and the
// parameters are bound. Tables are reached by every spelling analyze accepts (the evaluator
// gives rows only to tables at the root of its catalog, so the query's table names are rewritten
// to the whole backticked path before it runs, each keeping its implicit alias). Supports the
// types STRING, BYTES, JSON, INT64, NUMERIC, BIGNUMERIC, FLOAT64, BOOL, DATE, DATETIME, TIMESTAMP
// and TIME, and ARRAYs and STRUCTs of them. A call of a JavaScript function is refused, naming it.
// Throws base::Error as analyze does, and of kind kInput for a value that does not fit its column's
// type (the message names the table, column and value).
Evaluation evaluate(std::string_view sql, const Catalog& catalog,
                    const std::map<std::string, std::vector<std::vector<Value>>>& contents,
                    const std::vector<Binding>& parameters);

// Analyzes each statement of `sql` alone, as bigquery-etl's check runner runs the statements of a
// checks file (one job each): a temporary function one statement defines is not defined for the
// next. One verdict per statement, in order, with locations in the whole text. Throws as
// analyze does.
std::vector<Verdict> analyze_each(std::string_view sql, const Catalog& catalog,
                                  const std::vector<Parameter>& parameters);

// Where the engine's server is: $SHREDMIT_ENGINE when set (nothing else when it is set but not
// an executable), else where tools/install_engine.sh installs it for this user
// (${XDG_CACHE_HOME:-~/.cache}/shredmit/zetasql-1.13.0/remote_server), else the folder the build
// was configured with. nullopt when there is none.
std::optional<std::string> server_path();

// How to install the engine, for a message: the installed install_engine.sh (the package's), or
// the source tree's, or $SHREDMIT_ENGINE.
std::string install_hint();

// Stops the engine's server if it runs (it also stops when the process exits, on SIGINT, SIGTERM
// and SIGHUP, and, through PR_SET_PDEATHSIG, when the process is killed).
void stop();

}  // namespace shredmit::engine
