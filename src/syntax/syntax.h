// shredmit syntax: GoogleSQL (BigQuery standard SQL) parsing into the project's own AST, and
// printing the AST back as SQL (close to bigquery-etl's house style; format.h gives the exact
// style and is what every file shredmit writes goes through).
//
// The AST is typed (one struct per construct) and every node carries the 1-based line and
// column of its first token in the parsed text. ANTLR types never appear here: the generated
// parser is an implementation detail of src/syntax.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/text.h"

namespace shredmit::syntax {

// A position in source text (base::Location): 1-based line, 1-based column counted in Unicode
// code points, and the byte offset. {0, 0} means "not from source" (nodes built by the
// generator).
using Location = base::Location;

// A name as written: `name` holds it unquoted (backtick escapes resolved), `quoted` records
// whether it was written in backticks. A backticked path such as
// `moz-fx-data-shared-prod.telemetry.main` is one Identifier whose name contains the dots.
struct Identifier {
  std::string name;
  bool quoted = false;
  Location loc;
};

struct Query;
struct Type;
struct WindowSpecification;

// ------------------------------------------------------------------ expressions

enum class ExprKind {
  kLiteral,
  kName,
  kParameter,
  kUnary,
  kBinary,
  kLike,
  kBetween,
  kIn,
  kIsTest,
  kCase,
  kCast,
  kExtract,
  kInterval,
  kFunctionCall,
  kArrayConstructor,
  kArraySubquery,
  kStructConstructor,
  kScalarSubquery,
  kExists,
  kParenthesized,
  kFieldAccess,
  kSubscript,
};

struct Expr {
  explicit Expr(ExprKind k, Location l = {}) : kind(k), loc(l) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  // Downcast to the struct for this->kind; the caller has checked kind.
  template <typename T>
  const T& as() const {
    return static_cast<const T&>(*this);
  }

