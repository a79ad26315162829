// shredmit lowering: GoogleSQL queries from the project's AST as SQLite SQL, and an in-memory
// SQLite database that runs them with BigQuery's semantics for the lowered subset.
// Used to prove generated mitigation queries and checks on data.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "analysis/analysis.h"
#include "project/project.h"
#include "syntax/syntax.h"

struct sqlite3;

namespace shredmit::lowering {

// Column names of the base tables a query reads, by table path as written in the query
// (case-insensitive). Only needed to expand `SELECT AS STRUCT *` inside TO_JSON_STRING(ARRAY(...))
// when it reads a base table.
using Catalog = std::map<std::string, std::vector<std::string>>;

struct Options {
  std::string file = "<query>";  // named in errors
  const Catalog* catalog = nullptr;
};

struct Lowered {
  std::string sql;
  std::vector<std::string> parameters;  // @names the query uses, without '@', sorted, unique
};

// Lowers a query to SQLite SQL. The subset: WITH (not RECURSIVE), SELECT
// [DISTINCT], `*`, `t.*` and `* EXCEPT (...)` over one source whose columns are known (a WITH
// query, a subquery, or a catalog table), joins (comma, CROSS, INNER, LEFT, RIGHT, FULL; ON or
// USING), subqueries in FROM and as scalars, EXISTS, IN (list or subquery), UNNEST(SPLIT(text,
// delimiter)) AS alias in FROM, WHERE, GROUP BY (expressions, aliases, ordinals, ALL expanded to
// the select list's non-aggregate items), HAVING, UNION [ALL], EXCEPT DISTINCT, INTERSECT
// DISTINCT, ORDER BY, LIMIT/OFFSET; literals (DATE, DATETIME and TIMESTAMP as canonical text,
// see below), operators (`/` is BigQuery's FLOAT64 division), IS [NOT] DISTINCT FROM, CASE, IF,
// IFNULL, COALESCE, NULLIF, CAST and SAFE_CAST, EXTRACT, DATE(x), DATE_ADD/DATE_SUB(d, INTERVAL
// n DAY), CONCAT, TRIM(x), ROUND, ABS, GREATEST, LEAST, SAFE_DIVIDE, ERROR, SPLIT(text,
// delimiter)[OFFSET(n)] and [SAFE_OFFSET(n)], SUM, COUNT, COUNTIF, MIN, MAX, AVG, ROW_NUMBER()
// OVER (PARTITION BY ... ORDER BY ...), struct field access on a RECORD column, `@param` as
// SQLite's `:param`, TO_JSON_STRING(row) of a range variable with known columns,
// TO_JSON_STRING(ARRAY(SELECT AS STRUCT * ...)), TO_JSON_STRING(STRUCT(a, b AS c)) (BOOL fields
// print as 0/1), and ARRAY_TO_STRING(ARRAY(SELECT one named column ...), separator), as the
// generated checks use them.
// Values: INT64 is INTEGER, FLOAT64 and NUMERIC are REAL (NUMERIC loses exactness beyond 15
// digits), STRING is TEXT, BOOL is 0/1, DATE is 'YYYY-MM-DD', DATETIME 'YYYY-MM-DD
// HH:MM:SS.ffffff', TIMESTAMP the same in UTC, a RECORD is JSON text.
// Throws base::Error naming options.file, the construct and its line:column for anything
// outside the subset; nothing is guessed.
Lowered lower(const syntax::Query& query, const Options& options = {});

// A value of a SQLite result or parameter.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// "NULL", the integer, the float with up to 17 significant digits, or the text.
std::string to_string(const Value& v);

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

// A column of a loaded table: a name and its BigQuery type from a schema.yaml.
struct Column {
  std::string name;
  analysis::Type type = analysis::Type::kUnknown;
  bool required = false;
};

// An in-memory SQLite database with shredmit's BigQuery functions registered (bq_divide,
// bq_safe_divide, bq_round, bq_cast, bq_safe_cast, bq_extract, bq_error, bq_date,
// bq_date_add, bq_trim, bq_split_offset, bq_split_json).
class Database {
 public:
  Database();
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Creates table `name` (the dotted path, as one identifier) with `columns`.
  void create_table(const std::string& name, const std::vector<Column>& columns);
  // Inserts one row; values in column order, already converted (see load_value).
  void insert(const std::string& name, const std::vector<Value>& row);
  // Runs `sql` with named parameters and returns all rows. Throws std::runtime_error with
  // SQLite's message (an ERROR() call's message for a failed check).
  Rows query(const std::string& sql, const std::map<std::string, Value>& parameters = {});
  // Runs statements without results.
  void execute(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

// Converts a value of BigQuery type `type` given as text in BigQuery's canonical forms (as in
// NDJSON exports) to its SQLite representation: DATE checked, TIMESTAMP normalised to UTC.
// Returns nullopt when the text is not a valid value of the type.
std::optional<Value> parse_typed_text(analysis::Type type, const std::string& text);

}  // namespace shredmit::lowering
