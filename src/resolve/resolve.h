// shredmit resolve: name resolution of a GoogleSQL query, between `syntax` and `analysis`.
//
// A Resolution holds one Scope per SELECT of a query (WITH queries, FROM subqueries and
// expression subqueries included), each with the FROM items it reads (its sources) and its
// ordered output columns, `*`, `t.*`, `* EXCEPT` and `* REPLACE` expanded whenever the columns of
// the sources are known: from the text for WITH queries and subqueries, from a Catalog for
// tables. Column references bind to the source column they read. Names are compared
// case-insensitively, as BigQuery compares column names, range variables and WITH query names.
// The models are ZetaSQL's NameScope/NameList and sqlglot's Scope: `analysis` (dimensions,
// metrics, lineage), `lint` and `simulation` ask this stage instead of walking FROM clauses
// themselves.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syntax/syntax.h"

namespace shredmit::resolve {

// The columns of tables outside the query (bigquery-etl's schema.yaml files, test data).
class Catalog {
 public:
  virtual ~Catalog() = default;
  // The ordered top-level column names of the table written `path` in a FROM clause (the path
  // parts joined with dots, unquoted: "moz-fx-data-shared-prod.telemetry.main" or
  // "telemetry.main"), or nullopt when the table is not known.
  virtual std::optional<std::vector<std::string>> columns(std::string_view path) const = 0;
};

struct Scope;
struct QueryScope;
struct Source;

// One output column of a SELECT.
struct Column {
  std::string name;      // as written: the alias, or the implicit name; empty when it has none
  syntax::Location loc;  // the select item
  // The defining expression: the select-list expression or the REPLACE expression. Null for a
  // column that `*` or `t.*` passes through from `source`.
  const syntax::Expr* expr = nullptr;
  const Source* source = nullptr;  // star columns: the FROM item it comes from
  bool from_star = false;
};

enum class SourceKind {
  kTable,          // a table outside the query
  kWithQuery,      // a WITH query of this query or an enclosing one
  kSubquery,       // a subquery in FROM
  kUnnest,         // UNNEST(...) or a correlated array path: the element, and its offset
  kTableFunction,  // a table-valued function, PIVOT, UNPIVOT: columns unknown
};

// A FROM item of a SELECT.
struct Source {
  SourceKind kind = SourceKind::kTable;
  std::string name;   // the range variable (alias or implicit alias), as written; may be empty
  std::string table;  // kTable: the path, parts joined with dots; kWithQuery: its name
  const QueryScope* query = nullptr;  // kWithQuery, kSubquery
  // Known column names in order: the query's output columns, the catalog's for a table, the
  // offset alias for UNNEST. nullopt when unknown.
  std::optional<std::vector<std::string>> columns;
  std::string offset_name;  // kUnnest WITH OFFSET AS name
  // Columns named in a USING of a join where this source is on the right: `*` lists them once,
  // from the left side (BigQuery documentation, "USING clause").
  std::vector<std::string> using_hidden;
  // `name` is among using_hidden (case-insensitive).
  bool hides(std::string_view name) const;
  bool full_join = false;  // either side of a FULL JOIN
  const syntax::FromItem* from = nullptr;
};

// One SELECT.
struct Scope {
  const syntax::Select* select = nullptr;
  const Scope* outer = nullptr;  // the SELECT whose expression holds this one (correlation)
  std::vector<std::unique_ptr<Source>> sources;  // FROM items, left to right
  std::vector<Column> columns;                   // output columns, stars expanded
  // False when a `*` read a source whose columns are unknown (`columns` then lists only the
  // others), or for SELECT AS STRUCT / AS VALUE.
  bool columns_known = true;
  // The source named `name` (a range variable), or null.
  const Source* find_source(std::string_view name) const;
};

// A query: a SELECT, or a set operation whose branches are SELECTs, with its WITH queries.
struct QueryScope {
  const syntax::Query* query = nullptr;
  // The SELECTs producing rows, left to right: one for a plain query.
  std::vector<const Scope*> branches;
  bool set_operation = false;
  // Every set operator is UNION ALL matching columns by position.
  bool union_all = true;
  // A set operator matches columns by name (BY NAME, CORRESPONDING).
  bool by_name = false;
  // The output column names: the first branch's (BigQuery names set operation columns after
  // its first query).
  std::vector<std::string> columns;
  bool columns_known = true;
};

// What a column reference reads.
struct Binding {
  const Scope* scope =
      nullptr;  // the SELECT whose FROM item is read (an outer one when correlated)
  const Source* source = nullptr;  // that FROM item
  std::string column;              // the column's name in the source ("" for a whole row)
  bool correlated = false;
};

class Resolution {
 public:
  // Resolves `query` (which must outlive the Resolution). `catalog` may be null.
  explicit Resolution(const syntax::Query& query, const Catalog* catalog = nullptr);
  ~Resolution();
  Resolution(const Resolution&) = delete;
  Resolution& operator=(const Resolution&) = delete;

  const QueryScope& root() const;
  // The scope of a SELECT of the query; null for a SELECT outside it.
  const Scope* scope_of(const syntax::Select& select) const;
  // The query scope of a Query node of the query (the root, a WITH query, a subquery).
  const QueryScope* query_scope_of(const syntax::Query& query) const;

  // What the column reference `ref` (`x`, `t.x`, or a field path over one: `t.s.a`), written in
  // `scope`, reads. Unqualified names are looked up in the sources whose columns are known,
  // then as a range variable, then in the enclosing scopes. nullopt when the name is unknown or
  // ambiguous, or `ref` is not a reference.
  std::optional<Binding> bind(const syntax::Expr& ref, const Scope& scope) const;

  // The output column of the query that a binding reads (through WITH queries and subqueries):
  // the column and the SELECT that defines it (the first branch of a set operation). nullopt for
  // tables, UNNEST and unknown columns.
  std::optional<std::pair<const Column*, const Scope*>> definition(const Binding& b) const;

  // The output column `name` of `scope` (case-insensitive), or null.
  static const Column* find_column(const Scope& scope, std::string_view name);

  // The tables the query reads (WITH queries excluded), by path as written, each once, in order
  // of first appearance, with the location of the first reference.
  std::vector<std::pair<std::string, syntax::Location>> tables_read() const;

  // How many times BigQuery scans each table when it runs the query: per table (path as written,
  // in order of first appearance), its references counted once each, a reference inside a WITH
  // query counted as many times as that WITH query is evaluated. BigQuery materializes only
  // recursive WITH queries; a non-recursive one runs once per reference to it (BigQuery
  // documentation, "WITH clause"), and one never referenced does not run, so its tables count 0.
  // A reference in an expression subquery counts once.
  std::vector<std::pair<std::string, int>> table_scans() const;

  // Every FROM item of the query that names a table outside it (not a WITH query, not a
  // correlated array path), in source order, subqueries included.
  const std::vector<const syntax::TableFrom*>& table_references() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The name BigQuery gives an unaliased select-list expression: a column's name, or the last field
// of a field access (`t.x`, `s.a.b`); nullopt for any other expression.
std::optional<std::string> implicit_name(const syntax::Expr& e);

// The implicit alias of a table path: its last dotted part ("telemetry.main" gives "main").
std::string implicit_alias(std::string_view path);

}  // namespace shredmit::resolve