  const ExprKind kind;
  Location loc;
};
using ExprPtr = std::unique_ptr<Expr>;

enum class LiteralKind {
  kString,
  kBytes,
  kInteger,
  kFloat,
  kBoolean,
  kNull,
  kDate,
  kDatetime,
  kTime,
  kTimestamp,
  kNumeric,
  kBigNumeric,
  kJson,
  kRange,
};

// A literal. `spelling` is the source text of the literal token itself (quotes, prefixes and
// escapes as written; for typed literals such as DATE '2024-01-01' only the quoted part), so the
// printer reproduces it exactly. Adjacent string literals, which GoogleSQL concatenates, are
// one kString literal whose spelling holds the parts separated by one space. `range_type` is set
// for RANGE<T> literals.
struct Literal : Expr {
  Literal(LiteralKind k, std::string s, Location l = {})
      : Expr(ExprKind::kLiteral, l), literal_kind(k), spelling(std::move(s)) {}
  LiteralKind literal_kind;
  std::string spelling;
  std::unique_ptr<Type> range_type;
};

// A bare name: a column, a table alias, a CTE name or a range variable.
struct NameRef : Expr {
  explicit NameRef(Identifier n, Location l = {}) : Expr(ExprKind::kName, l), name(std::move(n)) {}
  Identifier name;
};

enum class ParameterKind { kNamed, kSystem, kPositional };
// @name (name without the @), @@system.variable (name without the @@), or ?.
struct Parameter : Expr {
  Parameter(ParameterKind k, std::string n, Location l = {})
      : Expr(ExprKind::kParameter, l), parameter_kind(k), name(std::move(n)) {}
  ParameterKind parameter_kind;
  std::string name;
};

enum class UnaryOp { kMinus, kPlus, kBitwiseNot, kNot };
struct Unary : Expr {
  Unary(UnaryOp o, ExprPtr e, Location l = {})
      : Expr(ExprKind::kUnary, l), op(o), operand(std::move(e)) {}
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp {
  kMultiply,
  kDivide,
  kConcat,
  kAdd,
  kSubtract,
  kShiftLeft,
  kShiftRight,
  kBitwiseAnd,
  kBitwiseXor,
  kBitwiseOr,
  kEqual,
  kNotEqual,
  kLess,
  kLessOrEqual,
  kGreater,
  kGreaterOrEqual,
  kIsDistinctFrom,
  kIsNotDistinctFrom,
  kAnd,
  kOr,
};
struct Binary : Expr {
  Binary(BinaryOp o, ExprPtr a, ExprPtr b, Location l = {})
      : Expr(ExprKind::kBinary, l), op(o), left(std::move(a)), right(std::move(b)) {}
  BinaryOp op;
  ExprPtr left;
  ExprPtr right;
};

// The right-hand side of IN and of LIKE ANY/SOME/ALL: a parenthesised list, a subquery or
// UNNEST(array).
struct InOperand {
  enum class Kind { kList, kSubquery, kUnnest } kind = Kind::kList;
  std::vector<ExprPtr> list;     // kList
  std::unique_ptr<Query> query;  // kSubquery
  ExprPtr array;                 // kUnnest
};

enum class LikeQuantifier { kNone, kAny, kSome, kAll };
struct Like : Expr {
  Like() : Expr(ExprKind::kLike) {}
  bool negated = false;
  LikeQuantifier quantifier = LikeQuantifier::kNone;
  ExprPtr operand;
  ExprPtr pattern;     // quantifier == kNone
  InOperand patterns;  // quantifier != kNone
};

struct Between : Expr {
  Between() : Expr(ExprKind::kBetween) {}
  bool negated = false;
  ExprPtr operand, low, high;
};

struct In : Expr {
  In() : Expr(ExprKind::kIn) {}
  bool negated = false;
  ExprPtr operand;
  InOperand set;
};

enum class IsWhat { kNull, kTrue, kFalse, kUnknown };
struct IsTest : Expr {
  IsTest() : Expr(ExprKind::kIsTest) {}
  bool negated = false;
  IsWhat what = IsWhat::kNull;
  ExprPtr operand;
};

struct WhenClause {
  ExprPtr condition;
  ExprPtr result;
};
struct Case : Expr {
  Case() : Expr(ExprKind::kCase) {}
  ExprPtr operand;  // null for a searched CASE
  std::vector<WhenClause> whens;
  ExprPtr else_result;  // may be null
};

struct Cast : Expr {
  Cast() : Expr(ExprKind::kCast) {}
  bool safe = false;
  ExprPtr operand;
  std::unique_ptr<Type> type;
  ExprPtr format;  // CAST(... FORMAT expr), may be null
};

struct Extract : Expr {
  Extract() : Expr(ExprKind::kExtract) {}
  Identifier part;                          // DAY, WEEK, DATE, ...
  std::optional<Identifier> part_argument;  // WEEK(SUNDAY)
  ExprPtr operand;
  ExprPtr time_zone;  // AT TIME ZONE expr, may be null
};

struct Interval : Expr {
  Interval() : Expr(ExprKind::kInterval) {}
  ExprPtr value;
  Identifier part;
  std::optional<Identifier> to_part;
};

struct OrderingItem {
  ExprPtr expr;
  enum class Direction { kDefault, kAsc, kDesc } direction = Direction::kDefault;
  enum class Nulls { kDefault, kFirst, kLast } nulls = Nulls::kDefault;
};

struct FunctionArgument {
  enum class Kind { kPositional, kNamed, kLambda } kind = Kind::kPositional;
  Identifier name;                        // kNamed
  std::vector<Identifier> lambda_params;  // kLambda
  bool lambda_parenthesized = false;      // kLambda: (x) -> ... rather than x -> ...
  ExprPtr value;
};

struct OverClause {
  std::optional<Identifier> window_name;      // OVER w
  std::unique_ptr<WindowSpecification> spec;  // OVER (...)
};

// A function call, aggregate or window function. `name` holds the dotted parts
// (mozfun.map.get_key has three, SAFE.DIVIDE two).
struct FunctionCall : Expr {
  FunctionCall() : Expr(ExprKind::kFunctionCall) {}
  std::vector<Identifier> name;
  bool star = false;      // COUNT(*)
  bool distinct = false;  // COUNT(DISTINCT x)
  std::vector<FunctionArgument> args;
  enum class NullHandling { kDefault, kIgnore, kRespect } null_handling = NullHandling::kDefault;
  enum class HavingKind { kNone, kMax, kMin } having_kind = HavingKind::kNone;
  ExprPtr having;  // ANY_VALUE(x HAVING MAX y)
  std::vector<OrderingItem> order_by;
  ExprPtr limit;
  ExprPtr offset;
  std::unique_ptr<OverClause> over;  // window function when set

