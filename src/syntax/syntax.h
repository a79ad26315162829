// shredmit syntax: GoogleSQL (BigQuery standard SQL) parsing into the project's own AST, and
// printing the AST back as SQL in bigquery-etl's house style.
//
// The AST is typed (one struct per construct) and every node carries the 1-based line and
// column of its first token in the parsed text. ANTLR types never appear here: the generated
// parser is an implementation detail of src/syntax.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shredmit::syntax {

// A position in source text: 1-based line, 1-based column counted in Unicode code points.
// {0, 0} means "not from source" (nodes built by the generator).
struct Location {
  int line = 0;
  int column = 0;
};

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
// printer reproduces it exactly. `range_type` is set for RANGE<T> literals.
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

struct StructTypeField {
  std::optional<Identifier> name;
  std::unique_ptr<Type> type;
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
  enum class Kind { kNamed, kArray, kStruct, kRange, kInterval } kind = Kind::kNamed;
  Location loc;
  Identifier name;                      // kNamed: INT64, STRING, ...
  std::vector<std::string> params;      // kNamed: STRING(10), NUMERIC(10, 2)
  std::unique_ptr<Type> element;        // kArray, kRange
  std::vector<StructTypeField> fields;  // kStruct
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

enum class FromKind { kTable, kSubquery, kUnnest, kTableFunction, kJoin, kParenthesized };

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
struct TableFrom : FromItem {
  TableFrom() : FromItem(FromKind::kTable) {}
  std::vector<Identifier> path;
  std::optional<Identifier> alias;
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
struct SetOperation : QueryExpr {
  SetOperation() : QueryExpr(QueryExprKind::kSetOperation) {}
  SetOp op = SetOp::kUnion;
  bool distinct = false;  // false: ALL
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

// The statements of a multi-statement file, in order.
struct Script {
  std::vector<std::unique_ptr<Query>> statements;
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

// Most nested parentheses, brackets and CASE expressions a text may have; deeper input is a
// SyntaxError rather than a stack overflow.
inline constexpr int kMaxNestingDepth = 256;

// Parses one query, as held by a bigquery-etl query.sql (trailing semicolons allowed).
// Throws SyntaxError on the first error (invalid UTF-8, an unexpected token, nesting deeper than
// kMaxNestingDepth, an empty text). Uses SLL prediction first and full LL only when SLL fails.
std::unique_ptr<Query> parse_query(std::string_view sql);

// Parses semicolon-separated statements (the form of a checks.sql). Throws SyntaxError.
Script parse_statements(std::string_view sql);

// ------------------------------------------------------------------ printing

// Prints SQL in bigquery-etl's house style: upper-case keywords, two-space indent, each clause
// keyword on its own line with its contents indented below it, one select item per line, ON and
// USING indented under the joined item. Names, literals and function names are printed as
// written. Property (tested): print(parse(print(q))) == print(q).
std::string print(const Query& query);
std::string print(const Script& script);
// Prints one expression on one line, except for the subqueries and CASE expressions inside it,
// which break lines at `indent` (in spaces).
std::string print(const Expr& expr, int indent = 0);
std::string print(const Type& type);
// An identifier as SQL: backticked when it was quoted or cannot be written bare.
std::string print(const Identifier& id);

// ------------------------------------------------------------------ helpers

// Structural equality of two expressions, ignoring locations and treating unquoted names
// case-insensitively (BigQuery column names are case-insensitive).
bool equivalent(const Expr& a, const Expr& b);

// ASCII case folding, for names and keywords (BigQuery names and keywords are case-insensitive).
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

// True when `word` is a BigQuery reserved keyword (case-insensitive).
bool is_reserved_keyword(std::string_view word);

// The value of a string literal's spelling: quotes and r prefix removed, escapes resolved.
// Returns std::nullopt for anything that is not a string literal spelling.
std::optional<std::string> string_literal_value(std::string_view spelling);

}  // namespace shredmit::syntax
