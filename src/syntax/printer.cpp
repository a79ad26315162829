// Printing the AST as SQL in a layout close to bigquery-etl's house style (see syntax.h); what
// shredmit writes goes through format_sql (format.h) for the exact style.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "keywords.h"
#include "syntax.h"

namespace shredmit::syntax {
namespace {

bool is_plain_identifier(std::string_view s) {
  if (s.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string backticked(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

// A name after a dot: reserved keywords are allowed bare there.
std::string print_field(const Identifier& id) {
  if (id.quoted || !is_plain_identifier(id.name)) return backticked(id.name);
  return id.name;
}

std::string spaces(int n) { return std::string(static_cast<size_t>(n), ' '); }

const char* binary_op_text(BinaryOp op) {
  switch (op) {
    case BinaryOp::kMultiply:
      return "*";
    case BinaryOp::kDivide:
      return "/";
    case BinaryOp::kConcat:
      return "||";
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSubtract:
      return "-";
    case BinaryOp::kShiftLeft:
      return "<<";
    case BinaryOp::kShiftRight:
      return ">>";
    case BinaryOp::kBitwiseAnd:
      return "&";
    case BinaryOp::kBitwiseXor:
      return "^";
    case BinaryOp::kBitwiseOr:
      return "|";
    case BinaryOp::kEqual:
      return "=";
    case BinaryOp::kNotEqual:
      return "!=";
    case BinaryOp::kLess:
      return "<";
    case BinaryOp::kLessOrEqual:
      return "<=";
    case BinaryOp::kGreater:
      return ">";
    case BinaryOp::kGreaterOrEqual:
      return ">=";
    case BinaryOp::kIsDistinctFrom:
      return "IS DISTINCT FROM";
    case BinaryOp::kIsNotDistinctFrom:
      return "IS NOT DISTINCT FROM";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

const char* literal_prefix(LiteralKind k) {
  switch (k) {
    case LiteralKind::kDate:
      return "DATE ";
    case LiteralKind::kDatetime:
      return "DATETIME ";
    case LiteralKind::kTime:
      return "TIME ";
    case LiteralKind::kTimestamp:
      return "TIMESTAMP ";
    case LiteralKind::kNumeric:
      return "NUMERIC ";
    case LiteralKind::kBigNumeric:
      return "BIGNUMERIC ";
    case LiteralKind::kJson:
      return "JSON ";
    default:
      return "";
  }
}

class Printer {
 public:
  // canonical: names are lower-cased and unquoted where possible, so that two texts that
  // BigQuery reads as the same expression print the same (used by equivalent()).
  explicit Printer(bool canonical = false, const ExprHook* hook = nullptr)
      : canonical_(canonical), hook_(hook) {}

  std::string name(const Identifier& id) const {
    if (!canonical_) return print(id);
    std::string lower = to_lower(id.name);
    return is_plain_identifier(lower) ? lower : backticked(lower);
  }
  std::string field(const Identifier& id) const { return canonical_ ? name(id) : print_field(id); }
  // ---------------------------------------------------------------- queries
  // Prints `q` whose first line starts at column `indent` (the caller has written the indent).
  void query(const Query& q, int indent) {
    if (!q.with.empty()) {
      out_ += q.recursive ? "WITH RECURSIVE " : "WITH ";
      for (size_t i = 0; i < q.with.size(); ++i) {
        if (i > 0) out_ += ",\n" + spaces(indent);
        out_ += name(q.with[i].name) + " AS (\n" + spaces(indent + 2);
        query(*q.with[i].query, indent + 2);
        out_ += "\n" + spaces(indent) + ")";
      }
      out_ += "\n" + spaces(indent);
    }
    query_expr(*q.body, indent);
    if (!q.order_by.empty()) {
      out_ += "\n" + spaces(indent) + "ORDER BY\n" + spaces(indent + 2);
      ordering_items(q.order_by, ",\n" + spaces(indent + 2), indent + 2);
    }
    if (q.limit) {
      out_ += "\n" + spaces(indent) + "LIMIT " + expr_text(*q.limit, indent);
      if (q.offset) out_ += " OFFSET " + expr_text(*q.offset, indent);
    }
  }

  void query_expr(const QueryExpr& e, int indent) {
    switch (e.kind) {
      case QueryExprKind::kSelect:
        select(e.as<Select>(), indent);
        return;
      case QueryExprKind::kSetOperation: {
        const auto& s = e.as<SetOperation>();
        query_expr(*s.left, indent);
        static constexpr const char* kOuter[] = {"", "FULL ", "LEFT ", "INNER ", "OUTER "};
        static constexpr const char* kOps[] = {"UNION", "INTERSECT", "EXCEPT"};
        out_ += "\n" + spaces(indent) + kOuter[static_cast<int>(s.outer)] +
                (s.outer_keyword ? "OUTER " : "") + kOps[static_cast<int>(s.op)] +
                (s.distinct ? " DISTINCT" : " ALL");
        if (s.by_name) out_ += " BY NAME";
        if (s.by_name && !s.match_columns.empty())
          out_ += " ON (" + names_text(s.match_columns) + ")";
        if (s.corresponding) out_ += s.strict ? " STRICT CORRESPONDING" : " CORRESPONDING";
        if (s.corresponding && !s.match_columns.empty()) {
          out_ += " BY (" + names_text(s.match_columns) + ")";
        }
        out_ += "\n" + spaces(indent);
        query_expr(*s.right, indent);
        return;
      }
      case QueryExprKind::kNested:
        out_ += "(\n" + spaces(indent + 2);
        query(*e.as<NestedQuery>().query, indent + 2);
        out_ += "\n" + spaces(indent) + ")";
        return;
    }
  }

  void clause(const char* keyword, const Expr& e, int indent) {
    out_ += "\n" + spaces(indent) + keyword + "\n" + spaces(indent + 2);
    condition(e, indent + 2);
  }

  // A condition whose top-level AND/OR chain puts each operator at the start of a new line
  // at `indent`, as bigquery-etl formats WHERE, HAVING, QUALIFY and ON.
  // A parenthesised AND/OR chain inside the chain opens its own block:
  //   a
  //   AND (
  //     b
  //     OR c
  //   )
  void condition(const Expr& e, int indent) {
    if (e.kind == ExprKind::kBinary) {
      const auto& b = e.as<Binary>();
      if (b.op == BinaryOp::kAnd || b.op == BinaryOp::kOr) {
        condition(*b.left, indent);
        out_ += "\n" + spaces(indent) + binary_op_text(b.op) + " ";
        if (is_parenthesized_chain(*b.right)) {
          chain_block(*b.right, indent);
        } else {
          expr(*b.right, indent, false);
        }
        return;
      }
    }
    if (is_parenthesized_chain(e)) {
      chain_block(e, indent);
      return;
    }
    expr(e, indent, true);
  }

  static bool is_parenthesized_chain(const Expr& e) {
    if (e.kind != ExprKind::kParenthesized) return false;
    const Expr& inner = *e.as<Parenthesized>().inner;
    return inner.kind == ExprKind::kBinary &&
           (inner.as<Binary>().op == BinaryOp::kAnd || inner.as<Binary>().op == BinaryOp::kOr);
  }

  void chain_block(const Expr& parenthesized, int indent) {
    out_ += "(\n" + spaces(indent + 2);
    condition(*parenthesized.as<Parenthesized>().inner, indent + 2);
    out_ += "\n" + spaces(indent) + ")";
  }

  void select(const Select& s, int indent) {
    out_ += "SELECT";
    if (s.distinct) out_ += " DISTINCT";
    if (s.all) out_ += " ALL";
    if (s.select_as == Select::As::kStruct) out_ += " AS STRUCT";
    if (s.select_as == Select::As::kValue) out_ += " AS VALUE";
    for (size_t i = 0; i < s.items.size(); ++i) {
      out_ += (i == 0 ? "\n" : ",\n") + spaces(indent + 2);
      select_item(s.items[i], indent + 2);
    }
    if (s.from) {
      out_ += "\n" + spaces(indent) + "FROM\n" + spaces(indent + 2);
      from_expression(*s.from, indent);
    }
    if (s.where) clause("WHERE", *s.where, indent);
    if (s.group_by) {
      out_ += "\n" + spaces(indent) + "GROUP BY";
      if (s.group_by->all) {
        out_ += "\n" + spaces(indent + 2) + "ALL";
      } else {
        for (size_t i = 0; i < s.group_by->items.size(); ++i) {
          out_ += (i == 0 ? "\n" : ",\n") + spaces(indent + 2);
          grouping_item(s.group_by->items[i], indent + 2);
        }
      }
    }
    if (s.having) clause("HAVING", *s.having, indent);
    if (s.qualify) clause("QUALIFY", *s.qualify, indent);
    if (!s.windows.empty()) {
      out_ += "\n" + spaces(indent) + "WINDOW";
      for (size_t i = 0; i < s.windows.size(); ++i) {
        const auto& w = s.windows[i];
        out_ += (i == 0 ? "\n" : ",\n") + spaces(indent + 2) + name(w.name) + " AS ";
        if (w.reference) {
          out_ += name(*w.reference);
        } else {
          out_ += "(" + window_spec_text(*w.spec, indent + 2) + ")";
        }
      }
    }
  }

  void select_item(const SelectItem& item, int indent) {
    switch (item.kind) {
      case SelectItem::Kind::kStar:
        out_ += "*";
        break;
      case SelectItem::Kind::kDotStar:
        expr(*item.expr, indent, false);
        out_ += ".*";
        break;
      case SelectItem::Kind::kExpression:
        expr(*item.expr, indent, true);
        if (item.alias) out_ += " AS " + name(*item.alias);
        return;
    }
    if (!item.except_columns.empty()) {
      out_ += " EXCEPT (";
      for (size_t i = 0; i < item.except_columns.size(); ++i) {
        if (i > 0) out_ += ", ";
        out_ += name(item.except_columns[i]);
      }
      out_ += ")";
    }
    if (!item.replace_items.empty()) {
      out_ += " REPLACE (";
      for (size_t i = 0; i < item.replace_items.size(); ++i) {
        if (i > 0) out_ += ", ";
        out_ += expr_text(*item.replace_items[i].value, indent) + " AS " +
                name(*item.replace_items[i].alias);
      }
      out_ += ")";
    }
  }

  void grouping_item(const GroupingItem& g, int indent) {
    switch (g.kind) {
      case GroupingItem::Kind::kExpression:
        expr(*g.exprs[0], indent, false);
        return;
      case GroupingItem::Kind::kRollup:
      case GroupingItem::Kind::kCube:
        out_ += g.kind == GroupingItem::Kind::kRollup ? "ROLLUP(" : "CUBE(";
        for (size_t i = 0; i < g.exprs.size(); ++i) {
          if (i > 0) out_ += ", ";
          expr(*g.exprs[i], indent, false);
        }
        out_ += ")";
        return;
      case GroupingItem::Kind::kGroupingSets:
        out_ += "GROUPING SETS (";
        for (size_t i = 0; i < g.sets.size(); ++i) {
          if (i > 0) out_ += ", ";
          grouping_item(g.sets[i], indent);
        }
        out_ += ")";
        return;
      case GroupingItem::Kind::kEmpty:
        out_ += "()";
        return;
    }
  }

  // Prints a FROM expression whose first item starts at indent + 2; join keywords go at
  // `indent`, conditions under the joined item at indent + 2.
  void from_expression(const FromItem& f, int indent) {
    if (f.kind != FromKind::kJoin) {
      from_primary(f, indent + 2);
      return;
    }
    const auto& j = f.as<JoinFrom>();
    from_expression(*j.left, indent);
    if (j.join_type == JoinType::kComma) {
      out_ += ",\n" + spaces(indent + 2);
    } else {
      static constexpr const char* kTypes[] = {"",      "CROSS ", "",     "INNER ",
                                               "LEFT ", "RIGHT ", "FULL "};
      out_ += "\n" + spaces(indent) + kTypes[static_cast<int>(j.join_type)] +
              (j.outer_keyword ? "OUTER " : "") + "JOIN\n" + spaces(indent + 2);
    }
    from_primary(*j.right, indent + 2);
    if (j.on) {
      out_ += "\n" + spaces(indent + 2) + "ON ";
      condition(*j.on, indent + 2);
    } else if (j.using_columns) {
      out_ += "\n" + spaces(indent + 2) + "USING (";
      for (size_t i = 0; i < j.using_columns->size(); ++i) {
        if (i > 0) out_ += ", ";
        out_ += name((*j.using_columns)[i]);
      }
      out_ += ")";
    }
  }

  void alias(const std::optional<Identifier>& a) {
    if (a) out_ += " AS " + name(*a);
  }

  void from_primary(const FromItem& f, int indent) {
    switch (f.kind) {
      case FromKind::kTable: {
        const auto& t = f.as<TableFrom>();
        out_ += path_text(t.path);
        if (t.system_time) out_ += " FOR SYSTEM_TIME AS OF " + expr_text(*t.system_time, indent);
        alias(t.alias);
        if (t.sample_size) {
          out_ += " TABLESAMPLE SYSTEM (" + expr_text(*t.sample_size, indent) +
                  (t.sample_rows ? " ROWS)" : " PERCENT)");
        }
        return;
      }
      case FromKind::kPivot: {
        const auto& p = f.as<PivotFrom>();
        from_primary(*p.input, indent);
        out_ += " PIVOT(" + struct_fields_text(p.aggregates, indent) + " FOR " +
                expr_text(*p.pivot_column, indent) + " IN (" +
                struct_fields_text(p.values, indent) + "))";
        alias(p.alias);
        return;
      }
      case FromKind::kUnpivot: {
        const auto& u = f.as<UnpivotFrom>();
        from_primary(*u.input, indent);
        static constexpr const char* kNulls[] = {"", " INCLUDE NULLS", " EXCLUDE NULLS"};
        out_ += std::string(" UNPIVOT") + kNulls[static_cast<int>(u.nulls)] + "(" +
                unpivot_columns_text(u.value_columns) + " FOR " + name(u.name_column) + " IN (";
        for (size_t i = 0; i < u.entries.size(); ++i) {
          out_ += (i ? ", " : "") + unpivot_columns_text(u.entries[i]);
          if (!u.entries[i].label.empty()) out_ += " AS " + u.entries[i].label;
        }
        out_ += "))";
        alias(u.alias);
        return;
      }
      case FromKind::kSubquery: {
        const auto& s = f.as<SubqueryFrom>();
        out_ += "(\n" + spaces(indent + 2);
        query(*s.query, indent + 2);
        out_ += "\n" + spaces(indent) + ")";
        alias(s.alias);
        return;
      }
      case FromKind::kUnnest: {
        const auto& u = f.as<UnnestFrom>();
        out_ += "UNNEST(" + expr_text(*u.array, indent) + ")";
        alias(u.alias);
        if (u.with_offset) {
          out_ += " WITH OFFSET";
          alias(u.offset_alias);
        }
        return;
      }
      case FromKind::kTableFunction: {
        const auto& t = f.as<TableFunctionFrom>();
        out_ += function_name(t.name) + "(" + arguments_text(t.args, indent) + ")";
        alias(t.alias);
        return;
      }
      case FromKind::kParenthesized:
        out_ += "(\n" + spaces(indent + 4);
        from_expression(*f.as<ParenthesizedFrom>().inner, indent + 2);
        out_ += "\n" + spaces(indent) + ")";
        return;
      case FromKind::kJoin:
        from_expression(f, indent - 2);
        return;
    }
  }

  // ---------------------------------------------------------------- statements
  std::string path_text(const std::vector<Identifier>& path) {
    std::string out;
    for (size_t i = 0; i < path.size(); ++i) out += i == 0 ? name(path[i]) : "." + field(path[i]);
    return out;
  }

  std::string names_text(const std::vector<Identifier>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + name(names[i]);
    return out;
  }

  // OPTIONS (a = x) on one line, or one entry per line when there are several.
  std::string options_text(const std::vector<OptionEntry>& options, int indent) {
    if (options.size() == 1) {
      return "OPTIONS (" + name(options[0].name) + " = " + expr_text(*options[0].value, indent) +
             ")";
    }
    std::string out = "OPTIONS (";
    for (size_t i = 0; i < options.size(); ++i) {
      out += (i ? ",\n" : "\n") + spaces(indent + 2) + name(options[i].name) + " = " +
             expr_text(*options[i].value, indent + 2);
    }
    return out + "\n" + spaces(indent) + ")";
  }

  void line(const std::string& text, int indent) { out_ += "\n" + spaces(indent) + text; }

  // `PARTITION BY`, `CLUSTER BY` and `OPTIONS` lines shared by CREATE TABLE and CREATE VIEW.
  void table_clauses(const ExprPtr& partition_by, const std::vector<ExprPtr>& cluster_by,
                     const std::vector<OptionEntry>& options, int indent) {
    if (partition_by) line("PARTITION BY " + expr_text(*partition_by, indent), indent);
    if (!cluster_by.empty()) {
      std::string text = "CLUSTER BY ";
      for (size_t i = 0; i < cluster_by.size(); ++i) {
        text += (i ? ", " : "") + expr_text(*cluster_by[i], indent);
      }
      line(text, indent);
    }
    if (!options.empty()) line(options_text(options, indent), indent);
  }

  void as_query(const Query& q, int indent) {
    line("AS", indent);
    line("", indent);
    query(q, indent);
  }

  std::string function_parameters_text(const std::vector<FunctionParameter>& params) {
    std::string out = "(";
    for (size_t i = 0; i < params.size(); ++i) {
      if (i > 0) out += ", ";
      out +=
          name(params[i].name) + " " + (params[i].type ? type_text(*params[i].type) : "ANY TYPE");
      if (params[i].not_aggregate) out += " NOT AGGREGATE";
    }
    return out + ")";
  }

  void statements(const StatementList& list, int indent) {
    for (const auto& s : list) {
      line("", indent);
      statement(*s, indent);
      out_ += ";";
    }
  }

  std::string values_text(const std::vector<ExprPtr>& row, int indent) {
    std::string out = "(";
    for (size_t i = 0; i < row.size(); ++i) {
      out += (i ? ", " : "") + (row[i] ? expr_text(*row[i], indent) : std::string("DEFAULT"));
    }
    return out + ")";
  }

  void update_items(const std::vector<UpdateItem>& items, int indent) {
    for (size_t i = 0; i < items.size(); ++i) {
      out_ += (i ? ",\n" : "\n") + spaces(indent) + expr_text(*items[i].target, indent) + " = " +
              (items[i].value ? expr_text(*items[i].value, indent) : "DEFAULT");
    }
  }

  std::string label_text(const std::optional<Identifier>& label) {
    return label ? name(*label) + ": " : "";
  }

  std::string create_prefix(bool or_replace, bool temporary) {
    return std::string("CREATE ") + (or_replace ? "OR REPLACE " : "") + (temporary ? "TEMP " : "");
  }

  // Appends statement `s`; the caller has written the indent of its first line.
  void statement(const Statement& s, int indent) {
    switch (s.kind) {
      case StatementKind::kQuery:
        query(*s.as<QueryStatement>().query, indent);
        return;
      case StatementKind::kCreateFunction: {
        const auto& f = s.as<CreateFunction>();
        out_ += create_prefix(f.or_replace, f.temporary) + (f.aggregate ? "AGGREGATE " : "") +
                "FUNCTION " + (f.if_not_exists ? "IF NOT EXISTS " : "") + path_text(f.name) +
                function_parameters_text(f.params);
        if (f.returns) line("RETURNS " + type_text(*f.returns), indent);
        if (f.determinism == CreateFunction::Determinism::kDeterministic) {
          line("DETERMINISTIC", indent);
        } else if (f.determinism == CreateFunction::Determinism::kNotDeterministic) {
          line("NOT DETERMINISTIC", indent);
        }
        if (f.language) line("LANGUAGE " + name(*f.language), indent);
        if (f.options_before_body && !f.options.empty()) {
          line(options_text(f.options, indent), indent);
        }
        if (f.body) line("AS " + expr_text(*f.body, indent, true), indent);
        if (!f.options_before_body && !f.options.empty()) {
          line(options_text(f.options, indent), indent);
        }
        return;
      }
      case StatementKind::kCreateTableFunction: {
        const auto& f = s.as<CreateTableFunction>();
        out_ += create_prefix(f.or_replace, false) + "TABLE FUNCTION " +
                (f.if_not_exists ? "IF NOT EXISTS " : "") + path_text(f.name) +
                function_parameters_text(f.params);
        if (f.returns) line("RETURNS " + type_text(*f.returns), indent);
        if (!f.options.empty()) line(options_text(f.options, indent), indent);
        as_query(*f.query, indent);
        return;
      }
      case StatementKind::kCreateProcedure: {
        const auto& p = s.as<CreateProcedure>();
        out_ += create_prefix(p.or_replace, false) + "PROCEDURE " +
                (p.if_not_exists ? "IF NOT EXISTS " : "") + path_text(p.name) + "(";
        static constexpr const char* kDirections[] = {"", "IN ", "OUT ", "INOUT "};
        for (size_t i = 0; i < p.params.size(); ++i) {
          out_ += (i ? ", " : "") +
                  std::string(kDirections[static_cast<int>(p.params[i].direction)]) +
                  name(p.params[i].name) + " " + type_text(*p.params[i].type);
        }
        out_ += ")";
        if (!p.options.empty()) line(options_text(p.options, indent), indent);
        line("BEGIN", indent);
        block_body(p.body, p.exception_handler, indent);
        return;
      }
      case StatementKind::kBlock: {
        const auto& b = s.as<Block>();
        out_ += label_text(b.label) + "BEGIN";
        block_body(b.body, b.exception_handler, indent);
        return;
      }
      case StatementKind::kCreateTable: {
        const auto& t = s.as<CreateTable>();
        static constexpr const char* kVariants[] = {"", "SNAPSHOT ", "EXTERNAL "};
        out_ += create_prefix(t.or_replace, t.temporary) + kVariants[static_cast<int>(t.variant)] +
                "TABLE " + (t.if_not_exists ? "IF NOT EXISTS " : "") + path_text(t.name);
        if (!t.columns.empty()) {
          out_ += " (";
          for (size_t i = 0; i < t.columns.size(); ++i) {
            out_ += (i ? ",\n" : "\n") + spaces(indent + 2) +
                    struct_type_field_text(t.columns[i], indent + 2);
          }
          line(")", indent);
        }
        if (t.source_kind != CreateTable::Source::kNone) {
          static constexpr const char* kSources[] = {"", "LIKE ", "COPY ", "CLONE "};
          line(kSources[static_cast<int>(t.source_kind)] + path_text(t.source), indent);
          if (t.source_system_time) {
            out_ += " FOR SYSTEM_TIME AS OF " + expr_text(*t.source_system_time, indent);
          }
        }
        if (!t.collation.empty()) line("DEFAULT COLLATE " + t.collation, indent);
        table_clauses(t.partition_by, t.cluster_by, t.options, indent);
        if (t.query) as_query(*t.query, indent);
        return;
      }
      case StatementKind::kCreateView: {
        const auto& v = s.as<CreateView>();
        out_ += create_prefix(v.or_replace, false) + (v.materialized ? "MATERIALIZED " : "") +
                "VIEW " + (v.if_not_exists ? "IF NOT EXISTS " : "");
        line("  " + path_text(v.name), indent);
        if (!v.columns.empty()) {
          out_ += " (";
          for (size_t i = 0; i < v.columns.size(); ++i) {
            out_ += (i ? ",\n" : "\n") + spaces(indent + 4) + name(v.columns[i].name);
            if (!v.columns[i].options.empty()) {
              out_ += " " + options_text(v.columns[i].options, indent + 4);
            }
          }
          line("  )", indent);
        }
        table_clauses(v.partition_by, v.cluster_by, v.options, indent);
        as_query(*v.query, indent);
        return;
      }
      case StatementKind::kCreateSchema: {
        const auto& c = s.as<CreateSchema>();
        out_ += std::string("CREATE SCHEMA ") + (c.if_not_exists ? "IF NOT EXISTS " : "") +
                path_text(c.name);
        if (!c.options.empty()) line(options_text(c.options, indent), indent);
        return;
      }
      case StatementKind::kDrop: {
        const auto& d = s.as<Drop>();
        out_ += "DROP " + d.object + (d.if_exists ? " IF EXISTS " : " ") + path_text(d.name);
        if (!d.behavior.empty()) out_ += " " + d.behavior;
        return;
      }
      case StatementKind::kInsert: {
        const auto& i = s.as<Insert>();
        out_ += "INSERT INTO " + path_text(i.target);
        if (!i.columns.empty()) out_ += " (" + names_text(i.columns) + ")";
        if (i.query) {
          line("", indent);
          query(*i.query, indent);
        } else {
          line("VALUES", indent);
          for (size_t r = 0; r < i.rows.size(); ++r) {
            out_ += (r ? ",\n" : "\n") + spaces(indent + 2) + values_text(i.rows[r], indent + 2);
          }
        }
        return;
      }
      case StatementKind::kDelete: {
        const auto& d = s.as<Delete>();
        out_ += "DELETE FROM " + path_text(d.target);
        alias(d.alias);
        clause("WHERE", *d.where, indent);
        return;
      }
      case StatementKind::kUpdate: {
        const auto& u = s.as<Update>();
        out_ += "UPDATE " + path_text(u.target);
        alias(u.alias);
        line("SET", indent);
        update_items(u.items, indent + 2);
        if (u.from) {
          line("FROM", indent);
          line("", indent + 2);
          from_expression(*u.from, indent);
        }
        clause("WHERE", *u.where, indent);
        return;
      }
      case StatementKind::kMerge: {
        const auto& m = s.as<Merge>();
        out_ += "MERGE INTO " + path_text(m.target);
        alias(m.alias);
        line("USING", indent);
        line("", indent + 2);
        from_expression(*m.source, indent);
        line("ON ", indent);
        condition(*m.on, indent);
        for (const auto& c : m.clauses) {
          static constexpr const char* kMatches[] = {"WHEN MATCHED", "WHEN NOT MATCHED",
                                                     "WHEN NOT MATCHED BY SOURCE"};
          std::string head = kMatches[static_cast<int>(c.match)];
          if (c.by_target) head += " BY TARGET";
          if (c.condition) head += " AND " + expr_text(*c.condition, indent);
          line(head + " THEN", indent);
          switch (c.action) {
            case MergeClause::Action::kUpdate:
              line("UPDATE SET", indent + 2);
              update_items(c.updates, indent + 4);
              break;
            case MergeClause::Action::kInsert:
              line("INSERT", indent + 2);
              if (!c.columns.empty()) out_ += " (" + names_text(c.columns) + ")";
              out_ += c.insert_row ? " ROW" : " VALUES " + values_text(c.values, indent + 2);
              break;
            case MergeClause::Action::kDelete:
              line("DELETE", indent + 2);
              break;
          }
        }
        return;
      }
      case StatementKind::kTruncate:
        out_ += "TRUNCATE TABLE " + path_text(s.as<Truncate>().name);
        return;
      case StatementKind::kExportData: {
        const auto& e = s.as<ExportData>();
        out_ += "EXPORT DATA";
        if (!e.connection.empty()) out_ += " WITH CONNECTION " + path_text(e.connection);
        line(options_text(e.options, indent), indent);
        as_query(*e.query, indent);
        return;
      }
      case StatementKind::kDeclare: {
        const auto& d = s.as<Declare>();
        out_ += "DECLARE " + names_text(d.names);
        if (d.type) out_ += " " + type_text(*d.type);
        if (d.default_value) out_ += " DEFAULT " + expr_text(*d.default_value, indent, true);
        return;
      }
      case StatementKind::kSet: {
        const auto& st = s.as<Set>();
        out_ += "SET ";
        if (!st.system_variable.empty()) {
          out_ += "@@" + st.system_variable;
        } else if (st.tuple) {
          out_ += "(" + names_text(st.targets) + ")";
        } else {
          out_ += name(st.targets[0]);
        }
        out_ += " = " + expr_text(*st.value, indent, true);
        return;
      }
      case StatementKind::kTransaction: {
        const auto& t = s.as<Transaction>();
        static constexpr const char* kActions[] = {"BEGIN", "COMMIT", "ROLLBACK"};
        out_ += kActions[static_cast<int>(t.action)];
        if (t.transaction_keyword) out_ += " TRANSACTION";
        return;
      }
      case StatementKind::kIf: {
        const auto& f = s.as<If>();
        for (size_t i = 0; i < f.branches.size(); ++i) {
          if (i > 0)
            line("ELSEIF ", indent);
          else
            out_ += "IF ";
          out_ += expr_text(*f.branches[i].condition, indent, true) + " THEN";
          statements(f.branches[i].body, indent + 2);
        }
        if (f.else_body) {
          line("ELSE", indent);
          statements(*f.else_body, indent + 2);
        }
        line("END IF", indent);
        return;
      }
      case StatementKind::kLoop: {
        const auto& l = s.as<Loop>();
        out_ += label_text(l.label);
        switch (l.form) {
          case Loop::Form::kLoop:
            out_ += "LOOP";
            statements(l.body, indent + 2);
            line("END LOOP", indent);
            return;
          case Loop::Form::kWhile:
            out_ += "WHILE " + expr_text(*l.condition, indent, true) + " DO";
            statements(l.body, indent + 2);
            line("END WHILE", indent);
            return;
          case Loop::Form::kRepeat:
            out_ += "REPEAT";
            statements(l.body, indent + 2);
            line("UNTIL " + expr_text(*l.condition, indent, true), indent);
            line("END REPEAT", indent);
            return;
          case Loop::Form::kFor:
            out_ += "FOR " + name(l.variable) + " IN ";
            subquery(*l.query, indent);
            out_ += " DO";
            statements(l.body, indent + 2);
            line("END FOR", indent);
            return;
        }
        return;
      }
      case StatementKind::kLoopControl: {
        const auto& l = s.as<LoopControl>();
        out_ += l.keyword;
        if (l.label) out_ += " " + name(*l.label);
        return;
      }
      case StatementKind::kReturn:
        out_ += "RETURN";
        return;
      case StatementKind::kRaise: {
        const auto& r = s.as<Raise>();
        out_ += "RAISE";
        if (r.message) out_ += " USING MESSAGE = " + expr_text(*r.message, indent, true);
        return;
      }
      case StatementKind::kCall: {
        const auto& c = s.as<Call>();
        out_ += "CALL " + path_text(c.name) + "(";
        for (size_t i = 0; i < c.args.size(); ++i) {
          out_ += (i ? ", " : "") + expr_text(*c.args[i], indent);
        }
        out_ += ")";
        return;
      }
      case StatementKind::kExecuteImmediate: {
        const auto& e = s.as<ExecuteImmediate>();
        out_ += "EXECUTE IMMEDIATE " + expr_text(*e.sql, indent, true);
        if (!e.into.empty()) line("INTO " + names_text(e.into), indent);
        if (!e.using_args.empty()) {
          std::string text = "USING ";
          for (size_t i = 0; i < e.using_args.size(); ++i) {
            text += (i ? ", " : "") + expr_text(*e.using_args[i].value, indent);
            if (e.using_args[i].alias) text += " AS " + name(*e.using_args[i].alias);
          }
          line(text, indent);
        }
        return;
      }
      case StatementKind::kAssert: {
        const auto& a = s.as<Assert>();
        out_ += "ASSERT " + expr_text(*a.condition, indent, true);
        if (!a.description.empty()) out_ += " AS " + a.description;
        return;
      }
    }
  }

  void block_body(const StatementList& body, const std::optional<StatementList>& handler,
                  int indent) {
    statements(body, indent + 2);
    if (handler) {
      line("EXCEPTION WHEN ERROR THEN", indent);
      statements(*handler, indent + 2);
    }
    line("END", indent);
  }

  std::string struct_fields_text(const std::vector<StructField>& fields, int indent) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) {
      out += (i ? ", " : "") + expr_text(*fields[i].value, indent);
      if (fields[i].alias) out += " AS " + name(*fields[i].alias);
    }
    return out;
  }

  std::string unpivot_columns_text(const UnpivotColumns& c) {
    return c.parenthesized ? "(" + names_text(c.columns) + ")" : names_text(c.columns);
  }

  // ---------------------------------------------------------------- expressions
  std::string expr_text(const Expr& e, int indent, bool multiline_case = false) {
    Printer p(canonical_, hook_);
    p.expr(e, indent, multiline_case);
    return std::move(p.out_);
  }

  void ordering_items(const std::vector<OrderingItem>& items, const std::string& sep, int indent) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += sep;
      const auto& o = items[i];
      expr(*o.expr, indent, false);
      if (o.direction == OrderingItem::Direction::kAsc) out_ += " ASC";
      if (o.direction == OrderingItem::Direction::kDesc) out_ += " DESC";
      if (o.nulls == OrderingItem::Nulls::kFirst) out_ += " NULLS FIRST";
      if (o.nulls == OrderingItem::Nulls::kLast) out_ += " NULLS LAST";
    }
  }

  std::string frame_bound_text(const FrameBound& b, int indent) {
    switch (b.kind) {
      case FrameBound::Kind::kUnboundedPreceding:
        return "UNBOUNDED PRECEDING";
      case FrameBound::Kind::kUnboundedFollowing:
        return "UNBOUNDED FOLLOWING";
      case FrameBound::Kind::kCurrentRow:
        return "CURRENT ROW";
      case FrameBound::Kind::kPreceding:
        return expr_text(*b.offset, indent) + " PRECEDING";
      case FrameBound::Kind::kFollowing:
        return expr_text(*b.offset, indent) + " FOLLOWING";
    }
    return "";
  }

  std::string window_spec_text(const WindowSpecification& w, int indent) {
    Printer p(canonical_, hook_);
    auto sep = [&p] {
      if (!p.out_.empty()) p.out_ += " ";
    };
    if (w.base_window) p.out_ += name(*w.base_window);
    if (!w.partition_by.empty()) {
      sep();
      p.out_ += "PARTITION BY ";
      for (size_t i = 0; i < w.partition_by.size(); ++i) {
        if (i > 0) p.out_ += ", ";
        p.expr(*w.partition_by[i], indent, false);
      }
    }
    if (!w.order_by.empty()) {
      sep();
      p.out_ += "ORDER BY ";
      p.ordering_items(w.order_by, ", ", indent);
    }
    if (w.frame) {
      sep();
      p.out_ += w.frame->unit == WindowFrame::Unit::kRows ? "ROWS " : "RANGE ";
      if (w.frame->between) {
        p.out_ += "BETWEEN " + frame_bound_text(w.frame->start, indent) + " AND " +
                  frame_bound_text(w.frame->end, indent);
      } else {
        p.out_ += frame_bound_text(w.frame->start, indent);
      }
    }
    return std::move(p.out_);
  }

  std::string function_name(const std::vector<Identifier>& parts) const {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ".";
      // The first part of a function name may be a reserved word used as a function (IF).
      out += (i == 0 && !parts[i].quoted && !canonical_) ? parts[i].name : field(parts[i]);
    }
    return out;
  }

  std::string arguments_text(const std::vector<FunctionArgument>& args, int indent) {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) out += ", ";
      const auto& a = args[i];
      switch (a.kind) {
        case FunctionArgument::Kind::kPositional:
          break;
        case FunctionArgument::Kind::kNamed:
          out += name(a.name) + " => ";
          break;
        case FunctionArgument::Kind::kLambda: {
          if (a.lambda_parenthesized) out += "(";
          for (size_t k = 0; k < a.lambda_params.size(); ++k) {
            if (k > 0) out += ", ";
            out += name(a.lambda_params[k]);
          }
          if (a.lambda_parenthesized) out += ")";
          out += " -> ";
          break;
        }
      }
      out += expr_text(*a.value, indent);
    }
    return out;
  }