  // The name as one dotted string, each part as written (unquoted), e.g. "mozfun.map.get_key".
  std::string dotted_name() const;
};

struct ArrayConstructor : Expr {
  ArrayConstructor() : Expr(ExprKind::kArrayConstructor) {}
  bool array_keyword = false;          // ARRAY[...] rather than [...]
  std::unique_ptr<Type> element_type;  // ARRAY<T>[...]
  std::vector<ExprPtr> elements;
};

struct ArraySubquery : Expr {
  ArraySubquery() : Expr(ExprKind::kArraySubquery) {}
  std::unique_ptr<Query> query;
};

// `name = value` in an OPTIONS (...) list of DDL.
struct OptionEntry {
  Identifier name;
  ExprPtr value;
};

// A field of STRUCT<...> or TABLE<...>, or a column definition of CREATE TABLE. The attributes
// NOT NULL, DEFAULT and OPTIONS appear only in DDL.
struct StructTypeField {
  std::optional<Identifier> name;
  std::unique_ptr<Type> type;
  bool not_null = false;
  ExprPtr default_value;
  std::vector<OptionEntry> options;
};

struct StructField {
  ExprPtr value;
  std::optional<Identifier> alias;
};

// STRUCT(...), STRUCT<...>(...) or a parenthesised tuple (a, b) (keyword == false).
struct StructConstructor : Expr {
  StructConstructor() : Expr(ExprKind::kStructConstructor) {}
  bool keyword = true;
  bool typed = false;
  std::vector<StructTypeField> type_fields;
  std::vector<StructField> fields;
};

struct ScalarSubquery : Expr {
  ScalarSubquery() : Expr(ExprKind::kScalarSubquery) {}
  std::unique_ptr<Query> query;
};

struct Exists : Expr {
  Exists() : Expr(ExprKind::kExists) {}
  std::unique_ptr<Query> query;
};

// Parentheses as written; kept so that printing reproduces the source's grouping.
struct Parenthesized : Expr {
  explicit Parenthesized(ExprPtr e, Location l = {})
      : Expr(ExprKind::kParenthesized, l), inner(std::move(e)) {}
  ExprPtr inner;
};

// expr.field; a dotted column path a.b.c is nested FieldAccess over a NameRef.
struct FieldAccess : Expr {
  FieldAccess(ExprPtr e, Identifier f, Location l = {})
      : Expr(ExprKind::kFieldAccess, l), operand(std::move(e)), field(std::move(f)) {}
  ExprPtr operand;
  Identifier field;
};

enum class SubscriptMode { kPlain, kOffset, kSafeOffset, kOrdinal, kSafeOrdinal };
struct Subscript : Expr {
  Subscript() : Expr(ExprKind::kSubscript) {}
  ExprPtr operand;
  SubscriptMode mode = SubscriptMode::kPlain;
  ExprPtr index;
};

// ------------------------------------------------------------------ types

// A BigQuery type as written in CAST, typed constructors and literals.
struct Type {
  enum class Kind { kNamed, kArray, kStruct, kRange, kInterval, kTable } kind = Kind::kNamed;
  Location loc;
  Identifier name;                      // kNamed: INT64, STRING, ...
  std::vector<std::string> params;      // kNamed: STRING(10), NUMERIC(10, 2)
  std::unique_ptr<Type> element;        // kArray, kRange
  std::vector<StructTypeField> fields;  // kStruct, kTable (TABLE<...> of table functions)
};

// ------------------------------------------------------------------ windows

struct FrameBound {
  enum class Kind {
    kUnboundedPreceding,
    kUnboundedFollowing,
    kCurrentRow,
    kPreceding,
    kFollowing
  } kind = Kind::kCurrentRow;
  ExprPtr offset;  // kPreceding, kFollowing
};

struct WindowFrame {
  enum class Unit { kRows, kRange } unit = Unit::kRows;
  bool between = false;
  FrameBound start;
  FrameBound end;  // when between
};

struct WindowSpecification {
  std::optional<Identifier> base_window;
  std::vector<ExprPtr> partition_by;
  std::vector<OrderingItem> order_by;
  std::optional<WindowFrame> frame;
};

struct NamedWindow {
  Identifier name;
  std::optional<Identifier> reference;  // WINDOW w AS other
  std::unique_ptr<WindowSpecification> spec;
};

// ------------------------------------------------------------------ FROM

enum class FromKind {
  kTable,
  kSubquery,
  kUnnest,
  kTableFunction,
  kJoin,
  kParenthesized,
  kPivot,
  kUnpivot
};

struct FromItem {
  explicit FromItem(FromKind k, Location l = {}) : kind(k), loc(l) {}
  virtual ~FromItem() = default;
  FromItem(const FromItem&) = delete;
  FromItem& operator=(const FromItem&) = delete;
  template <typename T>
  const T& as() const {
    return static_cast<const T&>(*this);
  }
  const FromKind kind;
  Location loc;
};
using FromItemPtr = std::unique_ptr<FromItem>;

// A table (or CTE, or correlated array path) named by a path: `project.dataset.table`, or
// one backticked identifier holding the whole path.
// An unquoted project name with dashes (my-project.dataset.table) is one unquoted Identifier
// holding the dashes.
struct TableFrom : FromItem {
  TableFrom() : FromItem(FromKind::kTable) {}
  std::vector<Identifier> path;
  ExprPtr system_time;  // FOR SYSTEM_TIME AS OF expr, may be null
  std::optional<Identifier> alias;
  ExprPtr sample_size;  // TABLESAMPLE SYSTEM (n PERCENT|ROWS), may be null
  bool sample_rows = false;
  // The path parts joined with dots, each unquoted ("moz-fx-data-shared-prod.telemetry.main").
  std::string dotted_path() const;
};

struct SubqueryFrom : FromItem {
  SubqueryFrom() : FromItem(FromKind::kSubquery) {}
  std::unique_ptr<Query> query;
  std::optional<Identifier> alias;
};

struct UnnestFrom : FromItem {
  UnnestFrom() : FromItem(FromKind::kUnnest) {}
  ExprPtr array;
  std::optional<Identifier> alias;
  bool with_offset = false;
  std::optional<Identifier> offset_alias;
};

struct TableFunctionFrom : FromItem {
  TableFunctionFrom() : FromItem(FromKind::kTableFunction) {}
  std::vector<Identifier> name;
  std::vector<FunctionArgument> args;
  std::optional<Identifier> alias;
};

enum class JoinType { kComma, kCross, kPlain, kInner, kLeft, kRight, kFull };
struct JoinFrom : FromItem {
  JoinFrom() : FromItem(FromKind::kJoin) {}
  JoinType join_type = JoinType::kPlain;
  bool outer_keyword = false;  // LEFT OUTER JOIN
  FromItemPtr left;
  FromItemPtr right;
  ExprPtr on;                                            // ON condition, may be null
  std::optional<std::vector<Identifier>> using_columns;  // USING (...)
};

struct ParenthesizedFrom : FromItem {
  ParenthesizedFrom() : FromItem(FromKind::kParenthesized) {}
  FromItemPtr inner;
};

// input PIVOT (agg [AS a], ... FOR column IN (value [AS v], ...)) [AS alias]
struct PivotFrom : FromItem {
  PivotFrom() : FromItem(FromKind::kPivot) {}
  FromItemPtr input;
  std::vector<StructField> aggregates;
  ExprPtr pivot_column;
  std::vector<StructField> values;
  std::optional<Identifier> alias;
};

// A column group of UNPIVOT: `c` or `(c1, c2)`, with an optional label literal.
struct UnpivotColumns {
  std::vector<Identifier> columns;
  bool parenthesized = false;
  std::string label;  // literal spelling as written, empty when absent
};

// input UNPIVOT [INCLUDE|EXCLUDE NULLS] (values FOR name IN (columns [AS label], ...)) [AS alias]
struct UnpivotFrom : FromItem {
  UnpivotFrom() : FromItem(FromKind::kUnpivot) {}
  FromItemPtr input;
  enum class Nulls { kDefault, kInclude, kExclude } nulls = Nulls::kDefault;
  UnpivotColumns value_columns;
  Identifier name_column;
  std::vector<UnpivotColumns> entries;
  std::optional<Identifier> alias;
};

// ------------------------------------------------------------------ SELECT and queries

struct SelectItem {
  enum class Kind { kExpression, kStar, kDotStar } kind = Kind::kExpression;
  Location loc;
  ExprPtr expr;                            // kExpression; kDotStar: the expression before .*
  std::optional<Identifier> alias;         // kExpression
  std::vector<Identifier> except_columns;  // * EXCEPT (...)
  std::vector<StructField> replace_items;  // * REPLACE (expr AS name): alias always set
};

struct GroupingItem {
  enum class Kind { kExpression, kRollup, kCube, kGroupingSets, kEmpty } kind = Kind::kExpression;
  Location loc;
  std::vector<ExprPtr> exprs;      // kExpression (one), kRollup, kCube
  std::vector<GroupingItem> sets;  // kGroupingSets
};

struct GroupBy {
  Location loc;
  bool all = false;  // GROUP BY ALL
  std::vector<GroupingItem> items;
};

enum class QueryExprKind { kSelect, kSetOperation, kNested };

struct QueryExpr {
  explicit QueryExpr(QueryExprKind k, Location l = {}) : kind(k), loc(l) {}
  virtual ~QueryExpr() = default;
  QueryExpr(const QueryExpr&) = delete;
  QueryExpr& operator=(const QueryExpr&) = delete;
  template <typename T>
  const T& as() const {
    return static_cast<const T&>(*this);
  }
  const QueryExprKind kind;
  Location loc;
};
using QueryExprPtr = std::unique_ptr<QueryExpr>;

struct Select : QueryExpr {
  Select() : QueryExpr(QueryExprKind::kSelect) {}
  enum class As { kNone, kStruct, kValue } select_as = As::kNone;
  bool distinct = false;
  bool all = false;
  std::vector<SelectItem> items;
  FromItemPtr from;  // may be null
  ExprPtr where;
  std::optional<GroupBy> group_by;
  ExprPtr having;
  ExprPtr qualify;
  std::vector<NamedWindow> windows;
};

enum class SetOp { kUnion, kIntersect, kExcept };
// A set operation. Columns match by position unless `by_name` (BY NAME [ON (...)]) or
// `corresponding` ([STRICT] CORRESPONDING [BY (...)]); `outer` is the FULL/LEFT/INNER/OUTER
// prefix of the name-matching forms.
struct SetOperation : QueryExpr {
  SetOperation() : QueryExpr(QueryExprKind::kSetOperation) {}
  SetOp op = SetOp::kUnion;
  bool distinct = false;  // false: ALL
  enum class Outer { kNone, kFull, kLeft, kInner, kOuter } outer = Outer::kNone;
  bool outer_keyword = false;  // FULL OUTER, LEFT OUTER
  bool by_name = false;
  bool corresponding = false;
  bool strict = false;
  std::vector<Identifier> match_columns;  // BY NAME ON (...), CORRESPONDING BY (...)
  QueryExprPtr left;
  QueryExprPtr right;
};

// A parenthesised query used as a query expression: `(SELECT ...) UNION ALL (...)`.
struct NestedQuery : QueryExpr {
  NestedQuery() : QueryExpr(QueryExprKind::kNested) {}
  std::unique_ptr<Query> query;
};

struct Cte {
  Identifier name;
  std::unique_ptr<Query> query;
};

// A query: optional WITH, a query expression, optional ORDER BY and LIMIT/OFFSET.
struct Query {
  Location loc;
  bool recursive = false;
  std::vector<Cte> with;
  QueryExprPtr body;
  std::vector<OrderingItem> order_by;
  ExprPtr limit;
  ExprPtr offset;
};

// ------------------------------------------------------------------ statements
// One struct per statement kind of BigQuery's DDL, DML and procedural language that the
// bigquery-etl tree uses. Keywords that only select a spelling (TEMP or TEMPORARY, INTO, FROM in
// DELETE) are normalised; everything with a meaning is kept.

enum class StatementKind {
  kQuery,
  kCreateFunction,
  kCreateTableFunction,
  kCreateProcedure,
  kCreateTable,
  kCreateView,
  kCreateSchema,
  kDrop,
  kInsert,
  kDelete,
  kUpdate,
  kMerge,
  kTruncate,
  kExportData,
  kDeclare,
  kSet,
  kBlock,
  kTransaction,
  kIf,
  kLoop,
  kLoopControl,
  kReturn,
  kRaise,
  kCall,
  kExecuteImmediate,
  kAssert,
};

struct Statement {
  explicit Statement(StatementKind k, Location l = {}) : kind(k), loc(l) {}
  virtual ~Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  template <typename T>
  const T& as() const {
    return static_cast<const T&>(*this);
  }
  const StatementKind kind;
  Location loc;
};
using StatementPtr = std::unique_ptr<Statement>;
using StatementList = std::vector<StatementPtr>;

struct QueryStatement : Statement {
  QueryStatement() : Statement(StatementKind::kQuery) {}
  std::unique_ptr<Query> query;
};

// A parameter of CREATE FUNCTION; `type` is null for ANY TYPE.
struct FunctionParameter {
  Identifier name;
  std::unique_ptr<Type> type;
  bool not_aggregate = false;
};

// CREATE [OR REPLACE] [TEMP] [AGGREGATE] FUNCTION: a SQL body `AS (expr)`, or a JavaScript
// body `LANGUAGE js AS "..."` (then `body` is the string literal).
struct CreateFunction : Statement {
  CreateFunction() : Statement(StatementKind::kCreateFunction) {}
  bool or_replace = false;
  bool temporary = false;
  bool aggregate = false;
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<FunctionParameter> params;
  std::unique_ptr<Type> returns;
  enum class Determinism {
    kUnspecified,
    kDeterministic,
    kNotDeterministic
  } determinism = Determinism::kUnspecified;
  std::optional<Identifier> language;
  std::vector<OptionEntry> options;
  bool options_before_body = false;
  ExprPtr body;  // may be null (remote functions)
};

struct CreateTableFunction : Statement {
  CreateTableFunction() : Statement(StatementKind::kCreateTableFunction) {}
  bool or_replace = false;
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<FunctionParameter> params;
  std::unique_ptr<Type> returns;  // TABLE<...>, may be null
  std::vector<OptionEntry> options;
  std::unique_ptr<Query> query;
};

struct ProcedureParameter {
  enum class Direction { kDefault, kIn, kOut, kInOut } direction = Direction::kDefault;
  Identifier name;
  std::unique_ptr<Type> type;
};

// BEGIN ... [EXCEPTION WHEN ERROR THEN ...] END, optionally labelled.
struct Block : Statement {
  Block() : Statement(StatementKind::kBlock) {}
  std::optional<Identifier> label;
  StatementList body;
  std::optional<StatementList> exception_handler;
};

struct CreateProcedure : Statement {
  CreateProcedure() : Statement(StatementKind::kCreateProcedure) {}
  bool or_replace = false;
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<ProcedureParameter> params;
  std::vector<OptionEntry> options;
  StatementList body;
  std::optional<StatementList> exception_handler;
};

struct CreateTable : Statement {
  CreateTable() : Statement(StatementKind::kCreateTable) {}
  bool or_replace = false;
  bool temporary = false;
  enum class Variant { kTable, kSnapshot, kExternal } variant = Variant::kTable;
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<StructTypeField> columns;  // name always set
  enum class Source { kNone, kLike, kCopy, kClone } source_kind = Source::kNone;
  std::vector<Identifier> source;
  ExprPtr source_system_time;  // CLONE t FOR SYSTEM_TIME AS OF expr
  std::string collation;       // DEFAULT COLLATE 'spelling', empty when absent
  ExprPtr partition_by;
  std::vector<ExprPtr> cluster_by;
  std::vector<OptionEntry> options;
  std::unique_ptr<Query> query;  // AS query, may be null
};

struct ViewColumn {
  Identifier name;
  std::vector<OptionEntry> options;
};

struct CreateView : Statement {
  CreateView() : Statement(StatementKind::kCreateView) {}
  bool or_replace = false;
  bool materialized = false;
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<ViewColumn> columns;
  ExprPtr partition_by;
  std::vector<ExprPtr> cluster_by;
  std::vector<OptionEntry> options;
  std::unique_ptr<Query> query;
};

struct CreateSchema : Statement {
  CreateSchema() : Statement(StatementKind::kCreateSchema) {}
  bool if_not_exists = false;
  std::vector<Identifier> name;
  std::vector<OptionEntry> options;
};

// DROP [SNAPSHOT|EXTERNAL|MATERIALIZED] TABLE|VIEW|FUNCTION|PROCEDURE|SCHEMA [IF EXISTS] name
struct Drop : Statement {
  Drop() : Statement(StatementKind::kDrop) {}
  std::string object;  // upper case, e.g. "SNAPSHOT TABLE"
  bool if_exists = false;
  std::vector<Identifier> name;
  std::string behavior;  // "CASCADE", "RESTRICT" or empty
};

// INSERT [INTO] target [(columns)] VALUES (...), ... | query. A null value is DEFAULT.
struct Insert : Statement {
  Insert() : Statement(StatementKind::kInsert) {}
  std::vector<Identifier> target;
  std::vector<Identifier> columns;
  std::vector<std::vector<ExprPtr>> rows;
  std::unique_ptr<Query> query;  // set when the source is a query
};

struct Delete : Statement {
  Delete() : Statement(StatementKind::kDelete) {}
  std::vector<Identifier> target;
  std::optional<Identifier> alias;
  ExprPtr where;
};

// `target = value` of UPDATE SET and MERGE's UPDATE SET; a null value is DEFAULT.
struct UpdateItem {
  ExprPtr target;
  ExprPtr value;
};

struct Update : Statement {
  Update() : Statement(StatementKind::kUpdate) {}
  std::vector<Identifier> target;
  std::optional<Identifier> alias;
  std::vector<UpdateItem> items;
  FromItemPtr from;  // may be null
  ExprPtr where;
};

struct MergeClause {
  enum class Match { kMatched, kNotMatched, kNotMatchedBySource } match = Match::kMatched;
  bool by_target = false;  // NOT MATCHED BY TARGET, spelled out
  ExprPtr condition;       // AND condition, may be null
  enum class Action { kUpdate, kInsert, kDelete } action = Action::kDelete;
  std::vector<UpdateItem> updates;  // kUpdate
  std::vector<Identifier> columns;  // kInsert
  std::vector<ExprPtr> values;      // kInsert VALUES (...); null entries are DEFAULT
  bool insert_row = false;          // kInsert ROW
};

struct Merge : Statement {
  Merge() : Statement(StatementKind::kMerge) {}
  std::vector<Identifier> target;
  std::optional<Identifier> alias;
  FromItemPtr source;
  ExprPtr on;
  std::vector<MergeClause> clauses;
};

struct Truncate : Statement {
  Truncate() : Statement(StatementKind::kTruncate) {}
  std::vector<Identifier> name;
};

struct ExportData : Statement {
  ExportData() : Statement(StatementKind::kExportData) {}
  std::vector<Identifier> connection;  // WITH CONNECTION path, may be empty
  std::vector<OptionEntry> options;
  std::unique_ptr<Query> query;
};

struct Declare : Statement {
  Declare() : Statement(StatementKind::kDeclare) {}
  std::vector<Identifier> names;
  std::unique_ptr<Type> type;  // may be null
  ExprPtr default_value;       // may be null
};

// SET x = e, SET (a, b) = e, or SET @@system.variable = e (then `system_variable` holds the name
// without @@ and `targets` is empty).
struct Set : Statement {
  Set() : Statement(StatementKind::kSet) {}
  std::vector<Identifier> targets;
  bool tuple = false;
  std::string system_variable;
  ExprPtr value;
};

struct Transaction : Statement {
  Transaction() : Statement(StatementKind::kTransaction) {}
  enum class Action { kBegin, kCommit, kRollback } action = Action::kBegin;
  bool transaction_keyword = false;
};

struct IfBranch {
  ExprPtr condition;
  StatementList body;
};
// IF c THEN ... [ELSEIF c THEN ...]... [ELSE ...] END IF; branches[0] is the IF branch.
struct If : Statement {
  If() : Statement(StatementKind::kIf) {}
  std::vector<IfBranch> branches;
  std::optional<StatementList> else_body;
};

// LOOP, WHILE c DO, REPEAT ... UNTIL c, FOR v IN (query) DO; optionally labelled.
struct Loop : Statement {
  Loop() : Statement(StatementKind::kLoop) {}
  enum class Form { kLoop, kWhile, kRepeat, kFor } form = Form::kLoop;
  std::optional<Identifier> label;
  ExprPtr condition;             // kWhile, kRepeat
  Identifier variable;           // kFor
  std::unique_ptr<Query> query;  // kFor
  StatementList body;
};

// BREAK, LEAVE, CONTINUE or ITERATE [label]
struct LoopControl : Statement {
  LoopControl() : Statement(StatementKind::kLoopControl) {}
  std::string keyword;  // upper case
  std::optional<Identifier> label;
};

struct Return : Statement {
  Return() : Statement(StatementKind::kReturn) {}
};

struct Raise : Statement {
  Raise() : Statement(StatementKind::kRaise) {}
  ExprPtr message;  // USING MESSAGE = expr, may be null
};

struct Call : Statement {
  Call() : Statement(StatementKind::kCall) {}
  std::vector<Identifier> name;
  std::vector<ExprPtr> args;
};

struct ExecuteImmediate : Statement {
  ExecuteImmediate() : Statement(StatementKind::kExecuteImmediate) {}
  ExprPtr sql;
  std::vector<Identifier> into;
  std::vector<StructField> using_args;
};

struct Assert : Statement {
  Assert() : Statement(StatementKind::kAssert) {}
  ExprPtr condition;
  std::string description;  // string literal spelling, empty when absent
};

// The statements of a file, in order.
struct Script {
  StatementList statements;
};

// ------------------------------------------------------------------ parsing

// A syntax error. what() is the message without location; `loc` is where it was found and
// `token` the offending token's text (empty at end of input).
class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(const std::string& message, Location loc, std::string token)
      : std::runtime_error(message), loc(loc), token(std::move(token)) {}
  Location loc;
  std::string token;
};

// Most nested parentheses, brackets, CASE expressions, BEGIN/LOOP/REPEAT blocks, type brackets
// and consecutive prefix operators a text may have; deeper input is a SyntaxError rather than a
// stack overflow.
inline constexpr int kMaxNestingDepth = 256;
// Most binary operators, set operations and joins in one chain at one bracket depth (between
// commas); such chains nest in the tree, and longer ones would overflow the stack.
inline constexpr int kMaxChainLength = 10000;

// Longest SQL text parsed: BigQuery refuses a query (or script) longer than 1,024 KB before it
// resolves it ("maximum unresolved GoogleSQL query length", BigQuery quotas), and bigquery-etl's
// longest query.sql is 345 KB. Parsing needs about 200 bytes of memory per byte of SQL (ANTLR's
// token objects and parse tree), so this also bounds memory to about 200 MB per file.
inline constexpr size_t kMaxQueryBytes = 1024 * 1024;

// Throws SyntaxError at the first byte of `text` that is not valid UTF-8, and at a NUL byte.
// parse_query and parse_statements check this themselves; templates are checked before rendering.
void check_text(std::string_view text);

// The parser reads tokens from a hand-written lexer (lexer.cpp) that must produce what ANTLR's
// lexer generated from grammar/GoogleSQLLexer.g4 produces. This compares the two on `sql`
// (valid UTF-8 without NUL, as check_text ensures) and describes the first token where they
// differ in type, text, line, column or start/stop index; nullopt when they agree. For tests
// and the lexer fuzz target.
std::optional<std::string> lexer_difference(std::string_view sql);

// Parses one query, as held by a bigquery-etl query.sql (trailing semicolons allowed).
// Throws SyntaxError on the first error (invalid UTF-8, an unexpected token, nesting deeper than
// kMaxNestingDepth, a text longer than kMaxQueryBytes, an empty text). Uses SLL prediction first
// and full LL only when SLL fails.
std::unique_ptr<Query> parse_query(std::string_view sql);

// Parses semicolon-separated statements: any bigquery-etl .sql file (query, view, udf, script,
// stored procedure, checks). Throws SyntaxError as parse_query does, and for a text that is
// empty or only whitespace; a text holding only comments gives an empty Script.
Script parse_statements(std::string_view sql);

// ------------------------------------------------------------------ printing

// Prints SQL in bigquery-etl's house style: upper-case keywords, two-space indent, each clause
// keyword on its own line with its contents indented below it, one select item per line, ON and
// USING indented under the joined item. Names, literals and function names are printed as
// written. Property (tested): print(parse(print(q))) == print(q).
std::string print(const Query& query);
std::string print(const Script& script);
// Prints one statement without its terminating semicolon.
std::string print(const Statement& statement);
// Prints one expression on one line, except for the subqueries and CASE expressions inside it,
// which break lines at `indent` (in spaces).
std::string print(const Expr& expr, int indent = 0);
std::string print(const Type& type);
// An identifier as SQL: backticked when it was quoted or cannot be written bare.
std::string print(const Identifier& id);

// A rewrite while printing: called for every expression before it is printed; the text it
// returns replaces the expression (printed on one line; the caller formats the result), nullopt
// prints the expression as usual.
using ExprHook = std::function<std::optional<std::string>(const Expr&)>;
// `query` (or `expr`) printed with `hook` applied to each of its expressions, subqueries
// included.
std::string print(const Query& query, const ExprHook& hook);
std::string print(const Expr& expr, const ExprHook& hook);

// The text of `query` with every call of one of `functions` (CREATE TEMP FUNCTION statements
// with a SQL body, matched by name case-insensitively) replaced by the function's body, its
// parameters replaced by the call's arguments: `f(x)` for `f(a INT64) AS (a + 1)` becomes
// `CAST((CAST(x AS INT64) + 1) AS <RETURNS type>)` (typed parameters and a RETURNS type are
// cast, as BigQuery coerces them; ANY TYPE parameters are not), recursively through bodies that
// call other functions of the list. A statement that embeds a query with temporary functions can
// then run alone, as bigquery-etl's check runner runs each statement of a checks file. nullopt
// when a call cannot be inlined: a JavaScript function, a function without a body, an aggregate
// function, a call whose argument count differs, a body whose subquery binds a name equal to a
// parameter's, or recursion deeper than the list.
std::optional<std::string> print_inlined(const Query& query,
                                         const std::vector<const CreateFunction*>& functions);

// The AST of `script` as one line of JSON: {"node": "Script", "statements": [...]}. Each node
// is an object whose "node" member names its struct above and whose "loc" is [line, column]
// when it came from source; members follow the struct's fields. For `shredmit parse --format
// ast-json` and for tools that want the tree without linking shredmit.
std::string to_json(const Script& script);

// ------------------------------------------------------------------ helpers

// Structural equality of two expressions, ignoring locations and treating unquoted names
// case-insensitively (BigQuery column names are case-insensitive).
bool equivalent(const Expr& a, const Expr& b);
// The text equivalent() compares: one line, names lower-cased and unquoted where possible,
// literals as written.
std::string canonical_text(const Expr& e);

// ASCII case folding, for names and keywords (BigQuery names and keywords are case-insensitive).
using base::to_lower;
using base::to_upper;

// True when `word` is a BigQuery reserved keyword (case-insensitive).
bool is_reserved_keyword(std::string_view word);

// The value of a string literal's spelling: quotes and r prefix removed, escapes resolved.
// Adjacent literals ('a' 'b', separated by whitespace) are concatenated, as GoogleSQL does.
// Returns std::nullopt for anything that is not a string literal spelling.
std::optional<std::string> string_literal_value(std::string_view spelling);

}  // namespace shredmit::syntax
