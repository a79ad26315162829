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

struct Catalog {
  std::vector<Table> tables;
};

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

// A parameter with the value it is bound to.
struct Binding {
  Parameter parameter;
  Value value;
};

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
  Rows result;
};

// Evaluates `sql` (a query, or a query after CREATE TEMP FUNCTION statements with SQL bodies)
// with GoogleSQL's reference evaluator, BigQuery's semantics: the tables of `catalog` hold the
// rows of `contents` (keyed by Table::name; a table without an entry is empty) and the
// parameters are bound. The evaluator gives rows only to tables at the root of its catalog, so
// a table is reached here by its whole backticked path (`project.dataset.table`) or its
// backticked `dataset.table`, not through nested names. Supports the types STRING, BYTES, INT64,
// FLOAT64, BOOL, DATE, DATETIME, TIMESTAMP and TIME, and ARRAYs and STRUCTs of them. Throws
// base::Error as analyze does, and of kind kInput for a value that does not fit its column's type
// (the message names the table, column and value).
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
