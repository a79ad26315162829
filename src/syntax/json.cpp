// The AST as JSON (see syntax.h, to_json). Every node is an object whose "node" member names
// its struct in syntax.h and whose "loc" is [line, column] when the node came from source.
#include <nlohmann/json.hpp>

#include "syntax.h"

namespace shredmit::syntax {
namespace {

using json = nlohmann::ordered_json;

json node(const char* kind, Location loc) {
  json j;
  j["node"] = kind;
  if (loc.line > 0) j["loc"] = {loc.line, loc.column};
  return j;
}

json ident(const Identifier& id) {
  json j = id.name;
  if (id.quoted) return json{{"name", id.name}, {"quoted", true}};
  return j;
}

json opt_ident(const std::optional<Identifier>& id) { return id ? ident(*id) : json(nullptr); }

json idents(const std::vector<Identifier>& ids) {
  json j = json::array();
  for (const auto& id : ids) j.push_back(ident(id));
  return j;
}

json expr(const Expr* e);
json query(const Query* q);
json type(const Type* t);
json from(const FromItem* f);
json statements(const StatementList& list);

json exprs(const std::vector<ExprPtr>& list) {
  json j = json::array();
  for (const auto& e : list) j.push_back(expr(e.get()));
  return j;
}

json struct_fields(const std::vector<StructField>& fields) {
  json j = json::array();
  for (const auto& f : fields)
    j.push_back({{"value", expr(f.value.get())}, {"alias", opt_ident(f.alias)}});
  return j;
}

json options(const std::vector<OptionEntry>& options) {
  json j = json::array();
  for (const auto& o : options)
    j.push_back({{"name", ident(o.name)}, {"value", expr(o.value.get())}});
  return j;
}

json type_fields(const std::vector<StructTypeField>& fields) {
  json j = json::array();
  for (const auto& f : fields) {
    json field{{"name", opt_ident(f.name)}, {"type", type(f.type.get())}};
    if (f.not_null) field["not_null"] = true;
    if (f.default_value) field["default"] = expr(f.default_value.get());
    if (!f.options.empty()) field["options"] = options(f.options);
    j.push_back(std::move(field));
  }
  return j;
}

json ordering(const std::vector<OrderingItem>& items) {
  json j = json::array();
  for (const auto& o : items) {
    static constexpr const char* kDir[] = {"default", "asc", "desc"};
    static constexpr const char* kNulls[] = {"default", "first", "last"};
    j.push_back({{"expr", expr(o.expr.get())},
                 {"direction", kDir[static_cast<int>(o.direction)]},
                 {"nulls", kNulls[static_cast<int>(o.nulls)]}});
  }
  return j;
}

json window(const WindowSpecification* w) {
  if (w == nullptr) return nullptr;
  json j{{"base", opt_ident(w->base_window)},
         {"partition_by", exprs(w->partition_by)},
         {"order_by", ordering(w->order_by)}};
  if (w->frame) {
    static constexpr const char* kBounds[] = {"unbounded preceding", "unbounded following",
                                              "current row", "preceding", "following"};
    auto bound = [](const FrameBound& b) {
      return json{{"kind", kBounds[static_cast<int>(b.kind)]}, {"offset", expr(b.offset.get())}};
    };
    json frame{{"unit", w->frame->unit == WindowFrame::Unit::kRows ? "ROWS" : "RANGE"},
               {"start", bound(w->frame->start)}};
    if (w->frame->between) frame["end"] = bound(w->frame->end);
    j["frame"] = std::move(frame);
  }
  return j;
}

json in_operand(const InOperand& op) {
  switch (op.kind) {
    case InOperand::Kind::kList:
      return {{"list", exprs(op.list)}};
    case InOperand::Kind::kSubquery:
      return {{"query", query(op.query.get())}};
    case InOperand::Kind::kUnnest:
      return {{"unnest", expr(op.array.get())}};
  }
  return nullptr;
}

json type(const Type* t) {
  if (t == nullptr) return nullptr;
  static constexpr const char* kKinds[] = {"named", "array",    "struct",
                                           "range", "interval", "table"};
  json j = node("Type", t->loc);
  j["kind"] = kKinds[static_cast<int>(t->kind)];
  switch (t->kind) {
    case Type::Kind::kNamed:
      j["name"] = ident(t->name);
      if (!t->params.empty()) j["params"] = t->params;
      break;
    case Type::Kind::kArray:
    case Type::Kind::kRange:
      j["element"] = type(t->element.get());
      break;
    case Type::Kind::kStruct:
    case Type::Kind::kTable:
      j["fields"] = type_fields(t->fields);
      break;
    case Type::Kind::kInterval:
      break;
  }
  return j;
}

const char* binary_op_name(BinaryOp op) {
  static constexpr const char* kNames[] = {"*",
                                           "/",
                                           "||",
                                           "+",
                                           "-",
                                           "<<",
                                           ">>",
                                           "&",
                                           "^",
                                           "|",
                                           "=",
                                           "!=",
                                           "<",
                                           "<=",
                                           ">",
                                           ">=",
                                           "IS DISTINCT FROM",
                                           "IS NOT DISTINCT FROM",
                                           "AND",
                                           "OR"};
  return kNames[static_cast<int>(op)];
}

json expr(const Expr* e) {
  if (e == nullptr) return nullptr;
  switch (e->kind) {
    case ExprKind::kLiteral: {
      const auto& l = e->as<Literal>();
      static constexpr const char* kKinds[] = {
          "string",   "bytes", "integer",   "float",   "boolean",    "null", "date",
          "datetime", "time",  "timestamp", "numeric", "bignumeric", "json", "range"};
      json j = node("Literal", e->loc);
      j["kind"] = kKinds[static_cast<int>(l.literal_kind)];
      j["spelling"] = l.spelling;
      if (l.range_type) j["range_type"] = type(l.range_type.get());
      return j;
    }
    case ExprKind::kName: {
      json j = node("NameRef", e->loc);
      j["name"] = ident(e->as<NameRef>().name);
      return j;
    }
    case ExprKind::kParameter: {
      const auto& p = e->as<Parameter>();
      static constexpr const char* kKinds[] = {"named", "system", "positional"};
      json j = node("Parameter", e->loc);
      j["kind"] = kKinds[static_cast<int>(p.parameter_kind)];
      j["name"] = p.name;
      return j;
    }
    case ExprKind::kUnary: {
      const auto& u = e->as<Unary>();
      static constexpr const char* kOps[] = {"-", "+", "~", "NOT"};
      json j = node("Unary", e->loc);
      j["op"] = kOps[static_cast<int>(u.op)];
      j["operand"] = expr(u.operand.get());
      return j;
    }
    case ExprKind::kBinary: {
      const auto& b = e->as<Binary>();
      json j = node("Binary", e->loc);
      j["op"] = binary_op_name(b.op);
      j["left"] = expr(b.left.get());
      j["right"] = expr(b.right.get());
      return j;
    }
    case ExprKind::kLike: {
      const auto& l = e->as<Like>();
      static constexpr const char* kQ[] = {"none", "ANY", "SOME", "ALL"};
      json j = node("Like", e->loc);
      j["negated"] = l.negated;
      j["quantifier"] = kQ[static_cast<int>(l.quantifier)];
      j["operand"] = expr(l.operand.get());
      if (l.quantifier == LikeQuantifier::kNone) {
        j["pattern"] = expr(l.pattern.get());
      } else {
        j["patterns"] = in_operand(l.patterns);
      }
      return j;
    }
    case ExprKind::kBetween: {
      const auto& b = e->as<Between>();
      json j = node("Between", e->loc);
      j["negated"] = b.negated;
      j["operand"] = expr(b.operand.get());
      j["low"] = expr(b.low.get());
      j["high"] = expr(b.high.get());
      return j;
    }
    case ExprKind::kIn: {
      const auto& i = e->as<In>();
      json j = node("In", e->loc);
      j["negated"] = i.negated;
      j["operand"] = expr(i.operand.get());
      j["set"] = in_operand(i.set);
      return j;
    }
    case ExprKind::kIsTest: {
      const auto& t = e->as<IsTest>();
      static constexpr const char* kWhat[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
      json j = node("IsTest", e->loc);
      j["negated"] = t.negated;
      j["what"] = kWhat[static_cast<int>(t.what)];
      j["operand"] = expr(t.operand.get());
      return j;
    }
    case ExprKind::kCase: {
      const auto& c = e->as<Case>();
      json j = node("Case", e->loc);
      j["operand"] = expr(c.operand.get());
      json whens = json::array();
      for (const auto& w : c.whens) {
        whens.push_back({{"condition", expr(w.condition.get())}, {"result", expr(w.result.get())}});
      }
      j["whens"] = std::move(whens);
      j["else"] = expr(c.else_result.get());
      return j;
    }
    case ExprKind::kCast: {
      const auto& c = e->as<Cast>();
      json j = node("Cast", e->loc);
      j["safe"] = c.safe;
      j["operand"] = expr(c.operand.get());
      j["type"] = type(c.type.get());
      if (c.format) j["format"] = expr(c.format.get());
      return j;
    }
    case ExprKind::kExtract: {
      const auto& x = e->as<Extract>();
      json j = node("Extract", e->loc);
      j["part"] = ident(x.part);
      j["part_argument"] = opt_ident(x.part_argument);
      j["operand"] = expr(x.operand.get());
      j["time_zone"] = expr(x.time_zone.get());
      return j;
    }
    case ExprKind::kInterval: {
      const auto& i = e->as<Interval>();
      json j = node("Interval", e->loc);
      j["value"] = expr(i.value.get());
      j["part"] = ident(i.part);
      j["to_part"] = opt_ident(i.to_part);
      return j;
    }
    case ExprKind::kFunctionCall: {
      const auto& f = e->as<FunctionCall>();
      json j = node("FunctionCall", e->loc);
      j["name"] = idents(f.name);
      if (f.star) j["star"] = true;
      if (f.distinct) j["distinct"] = true;
      json args = json::array();
      for (const auto& a : f.args) {
        static constexpr const char* kKinds[] = {"positional", "named", "lambda"};
        json arg{{"kind", kKinds[static_cast<int>(a.kind)]}, {"value", expr(a.value.get())}};
        if (a.kind == FunctionArgument::Kind::kNamed) arg["name"] = ident(a.name);
        if (a.kind == FunctionArgument::Kind::kLambda) arg["params"] = idents(a.lambda_params);
        args.push_back(std::move(arg));
      }
      j["args"] = std::move(args);
      if (f.null_handling != FunctionCall::NullHandling::kDefault) {
        j["nulls"] = f.null_handling == FunctionCall::NullHandling::kIgnore ? "IGNORE" : "RESPECT";
      }
      if (f.having) {
        j["having"] = {{"kind", f.having_kind == FunctionCall::HavingKind::kMax ? "MAX" : "MIN"},
                       {"expr", expr(f.having.get())}};
      }
      if (!f.order_by.empty()) j["order_by"] = ordering(f.order_by);
      if (f.limit) j["limit"] = expr(f.limit.get());
      if (f.offset) j["offset"] = expr(f.offset.get());
      if (f.over) {
        j["over"] = {{"window_name", opt_ident(f.over->window_name)},
                     {"spec", window(f.over->spec.get())}};
      }
      return j;
    }
    case ExprKind::kArrayConstructor: {
      const auto& a = e->as<ArrayConstructor>();
      json j = node("ArrayConstructor", e->loc);
      j["element_type"] = type(a.element_type.get());
      j["elements"] = exprs(a.elements);
      return j;
    }
    case ExprKind::kArraySubquery: {
      json j = node("ArraySubquery", e->loc);
      j["query"] = query(e->as<ArraySubquery>().query.get());
      return j;
    }
    case ExprKind::kStructConstructor: {
      const auto& s = e->as<StructConstructor>();
      json j = node("StructConstructor", e->loc);
      j["keyword"] = s.keyword;
      if (s.typed) j["type_fields"] = type_fields(s.type_fields);
      j["fields"] = struct_fields(s.fields);
      return j;
    }
    case ExprKind::kScalarSubquery: {
      json j = node("ScalarSubquery", e->loc);
      j["query"] = query(e->as<ScalarSubquery>().query.get());
      return j;
    }
    case ExprKind::kExists: {
      json j = node("Exists", e->loc);
      j["query"] = query(e->as<Exists>().query.get());
      return j;
    }
    case ExprKind::kParenthesized: {
      json j = node("Parenthesized", e->loc);
      j["inner"] = expr(e->as<Parenthesized>().inner.get());
      return j;
    }
    case ExprKind::kFieldAccess: {
      const auto& f = e->as<FieldAccess>();
      json j = node("FieldAccess", e->loc);
      j["operand"] = expr(f.operand.get());
      j["field"] = ident(f.field);
      return j;
    }
    case ExprKind::kSubscript: {
      const auto& s = e->as<Subscript>();
      static constexpr const char* kModes[] = {"plain", "OFFSET", "SAFE_OFFSET", "ORDINAL",
                                               "SAFE_ORDINAL"};
      json j = node("Subscript", e->loc);
      j["operand"] = expr(s.operand.get());
      j["mode"] = kModes[static_cast<int>(s.mode)];
      j["index"] = expr(s.index.get());
      return j;
    }
  }
  return nullptr;
}

json from(const FromItem* f) {
  if (f == nullptr) return nullptr;
  switch (f->kind) {
    case FromKind::kTable: {
      const auto& t = f->as<TableFrom>();
      json j = node("TableFrom", f->loc);
      j["path"] = idents(t.path);
      j["alias"] = opt_ident(t.alias);
      if (t.system_time) j["system_time"] = expr(t.system_time.get());
      if (t.sample_size) {
        j["tablesample"] = {{"size", expr(t.sample_size.get())},
                            {"unit", t.sample_rows ? "ROWS" : "PERCENT"}};
      }
      return j;
    }
    case FromKind::kSubquery: {
      const auto& s = f->as<SubqueryFrom>();
      json j = node("SubqueryFrom", f->loc);
      j["query"] = query(s.query.get());
      j["alias"] = opt_ident(s.alias);
      return j;
    }
    case FromKind::kUnnest: {
      const auto& u = f->as<UnnestFrom>();
      json j = node("UnnestFrom", f->loc);
      j["array"] = expr(u.array.get());
      j["alias"] = opt_ident(u.alias);
      if (u.with_offset) j["offset_alias"] = opt_ident(u.offset_alias);
      j["with_offset"] = u.with_offset;
      return j;
    }
    case FromKind::kTableFunction: {
      const auto& t = f->as<TableFunctionFrom>();
      json j = node("TableFunctionFrom", f->loc);
      j["name"] = idents(t.name);
      json args = json::array();
      for (const auto& a : t.args) args.push_back(expr(a.value.get()));
      j["args"] = std::move(args);
      j["alias"] = opt_ident(t.alias);
      return j;
    }
    case FromKind::kJoin: {
      const auto& jn = f->as<JoinFrom>();
      static constexpr const char* kTypes[] = {"COMMA", "CROSS", "JOIN", "INNER",
                                               "LEFT",  "RIGHT", "FULL"};
      json j = node("JoinFrom", f->loc);
      j["type"] = kTypes[static_cast<int>(jn.join_type)];
      j["left"] = from(jn.left.get());
      j["right"] = from(jn.right.get());
      if (jn.on) j["on"] = expr(jn.on.get());
      if (jn.using_columns) j["using"] = idents(*jn.using_columns);
      return j;
    }
    case FromKind::kParenthesized: {
      json j = node("ParenthesizedFrom", f->loc);
      j["inner"] = from(f->as<ParenthesizedFrom>().inner.get());
      return j;
    }
    case FromKind::kPivot: {
      const auto& p = f->as<PivotFrom>();
      json j = node("PivotFrom", f->loc);
      j["input"] = from(p.input.get());
      j["aggregates"] = struct_fields(p.aggregates);
      j["pivot_column"] = expr(p.pivot_column.get());
      j["values"] = struct_fields(p.values);
      j["alias"] = opt_ident(p.alias);
      return j;
    }
    case FromKind::kUnpivot: {
      const auto& u = f->as<UnpivotFrom>();
      auto columns = [](const UnpivotColumns& c) {
        json j{{"columns", idents(c.columns)}};
        if (!c.label.empty()) j["label"] = c.label;
        return j;
      };
      static constexpr const char* kNulls[] = {"default", "INCLUDE", "EXCLUDE"};
      json j = node("UnpivotFrom", f->loc);
      j["input"] = from(u.input.get());
      j["nulls"] = kNulls[static_cast<int>(u.nulls)];
      j["value_columns"] = columns(u.value_columns);
      j["name_column"] = ident(u.name_column);
      json entries = json::array();
      for (const auto& e : u.entries) entries.push_back(columns(e));
      j["entries"] = std::move(entries);
      j["alias"] = opt_ident(u.alias);
      return j;
    }
  }
  return nullptr;
}

json grouping_item(const GroupingItem& g) {
  static constexpr const char* kKinds[] = {"expression", "ROLLUP", "CUBE", "GROUPING SETS", "()"};
  json j{{"kind", kKinds[static_cast<int>(g.kind)]}};
  if (!g.exprs.empty()) j["exprs"] = exprs(g.exprs);
  if (!g.sets.empty()) {
    json sets = json::array();
    for (const auto& s : g.sets) sets.push_back(grouping_item(s));
    j["sets"] = std::move(sets);
  }
  return j;
}

json query_expr(const QueryExpr* e) {
  switch (e->kind) {
    case QueryExprKind::kSelect: {
      const auto& s = e->as<Select>();
      json j = node("Select", e->loc);
      if (s.select_as != Select::As::kNone) {
        j["as"] = s.select_as == Select::As::kStruct ? "STRUCT" : "VALUE";
      }
      if (s.distinct) j["distinct"] = true;
      json items = json::array();
      for (const auto& item : s.items) {
        static constexpr const char* kKinds[] = {"expression", "star", "dot_star"};
        json i{{"kind", kKinds[static_cast<int>(item.kind)]}};
        if (item.loc.line > 0) i["loc"] = {item.loc.line, item.loc.column};
        if (item.expr) i["expr"] = expr(item.expr.get());
        if (item.alias) i["alias"] = ident(*item.alias);
        if (!item.except_columns.empty()) i["except"] = idents(item.except_columns);
        if (!item.replace_items.empty()) i["replace"] = struct_fields(item.replace_items);
        items.push_back(std::move(i));
      }
      j["items"] = std::move(items);
      j["from"] = from(s.from.get());
      j["where"] = expr(s.where.get());
      if (s.group_by) {
        json g{{"all", s.group_by->all}};
        json gi = json::array();
        for (const auto& item : s.group_by->items) gi.push_back(grouping_item(item));
        g["items"] = std::move(gi);
        j["group_by"] = std::move(g);
      }
      j["having"] = expr(s.having.get());
      j["qualify"] = expr(s.qualify.get());
      if (!s.windows.empty()) {
        json w = json::array();
        for (const auto& nw : s.windows) {
          w.push_back({{"name", ident(nw.name)},
                       {"reference", opt_ident(nw.reference)},
                       {"spec", window(nw.spec.get())}});
        }
        j["windows"] = std::move(w);
      }
      return j;
    }
    case QueryExprKind::kSetOperation: {
      const auto& s = e->as<SetOperation>();
      static constexpr const char* kOps[] = {"UNION", "INTERSECT", "EXCEPT"};
      json j = node("SetOperation", e->loc);
      j["op"] = kOps[static_cast<int>(s.op)];
      j["distinct"] = s.distinct;
      if (s.by_name) j["by_name"] = true;
      if (s.corresponding) j["corresponding"] = true;
      if (!s.match_columns.empty()) j["match_columns"] = idents(s.match_columns);
      j["left"] = query_expr(s.left.get());
      j["right"] = query_expr(s.right.get());
      return j;
    }
    case QueryExprKind::kNested: {
      json j = node("NestedQuery", e->loc);
      j["query"] = query(e->as<NestedQuery>().query.get());
      return j;
    }
  }
  return nullptr;
}

json query(const Query* q) {
  if (q == nullptr) return nullptr;
  json j = node("Query", q->loc);
  if (!q->with.empty()) {
    json with = json::array();
    for (const auto& c : q->with)
      with.push_back({{"name", ident(c.name)}, {"query", query(c.query.get())}});
    j["with"] = std::move(with);
    if (q->recursive) j["recursive"] = true;
  }
  j["body"] = query_expr(q->body.get());
  if (!q->order_by.empty()) j["order_by"] = ordering(q->order_by);
  if (q->limit) j["limit"] = expr(q->limit.get());
  if (q->offset) j["offset"] = expr(q->offset.get());
  return j;
}

json function_params(const std::vector<FunctionParameter>& params) {
  json j = json::array();
  for (const auto& p : params) {
    json param{{"name", ident(p.name)}, {"type", p.type ? type(p.type.get()) : json("ANY TYPE")}};
    if (p.not_aggregate) param["not_aggregate"] = true;
    j.push_back(std::move(param));
  }
  return j;
}

json statement(const Statement& s) {
  switch (s.kind) {
    case StatementKind::kQuery: {
      json j = node("QueryStatement", s.loc);
      j["query"] = query(s.as<QueryStatement>().query.get());
      return j;
    }
    case StatementKind::kCreateFunction: {
      const auto& f = s.as<CreateFunction>();
      static constexpr const char* kDet[] = {"unspecified", "DETERMINISTIC", "NOT DETERMINISTIC"};
      json j = node("CreateFunction", s.loc);
      j["or_replace"] = f.or_replace;
      j["temporary"] = f.temporary;
      if (f.aggregate) j["aggregate"] = true;
      j["if_not_exists"] = f.if_not_exists;
      j["name"] = idents(f.name);
      j["params"] = function_params(f.params);
      j["returns"] = type(f.returns.get());
      j["determinism"] = kDet[static_cast<int>(f.determinism)];
      j["language"] = opt_ident(f.language);
      j["options"] = options(f.options);
      j["body"] = expr(f.body.get());
      return j;
    }
    case StatementKind::kCreateTableFunction: {
      const auto& f = s.as<CreateTableFunction>();
      json j = node("CreateTableFunction", s.loc);
      j["or_replace"] = f.or_replace;
      j["name"] = idents(f.name);
      j["params"] = function_params(f.params);
      j["returns"] = type(f.returns.get());
      j["options"] = options(f.options);
      j["query"] = query(f.query.get());
      return j;
    }
    case StatementKind::kCreateProcedure: {
      const auto& p = s.as<CreateProcedure>();
      static constexpr const char* kDir[] = {"default", "IN", "OUT", "INOUT"};
      json j = node("CreateProcedure", s.loc);
      j["or_replace"] = p.or_replace;
      j["name"] = idents(p.name);
      json params = json::array();
      for (const auto& param : p.params) {
        params.push_back({{"direction", kDir[static_cast<int>(param.direction)]},
                          {"name", ident(param.name)},
                          {"type", type(param.type.get())}});
      }
      j["params"] = std::move(params);
      j["options"] = options(p.options);
      j["body"] = statements(p.body);
      if (p.exception_handler) j["exception_handler"] = statements(*p.exception_handler);
      return j;
    }
    case StatementKind::kCreateTable: {
      const auto& t = s.as<CreateTable>();
      static constexpr const char* kVariants[] = {"TABLE", "SNAPSHOT TABLE", "EXTERNAL TABLE"};
      static constexpr const char* kSources[] = {"none", "LIKE", "COPY", "CLONE"};
      json j = node("CreateTable", s.loc);
      j["variant"] = kVariants[static_cast<int>(t.variant)];
      j["or_replace"] = t.or_replace;
      j["temporary"] = t.temporary;
      j["if_not_exists"] = t.if_not_exists;
      j["name"] = idents(t.name);
      j["columns"] = type_fields(t.columns);
      if (t.source_kind != CreateTable::Source::kNone) {
        j["source"] = {{"kind", kSources[static_cast<int>(t.source_kind)]},
                       {"name", idents(t.source)},
                       {"system_time", expr(t.source_system_time.get())}};
      }
      if (!t.collation.empty()) j["default_collate"] = t.collation;
      j["partition_by"] = expr(t.partition_by.get());
      j["cluster_by"] = exprs(t.cluster_by);
      j["options"] = options(t.options);
      j["query"] = query(t.query.get());
      return j;
    }
    case StatementKind::kCreateView: {
      const auto& v = s.as<CreateView>();
      json j = node("CreateView", s.loc);
      j["or_replace"] = v.or_replace;
      j["materialized"] = v.materialized;
      j["if_not_exists"] = v.if_not_exists;
      j["name"] = idents(v.name);
      json columns = json::array();
      for (const auto& c : v.columns)
        columns.push_back({{"name", ident(c.name)}, {"options", options(c.options)}});
      j["columns"] = std::move(columns);
      j["partition_by"] = expr(v.partition_by.get());
      j["cluster_by"] = exprs(v.cluster_by);
      j["options"] = options(v.options);
      j["query"] = query(v.query.get());
      return j;
    }
    case StatementKind::kCreateSchema: {
      const auto& c = s.as<CreateSchema>();
      json j = node("CreateSchema", s.loc);
      j["if_not_exists"] = c.if_not_exists;
      j["name"] = idents(c.name);
      j["options"] = options(c.options);
      return j;
    }
    case StatementKind::kDrop: {
      const auto& d = s.as<Drop>();
      json j = node("Drop", s.loc);
      j["object"] = d.object;
      j["if_exists"] = d.if_exists;
      j["name"] = idents(d.name);
      if (!d.behavior.empty()) j["behavior"] = d.behavior;
      return j;
    }
    case StatementKind::kInsert: {
      const auto& i = s.as<Insert>();
      json j = node("Insert", s.loc);
      j["target"] = idents(i.target);
      j["columns"] = idents(i.columns);
      if (i.query) {
        j["query"] = query(i.query.get());
      } else {
        json rows = json::array();
        for (const auto& r : i.rows) rows.push_back(exprs(r));
        j["rows"] = std::move(rows);
      }
      return j;
    }
    case StatementKind::kDelete: {
      const auto& d = s.as<Delete>();
      json j = node("Delete", s.loc);
      j["target"] = idents(d.target);
      j["alias"] = opt_ident(d.alias);
      j["where"] = expr(d.where.get());
      return j;
    }
    case StatementKind::kUpdate: {
      const auto& u = s.as<Update>();
      json j = node("Update", s.loc);
      j["target"] = idents(u.target);
      j["alias"] = opt_ident(u.alias);
      json items = json::array();
      for (const auto& item : u.items) {
        items.push_back({{"target", expr(item.target.get())}, {"value", expr(item.value.get())}});
      }
      j["set"] = std::move(items);
      j["from"] = from(u.from.get());
      j["where"] = expr(u.where.get());
      return j;
    }
    case StatementKind::kMerge: {
      const auto& m = s.as<Merge>();
      static constexpr const char* kMatch[] = {"MATCHED", "NOT MATCHED", "NOT MATCHED BY SOURCE"};
      static constexpr const char* kAction[] = {"UPDATE", "INSERT", "DELETE"};
      json j = node("Merge", s.loc);
      j["target"] = idents(m.target);
      j["alias"] = opt_ident(m.alias);
      j["source"] = from(m.source.get());
      j["on"] = expr(m.on.get());
      json clauses = json::array();
      for (const auto& c : m.clauses) {
        json clause{{"match", kMatch[static_cast<int>(c.match)]},
                    {"condition", expr(c.condition.get())},
                    {"action", kAction[static_cast<int>(c.action)]}};
        if (c.action == MergeClause::Action::kUpdate) {
          json items = json::array();
          for (const auto& item : c.updates) {
            items.push_back(
                {{"target", expr(item.target.get())}, {"value", expr(item.value.get())}});
          }
          clause["set"] = std::move(items);
        }
        if (c.action == MergeClause::Action::kInsert) {
          clause["columns"] = idents(c.columns);
          if (c.insert_row) {
            clause["row"] = true;
          } else {
            clause["values"] = exprs(c.values);
          }
        }
        clauses.push_back(std::move(clause));
      }
      j["clauses"] = std::move(clauses);
      return j;
    }
    case StatementKind::kTruncate: {
      json j = node("Truncate", s.loc);
      j["name"] = idents(s.as<Truncate>().name);
      return j;
    }
    case StatementKind::kExportData: {
      const auto& e = s.as<ExportData>();
      json j = node("ExportData", s.loc);
      j["connection"] = idents(e.connection);
      j["options"] = options(e.options);
      j["query"] = query(e.query.get());
      return j;
    }
    case StatementKind::kDeclare: {
      const auto& d = s.as<Declare>();
      json j = node("Declare", s.loc);
      j["names"] = idents(d.names);
      j["type"] = type(d.type.get());
      j["default"] = expr(d.default_value.get());
      return j;
    }
    case StatementKind::kSet: {
      const auto& st = s.as<Set>();
      json j = node("Set", s.loc);
      if (!st.system_variable.empty()) {
        j["system_variable"] = st.system_variable;
      } else {
        j["targets"] = idents(st.targets);
      }
      j["value"] = expr(st.value.get());
      return j;
    }
    case StatementKind::kBlock: {
      const auto& b = s.as<Block>();
      json j = node("Block", s.loc);
      j["label"] = opt_ident(b.label);
      j["body"] = statements(b.body);
      if (b.exception_handler) j["exception_handler"] = statements(*b.exception_handler);
      return j;
    }
    case StatementKind::kTransaction: {
      static constexpr const char* kActions[] = {"BEGIN", "COMMIT", "ROLLBACK"};
      json j = node("Transaction", s.loc);
      j["action"] = kActions[static_cast<int>(s.as<Transaction>().action)];
      return j;
    }
    case StatementKind::kIf: {
      const auto& f = s.as<If>();
      json j = node("If", s.loc);
      json branches = json::array();
      for (const auto& b : f.branches) {
        branches.push_back({{"condition", expr(b.condition.get())}, {"body", statements(b.body)}});
      }
      j["branches"] = std::move(branches);
      if (f.else_body) j["else"] = statements(*f.else_body);
      return j;
    }
    case StatementKind::kLoop: {
      const auto& l = s.as<Loop>();
      static constexpr const char* kForms[] = {"LOOP", "WHILE", "REPEAT", "FOR"};
      json j = node("Loop", s.loc);
      j["form"] = kForms[static_cast<int>(l.form)];
      j["label"] = opt_ident(l.label);
      if (l.condition) j["condition"] = expr(l.condition.get());
      if (l.form == Loop::Form::kFor) {
        j["variable"] = ident(l.variable);
        j["query"] = query(l.query.get());
      }
      j["body"] = statements(l.body);
      return j;
    }
    case StatementKind::kLoopControl: {
      const auto& l = s.as<LoopControl>();
      json j = node("LoopControl", s.loc);
      j["keyword"] = l.keyword;
      j["label"] = opt_ident(l.label);
      return j;
    }
    case StatementKind::kReturn:
      return node("Return", s.loc);
    case StatementKind::kRaise: {
      json j = node("Raise", s.loc);
      j["message"] = expr(s.as<Raise>().message.get());
      return j;
    }
    case StatementKind::kCall: {
      const auto& c = s.as<Call>();
      json j = node("Call", s.loc);
      j["name"] = idents(c.name);
      j["args"] = exprs(c.args);
      return j;
    }
    case StatementKind::kExecuteImmediate: {
      const auto& e = s.as<ExecuteImmediate>();
      json j = node("ExecuteImmediate", s.loc);
      j["sql"] = expr(e.sql.get());
      j["into"] = idents(e.into);
      j["using"] = struct_fields(e.using_args);
      return j;
    }
    case StatementKind::kAssert: {
      const auto& a = s.as<Assert>();
      json j = node("Assert", s.loc);
      j["condition"] = expr(a.condition.get());
      if (!a.description.empty()) j["description"] = a.description;
      return j;
    }
  }
  return nullptr;
}

json statements(const StatementList& list) {
  json j = json::array();
  for (const auto& s : list) j.push_back(statement(*s));
  return j;
}

}  // namespace

std::string to_json(const Script& script) {
  json j = node("Script", {});
  j["statements"] = statements(script.statements);
  return j.dump();
}

}  // namespace shredmit::syntax