  void subquery(const Query& q, int indent) {
    out_ += "(\n" + spaces(indent + 2);
    query(q, indent + 2);
    out_ += "\n" + spaces(indent) + ")";
  }

  void in_operand(const InOperand& op, int indent) {
    switch (op.kind) {
      case InOperand::Kind::kSubquery:
        subquery(*op.query, indent);
        return;
      case InOperand::Kind::kUnnest:
        out_ += "UNNEST(" + expr_text(*op.array, indent) + ")";
        return;
      case InOperand::Kind::kList:
        out_ += "(";
        for (size_t i = 0; i < op.list.size(); ++i) {
          if (i > 0) out_ += ", ";
          expr(*op.list[i], indent, false);
        }
        out_ += ")";
        return;
    }
  }

  std::string type_text(const Type& t) {
    switch (t.kind) {
      case Type::Kind::kArray:
        return "ARRAY<" + type_text(*t.element) + ">";
      case Type::Kind::kRange:
        return "RANGE<" + type_text(*t.element) + ">";
      case Type::Kind::kInterval:
        return "INTERVAL";
      case Type::Kind::kStruct:
        return "STRUCT<" + struct_type_fields(t.fields) + ">";
      case Type::Kind::kTable:
        return "TABLE<" + struct_type_fields(t.fields) + ">";
      case Type::Kind::kNamed: {
        std::string out = t.name.quoted ? backticked(t.name.name) : to_upper(t.name.name);
        if (!t.params.empty()) {
          out += "(";
          for (size_t i = 0; i < t.params.size(); ++i) out += (i ? ", " : "") + t.params[i];
          out += ")";
        }
        return out;
      }
    }
    return "";
  }

  std::string struct_type_fields(const std::vector<StructTypeField>& fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ", ";
      out += struct_type_field_text(fields[i], 0);
    }
    return out;
  }

  std::string struct_type_field_text(const StructTypeField& f, int indent) {
    std::string out;
    if (f.name) out += name(*f.name) + " ";
    out += type_text(*f.type);
    if (f.not_null) out += " NOT NULL";
    if (f.default_value) out += " DEFAULT " + expr_text(*f.default_value, indent);
    if (!f.options.empty()) out += " " + options_text(f.options, indent);
    return out;
  }

  // Appends `e`. `indent` is the indent of the line the expression starts on; subqueries and
  // (when multiline_case) CASE expressions break lines relative to it.
  void expr(const Expr& e, int indent, bool multiline_case) {
    if (hook_ != nullptr && *hook_) {
      if (auto text = (*hook_)(e)) {
        out_ += *text;
        return;
      }
    }
    switch (e.kind) {
      case ExprKind::kLiteral: {
        const auto& l = e.as<Literal>();
        if (l.literal_kind == LiteralKind::kRange) {
          out_ += "RANGE<" + type_text(*l.range_type) + "> ";
        } else {
          out_ += literal_prefix(l.literal_kind);
        }
        out_ += l.spelling;
        return;
      }
      case ExprKind::kName:
        out_ += name(e.as<NameRef>().name);
        return;
      case ExprKind::kParameter: {
        const auto& p = e.as<Parameter>();
        if (p.parameter_kind == ParameterKind::kPositional) {
          out_ += "?";
        } else {
          out_ += p.parameter_kind == ParameterKind::kSystem ? "@@" : "@";
          out_ += (p.parameter_kind == ParameterKind::kNamed && !is_plain_identifier(p.name))
                      ? backticked(p.name)
                      : p.name;
        }
        return;
      }
      case ExprKind::kUnary: {
        const auto& u = e.as<Unary>();
        std::string operand = expr_text(*u.operand, indent);
        switch (u.op) {
          case UnaryOp::kNot:
            out_ += "NOT " + operand;
            return;
          case UnaryOp::kBitwiseNot:
            out_ += "~" + operand;
            return;
          case UnaryOp::kMinus:
          case UnaryOp::kPlus:
            out_ += u.op == UnaryOp::kMinus ? "-" : "+";
            // "- -1" must not become the comment "--1".
            if (!operand.empty() && (operand[0] == '-' || operand[0] == '+')) out_ += " ";
            out_ += operand;
            return;
        }
        return;
      }
      case ExprKind::kBinary: {
        const auto& b = e.as<Binary>();
        expr(*b.left, indent, false);
        out_ += std::string(" ") + binary_op_text(b.op) + " ";
        expr(*b.right, indent, false);
        return;
      }
      case ExprKind::kLike: {
        const auto& l = e.as<Like>();
        expr(*l.operand, indent, false);
        out_ += l.negated ? " NOT LIKE " : " LIKE ";
        if (l.quantifier == LikeQuantifier::kNone) {
          expr(*l.pattern, indent, false);
        } else {
          static constexpr const char* kQ[] = {"", "ANY ", "SOME ", "ALL "};
          out_ += kQ[static_cast<int>(l.quantifier)];
          in_operand(l.patterns, indent);
        }
        return;
      }
      case ExprKind::kBetween: {
        const auto& b = e.as<Between>();
        expr(*b.operand, indent, false);
        out_ += b.negated ? " NOT BETWEEN " : " BETWEEN ";
        expr(*b.low, indent, false);
        out_ += " AND ";
        expr(*b.high, indent, false);
        return;
      }
      case ExprKind::kIn: {
        const auto& i = e.as<In>();
        expr(*i.operand, indent, false);
        out_ += i.negated ? " NOT IN " : " IN ";
        in_operand(i.set, indent);
        return;
      }
      case ExprKind::kIsTest: {
        const auto& t = e.as<IsTest>();
        expr(*t.operand, indent, false);
        static constexpr const char* kWhat[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
        out_ += std::string(t.negated ? " IS NOT " : " IS ") + kWhat[static_cast<int>(t.what)];
        return;
      }
      case ExprKind::kCase: {
        const auto& c = e.as<Case>();
        std::string sep = multiline_case ? "\n" + spaces(indent + 2) : " ";
        int inner = multiline_case ? indent + 2 : indent;
        out_ += "CASE";
        if (c.operand) out_ += " " + expr_text(*c.operand, inner);
        for (const auto& w : c.whens) {
          out_ += sep + "WHEN " + expr_text(*w.condition, inner) + " THEN " +
                  expr_text(*w.result, inner);
        }
        if (c.else_result) out_ += sep + "ELSE " + expr_text(*c.else_result, inner);
        out_ += (multiline_case ? "\n" + spaces(indent) : " ") + "END";
        return;
      }
      case ExprKind::kCast: {
        const auto& c = e.as<Cast>();
        out_ += c.safe ? "SAFE_CAST(" : "CAST(";
        expr(*c.operand, indent, false);
        out_ += " AS " + type_text(*c.type);
        if (c.format) out_ += " FORMAT " + expr_text(*c.format, indent);
        out_ += ")";
        return;
      }
      case ExprKind::kExtract: {
        const auto& x = e.as<Extract>();
        out_ += "EXTRACT(" + name(x.part);
        if (x.part_argument) out_ += "(" + name(*x.part_argument) + ")";
        out_ += " FROM " + expr_text(*x.operand, indent);
        if (x.time_zone) out_ += " AT TIME ZONE " + expr_text(*x.time_zone, indent);
        out_ += ")";
        return;
      }
      case ExprKind::kInterval: {
        const auto& i = e.as<Interval>();
        out_ += "INTERVAL " + expr_text(*i.value, indent) + " " + name(i.part);
        if (i.to_part) out_ += " TO " + name(*i.to_part);
        return;
      }
      case ExprKind::kFunctionCall: {
        const auto& f = e.as<FunctionCall>();
        out_ += function_name(f.name) + "(";
        if (f.star) out_ += "*";
        if (f.distinct) out_ += "DISTINCT ";
        out_ += arguments_text(f.args, indent);
        if (f.null_handling == FunctionCall::NullHandling::kIgnore) out_ += " IGNORE NULLS";
        if (f.null_handling == FunctionCall::NullHandling::kRespect) out_ += " RESPECT NULLS";
        if (f.having) {
          out_ += f.having_kind == FunctionCall::HavingKind::kMax ? " HAVING MAX " : " HAVING MIN ";
          out_ += expr_text(*f.having, indent);
        }
        if (!f.order_by.empty()) {
          out_ += " ORDER BY ";
          ordering_items(f.order_by, ", ", indent);
        }
        if (f.limit) out_ += " LIMIT " + expr_text(*f.limit, indent);
        if (f.offset) out_ += " OFFSET " + expr_text(*f.offset, indent);
        out_ += ")";
        if (f.over) {
          out_ += " OVER ";
          out_ += f.over->window_name ? name(*f.over->window_name)
                                      : "(" + window_spec_text(*f.over->spec, indent) + ")";
        }
        return;
      }
      case ExprKind::kArrayConstructor: {
        const auto& a = e.as<ArrayConstructor>();
        if (a.array_keyword) out_ += "ARRAY";
        if (a.element_type) out_ += "<" + type_text(*a.element_type) + ">";
        out_ += "[";
        for (size_t i = 0; i < a.elements.size(); ++i) {
          if (i > 0) out_ += ", ";
          expr(*a.elements[i], indent, false);
        }
        out_ += "]";
        return;
      }
      case ExprKind::kArraySubquery:
        out_ += "ARRAY";
        subquery(*e.as<ArraySubquery>().query, indent);
        return;
      case ExprKind::kStructConstructor: {
        const auto& s = e.as<StructConstructor>();
        if (s.keyword) out_ += "STRUCT";
        if (s.typed) out_ += "<" + struct_type_fields(s.type_fields) + ">";
        out_ += "(";
        for (size_t i = 0; i < s.fields.size(); ++i) {
          if (i > 0) out_ += ", ";
          expr(*s.fields[i].value, indent, false);
          if (s.fields[i].alias) out_ += " AS " + name(*s.fields[i].alias);
        }
        out_ += ")";
        return;
      }
      case ExprKind::kScalarSubquery:
        subquery(*e.as<ScalarSubquery>().query, indent);
        return;
      case ExprKind::kExists:
        out_ += "EXISTS ";
        subquery(*e.as<Exists>().query, indent);
        return;
      case ExprKind::kParenthesized:
        out_ += "(";
        expr(*e.as<Parenthesized>().inner, indent, false);
        out_ += ")";
        return;
      case ExprKind::kFieldAccess: {
        const auto& f = e.as<FieldAccess>();
        expr(*f.operand, indent, false);
        out_ += "." + field(f.field);
        return;
      }
      case ExprKind::kSubscript: {
        const auto& s = e.as<Subscript>();
        expr(*s.operand, indent, false);
        static constexpr const char* kModes[] = {"", "OFFSET", "SAFE_OFFSET", "ORDINAL",
                                                 "SAFE_ORDINAL"};
        out_ += "[";
        if (s.mode != SubscriptMode::kPlain) {
          out_ += std::string(kModes[static_cast<int>(s.mode)]) + "(" +
                  expr_text(*s.index, indent) + ")";
        } else {
          expr(*s.index, indent, false);
        }
        out_ += "]";
        return;
      }
    }
  }

  std::string out_;
  bool canonical_ = false;
  const ExprHook* hook_ = nullptr;
};

}  // namespace

bool is_reserved_keyword(std::string_view word) {
  std::string u = to_upper(word);
  // SAFE_CAST is not reserved in BigQuery, but this project's grammar lexes it as a keyword.
  return u == "SAFE_CAST" || std::find(std::begin(kReservedKeywords), std::end(kReservedKeywords),
                                       u) != std::end(kReservedKeywords);
}

std::string print(const Identifier& id) {
  if (id.quoted || !is_plain_identifier(id.name) || is_reserved_keyword(id.name)) {
    return backticked(id.name);
  }
  return id.name;
}

std::string print(const Query& query) {
  Printer p;
  p.query(query, 0);
  return std::move(p.out_);
}

std::string print(const Statement& statement) {
  Printer p;
  p.statement(statement, 0);
  return std::move(p.out_);
}

std::string print(const Script& script) {
  std::string out;
  for (size_t i = 0; i < script.statements.size(); ++i) {
    if (i > 0) out += "\n\n";
    out += print(*script.statements[i]) + ";";
  }
  return out;
}

std::string canonical_text(const Expr& e) {
  Printer p(true);
  p.expr(e, 0, false);
  return std::move(p.out_);
}

bool equivalent(const Expr& a, const Expr& b) { return canonical_text(a) == canonical_text(b); }

std::string print(const Expr& expr, int indent) {
  Printer p;
  p.expr(expr, indent, true);
  return std::move(p.out_);
}

std::string print(const Query& query, const ExprHook& hook) {
  Printer p(false, &hook);
  p.query(query, 0);
  return std::move(p.out_);
}

std::string print(const Expr& expr, const ExprHook& hook) {
  Printer p(false, &hook);
  p.expr(expr, 0, true);
  return std::move(p.out_);
}

std::string print(const Type& type) {
  Printer p;
  return p.type_text(type);
}

}  // namespace shredmit::syntax
