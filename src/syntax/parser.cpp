// Parsing: runs the ANTLR-generated GoogleSQL parser and turns its parse tree into the AST of
// syntax.h. Two-stage prediction (SLL, then full LL only when SLL fails) as recommended by the
// ANTLR documentation for speed.
#include <antlr4-runtime.h>
#include <fmt/format.h>

#include <string>
#include <typeinfo>

#include "GoogleSQLLexer.h"
#include "GoogleSQLParser.h"
#include "syntax.h"
#include "syntax/lexer.h"

namespace shredmit::syntax {
namespace {

using P = GoogleSQLParser;
using antlr4::ParserRuleContext;
using antlr4::Token;

Location loc_of(const Token* t) {
  if (t == nullptr) return {};
  return {static_cast<int>(t->getLine()), static_cast<int>(t->getCharPositionInLine()) + 1};
}
Location loc_of(ParserRuleContext* ctx) { return loc_of(ctx->getStart()); }

// Readable text for a token in a message.
std::string describe_token(const Token* t) {
  if (t == nullptr || t->getType() == Token::EOF) return "end of input";
  std::string text = t->getText();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return "'" + text + "'";
}

class ThrowingErrorListener : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, Token* offending, size_t line, size_t column,
                   const std::string& antlr_message, std::exception_ptr) override {
    std::string message;
    std::string token_text;
    if (offending != nullptr && offending->getType() == GoogleSQLLexer::UNEXPECTED_CHARACTER) {
      token_text = offending->getText();
      if (token_text == "'" || token_text == "\"") {
        message = "unterminated string literal starting with " + token_text;
      } else if (token_text == "`") {
        message = "unterminated quoted identifier";
      } else {
        message = "unexpected character '" + token_text + "'";
      }
    } else if (offending != nullptr) {
      token_text = offending->getType() == Token::EOF ? "" : offending->getText();
      message = "syntax error at " + describe_token(offending);
      // ANTLR lists the expected tokens; keep the hint only when it is short enough to help.
      auto pos = antlr_message.find("expecting ");
      if (pos != std::string::npos && antlr_message.size() - pos < 80) {
        message += ", " + antlr_message.substr(pos);
      }
    } else {
      message = antlr_message;
    }
    throw SyntaxError(message, {static_cast<int>(line), static_cast<int>(column) + 1}, token_text);
  }
};

// Checks that `text` is valid UTF-8 without NUL bytes; throws SyntaxError at the first bad byte.
void check_utf8(std::string_view text) {
  size_t invalid = base::invalid_utf8_offset(text), nul = text.find('\0');
  if (invalid == std::string_view::npos && nul == std::string_view::npos) return;
  base::Location at = base::location_of(text, std::min(invalid, nul));
  throw SyntaxError(
      nul < invalid ? "NUL byte in SQL text" : "invalid UTF-8 byte; save the file as UTF-8",
      {at.line, at.column}, "");
}

// Refuses input nested deeper than kMaxNestingDepth before the recursive-descent parser, the AST
// builder, the printer and the destructors recurse into it. Counted as nesting: brackets of all
// kinds, CASE, BEGIN, LOOP and REPEAT (closed by END or the closing bracket), the `<` of ARRAY<,
// STRUCT<, RANGE< and TABLE< (closed by `>`), and runs of prefix operators (NOT, -, +, ~). A
// closing token without an opener is ignored, so the count can only under-estimate.
//
// Long chains of binary operators, set operations and joins are parsed iteratively but nest in
// the tree (a + b + c is (a + b) + c), so a chain longer than kMaxChainLength at one bracket
// depth (reset by commas and semicolons) is refused too.
void check_nesting(antlr4::CommonTokenStream& tokens) {
  int depth = 0;
  int prefix_run = 0;
  std::vector<int> chain{0};  // operators so far in the current chain, per open bracket
  size_t previous = Token::INVALID_TYPE;
  for (Token* t : tokens.getTokens()) {
    size_t type = t->getType();
    bool opens = false;
    switch (type) {
      case GoogleSQLLexer::LPAREN:
      case GoogleSQLLexer::LBRACKET:
        chain.push_back(0);
        opens = true;
        break;
      case GoogleSQLLexer::CASE:
      case GoogleSQLLexer::BEGIN:
      case GoogleSQLLexer::LOOP:
      case GoogleSQLLexer::REPEAT:
        opens = true;
        break;
      case GoogleSQLLexer::LT:
        opens = previous == GoogleSQLLexer::ARRAY || previous == GoogleSQLLexer::STRUCT ||
                previous == GoogleSQLLexer::RANGE || previous == GoogleSQLLexer::TABLE ||
                previous == GoogleSQLLexer::LT;
        break;
      case GoogleSQLLexer::RPAREN:
      case GoogleSQLLexer::RBRACKET:
        if (chain.size() > 1) chain.pop_back();
        if (depth > 0) --depth;
        break;
      case GoogleSQLLexer::END:
      case GoogleSQLLexer::GT:
        if (depth > 0) --depth;
        break;
      case GoogleSQLLexer::COMMA:
      case GoogleSQLLexer::SEMI:
        chain.back() = 0;
        break;
      case GoogleSQLLexer::AND:
      case GoogleSQLLexer::OR:
      case GoogleSQLLexer::PLUS:
      case GoogleSQLLexer::MINUS:
      case GoogleSQLLexer::STAR:
      case GoogleSQLLexer::SLASH:
      case GoogleSQLLexer::CONCAT:
      case GoogleSQLLexer::PIPE:
      case GoogleSQLLexer::AMPERSAND:
      case GoogleSQLLexer::CARET:
      case GoogleSQLLexer::EQ:
      case GoogleSQLLexer::NEQ:
      case GoogleSQLLexer::LE:
      case GoogleSQLLexer::GE:
      case GoogleSQLLexer::UNION:
      case GoogleSQLLexer::INTERSECT:
      case GoogleSQLLexer::EXCEPT:
      case GoogleSQLLexer::JOIN:
        if (++chain.back() > kMaxChainLength) {
          throw SyntaxError("more than " + std::to_string(kMaxChainLength) +
                                " operators, set operations or joins in one chain; split it "
                                "with WITH clauses",
                            loc_of(t), t->getText());
        }
        break;
      default:
        break;
    }
    bool prefix = type == GoogleSQLLexer::NOT || type == GoogleSQLLexer::MINUS ||
                  type == GoogleSQLLexer::PLUS || type == GoogleSQLLexer::TILDE;
    prefix_run = prefix ? prefix_run + 1 : 0;
    if ((opens && ++depth > kMaxNestingDepth) || prefix_run > kMaxNestingDepth) {
      throw SyntaxError("SQL nested more than " + std::to_string(kMaxNestingDepth) +
                            " levels deep; split it with WITH clauses or temporary functions",
                        loc_of(t), t->getText());
    }
    previous = type;
  }
}

// `ctx` as the labelled-alternative context T, or null. Those contexts are leaf classes, so
// the dynamic type either is T or is not; comparing the addresses of the type_info objects
// (one per class in the statically linked parser) replaces dynamic_cast, whose type-name
// string comparisons took a sixth of the parse time on the bigquery-etl tree.
template <typename T, typename C>
T* alt(C* ctx) {
  return ctx != nullptr && &typeid(*ctx) == &typeid(T) ? static_cast<T*>(ctx) : nullptr;
}

std::string unescape_backticks(std::string_view quoted) {
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 2 < quoted.size()) {
      ++i;
      out += quoted[i];
    } else {
      out += quoted[i];
    }
  }
  return out;
}

class AstBuilder {
 public:
  explicit AstBuilder(antlr4::TokenStream* tokens) : tokens_(tokens) {}

  // The text of a rule context. Most are one token, whose text is read directly: the runtime's
  // RuleContext::getText builds a stringstream and walks the children with dynamic_cast, which
  // took a tenth of the parse time.
  static std::string text_of(antlr4::ParserRuleContext* ctx) {
    Token* start = ctx->getStart();
    if (start != nullptr && start == ctx->getStop()) return start->getText();
    return ctx->getText();
  }

  // An identifier is one token: IDENTIFIER, QUOTED_IDENTIFIER or a non-reserved keyword.
  Identifier identifier(P::IdentifierContext* ctx) {
    Identifier id;
    id.loc = loc_of(ctx);
    Token* token = ctx->getStart();
    if (token->getType() == GoogleSQLLexer::QUOTED_IDENTIFIER) {
      id.name = unescape_backticks(token->getText());
      id.quoted = true;
    } else {
      id.name = text_of(ctx);
    }
    return id;
  }

  Identifier field_name(P::FieldNameContext* ctx) {
    // fieldName: identifier | reservedKeyword. Those tokens start only the identifier, its
    // one child; other keywords take the general path.
    if (ctx->getStart()->getType() == GoogleSQLLexer::QUOTED_IDENTIFIER ||
        ctx->getStart()->getType() == GoogleSQLLexer::IDENTIFIER) {
      return identifier(static_cast<P::IdentifierContext*>(ctx->children[0]));
    }
    if (auto* id = ctx->identifier()) return identifier(id);
    return Identifier{text_of(ctx), false, loc_of(ctx)};
  }

  std::optional<Identifier> opt_identifier(P::IdentifierContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    return identifier(ctx);
  }

  // ---------------------------------------------------------------- statements
  std::vector<Identifier> table_path(P::TablePathContext* ctx) {
    std::vector<Identifier> path;
    auto* dashed = ctx->dashedName();
    auto parts = dashed->identifier();
    if (dashed->MINUS().empty()) {
      path.push_back(identifier(parts[0]));
    } else {
      // my-project: identifiers, dashes and numbers that must touch each other.
      Identifier id{"", false, loc_of(dashed)};
      size_t expected = dashed->getStart()->getStartIndex();
      for (auto* child : dashed->children) {
        Token* token = tokens_->get(static_cast<size_t>(child->getSourceInterval().a));
        if (token->getStartIndex() != expected) {
          throw SyntaxError(
              "a project name with dashes cannot contain spaces or comments; write the name "
              "in backticks",
              loc_of(token), token->getText());
        }
        id.name += child->getText();
        expected = token->getStopIndex() + 1;
      }
      path.push_back(std::move(id));
    }
    for (auto* f : ctx->fieldName()) path.push_back(field_name(f));
    return path;
  }

  std::vector<Identifier> path(P::PathExpressionContext* ctx) {
    std::vector<Identifier> parts{identifier(ctx->identifier())};
    for (auto* f : ctx->fieldName()) parts.push_back(field_name(f));
    return parts;
  }

  std::vector<Identifier> identifiers(const std::vector<P::IdentifierContext*>& ids) {
    std::vector<Identifier> out;
    out.reserve(ids.size());
    for (auto* id : ids) out.push_back(identifier(id));
    return out;
  }

  std::vector<OptionEntry> options(P::OptionsClauseContext* ctx) {
    std::vector<OptionEntry> out;
    if (ctx == nullptr) return out;
    for (auto* e : ctx->optionEntry()) {
      out.push_back(OptionEntry{identifier(e->identifier()), expr(e->expression())});
    }
    return out;
  }

  void field_attributes(P::FieldAttributesContext* ctx, StructTypeField& field) {
    if (ctx == nullptr) return;
    field.not_null = ctx->NOT() != nullptr;
    if (ctx->expression() != nullptr) field.default_value = expr(ctx->expression());
    field.options = options(ctx->optionsClause());
  }

  std::vector<FunctionParameter> function_parameters(
      const std::vector<P::FunctionParameterContext*>& params) {
    std::vector<FunctionParameter> out;
    for (auto* p : params) {
      FunctionParameter param;
      param.name = identifier(p->identifier());
      if (p->typeName() != nullptr) param.type = type(p->typeName());
      param.not_aggregate = p->AGGREGATE() != nullptr;
      out.push_back(std::move(param));
    }
    return out;
  }

  StatementList statement_list(P::StatementListContext* ctx) {
    StatementList out;
    for (auto* s : ctx->statement()) out.push_back(statement(s));
    return out;
  }

  std::vector<ExprPtr> values_row(P::ValuesRowContext* ctx) {
    std::vector<ExprPtr> row;
    for (auto* item : ctx->valuesItem()) {
      row.push_back(item->expression() != nullptr ? expr(item->expression()) : nullptr);
    }
    return row;
  }

  std::vector<UpdateItem> update_items(const std::vector<P::UpdateItemContext*>& items) {
    std::vector<UpdateItem> out;
    for (auto* item : items) {
      auto* v = item->valuesItem();
      out.push_back(UpdateItem{value(item->valueExpression()),
                               v->expression() != nullptr ? expr(v->expression()) : nullptr});
    }
    return out;
  }

  std::optional<StatementList> exception_handler(P::ExceptionHandlerContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    return statement_list(ctx->statementList());
  }

  template <typename T>
  std::unique_ptr<T> make(P::StatementContext* ctx) {
    auto s = std::make_unique<T>();
    s->loc = loc_of(ctx);
    return s;
  }

  StatementPtr statement(P::StatementContext* ctx) {
    if (auto* q = alt<P::QueryStatementContext>(ctx)) {
      auto s = make<QueryStatement>(ctx);
      s->query = query(q->query());
      return s;
    }
    if (auto* c = alt<P::CreateFunctionContext>(ctx)) {
      auto s = make<CreateFunction>(ctx);
      s->or_replace = c->REPLACE() != nullptr;
      s->temporary = c->TEMP() != nullptr || c->TEMPORARY() != nullptr;
      s->aggregate = c->AGGREGATE() != nullptr;
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      s->params = function_parameters(c->functionParameter());
      if (c->typeName() != nullptr) s->returns = type(c->typeName());
      if (c->DETERMINISTIC() != nullptr) {
        bool negated = c->NOT().size() > (s->if_not_exists ? 1u : 0u);
        s->determinism = negated ? CreateFunction::Determinism::kNotDeterministic
                                 : CreateFunction::Determinism::kDeterministic;
      }
      s->language = opt_identifier(c->language);
      s->options_before_body = c->before != nullptr;
      s->options = options(c->before != nullptr ? c->before : c->after);
      if (c->body != nullptr) s->body = expr(c->body->expression());
      return s;
    }
    if (auto* c = alt<P::CreateTableFunctionContext>(ctx)) {
      auto s = make<CreateTableFunction>(ctx);
      s->or_replace = c->REPLACE() != nullptr;
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      s->params = function_parameters(c->functionParameter());
      if (c->typeName() != nullptr) s->returns = type(c->typeName());
      s->options = options(c->optionsClause());
      s->query = query(c->query());
      return s;
    }
    if (auto* c = alt<P::CreateProcedureContext>(ctx)) {
      auto s = make<CreateProcedure>(ctx);
      s->or_replace = c->REPLACE() != nullptr;
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      for (auto* p : c->procedureParameter()) {
        ProcedureParameter param;
        if (p->direction != nullptr) {
          switch (p->direction->getType()) {
            case GoogleSQLLexer::IN:
              param.direction = ProcedureParameter::Direction::kIn;
              break;
            case GoogleSQLLexer::OUT:
              param.direction = ProcedureParameter::Direction::kOut;
              break;
            default:
              param.direction = ProcedureParameter::Direction::kInOut;
          }
        }
        param.name = identifier(p->identifier());
        param.type = type(p->typeName());
        s->params.push_back(std::move(param));
      }
      s->options = options(c->optionsClause());
      s->body = statement_list(c->statementList());
      s->exception_handler = exception_handler(c->exceptionHandler());
      return s;
    }
    if (auto* c = alt<P::CreateTableContext>(ctx)) {
      auto s = make<CreateTable>(ctx);
      s->or_replace = c->REPLACE() != nullptr;
      s->temporary = c->TEMP() != nullptr || c->TEMPORARY() != nullptr;
      s->variant = c->SNAPSHOT()   ? CreateTable::Variant::kSnapshot
                   : c->EXTERNAL() ? CreateTable::Variant::kExternal
                                   : CreateTable::Variant::kTable;
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      for (auto* col : c->columnDefinition()) {
        StructTypeField field;
        field.name = identifier(col->identifier());
        field.type = type(col->typeName());
        field_attributes(col->fieldAttributes(), field);
        s->columns.push_back(std::move(field));
      }
      if (c->sourceKind != nullptr) {
        switch (c->sourceKind->getType()) {
          case GoogleSQLLexer::LIKE:
            s->source_kind = CreateTable::Source::kLike;
            break;
          case GoogleSQLLexer::COPY:
            s->source_kind = CreateTable::Source::kCopy;
            break;
          default:
            s->source_kind = CreateTable::Source::kClone;
        }
        s->source = table_path(c->source);
        if (auto* st = c->forSystemTime()) s->source_system_time = value(st->valueExpression());
      }
      if (c->collation != nullptr) s->collation = c->collation->getText();
      if (c->partitionBy != nullptr) s->partition_by = expr(c->partitionBy);
      for (auto* e : c->expression()) {
        if (e != c->partitionBy) s->cluster_by.push_back(expr(e));
      }
      s->options = options(c->optionsClause());
      if (c->query() != nullptr) s->query = query(c->query());
      return s;
    }
    if (auto* c = alt<P::CreateViewContext>(ctx)) {
      auto s = make<CreateView>(ctx);
      s->or_replace = c->REPLACE() != nullptr;
      s->materialized = c->MATERIALIZED() != nullptr;
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      for (auto* col : c->viewColumn()) {
        s->columns.push_back(
            ViewColumn{identifier(col->identifier()), options(col->optionsClause())});
      }
      if (c->partitionBy != nullptr) s->partition_by = expr(c->partitionBy);
      for (auto* e : c->expression()) {
        if (e != c->partitionBy) s->cluster_by.push_back(expr(e));
      }
      s->options = options(c->optionsClause());
      s->query = query(c->query());
      return s;
    }
    if (auto* c = alt<P::CreateSchemaContext>(ctx)) {
      auto s = make<CreateSchema>(ctx);
      s->if_not_exists = c->EXISTS() != nullptr;
      s->name = table_path(c->name);
      s->options = options(c->optionsClause());
      return s;
    }
    if (auto* d = alt<P::DropStatementContext>(ctx)) {
      auto s = make<Drop>(ctx);
      std::string prefix = d->SNAPSHOT()       ? "SNAPSHOT "
                           : d->EXTERNAL()     ? "EXTERNAL "
                           : d->MATERIALIZED() ? "MATERIALIZED "
                                               : "";
      s->object = prefix + to_upper(d->objectKind->getText());
      s->if_exists = d->EXISTS() != nullptr;
      s->name = table_path(d->name);
      s->behavior = d->CASCADE() ? "CASCADE" : d->RESTRICT() ? "RESTRICT" : "";
      return s;
    }
    if (auto* i = alt<P::InsertStatementContext>(ctx)) {
      auto s = make<Insert>(ctx);
      s->target = table_path(i->target);
      s->columns = identifiers(i->identifier());
      if (auto* v = alt<P::InsertValuesContext>(i->insertSource())) {
        for (auto* row : v->valuesRow()) s->rows.push_back(values_row(row));
      } else {
        s->query = query(static_cast<P::InsertQueryContext*>(i->insertSource())->query());
      }
      return s;
    }
    if (auto* d = alt<P::DeleteStatementContext>(ctx)) {
      auto s = make<Delete>(ctx);
      s->target = table_path(d->target);
      s->alias = opt_identifier(d->alias);
      s->where = expr(d->expression());
      return s;
    }
    if (auto* u = alt<P::UpdateStatementContext>(ctx)) {
      auto s = make<Update>(ctx);
      s->target = table_path(u->target);
      s->alias = opt_identifier(u->alias);
      s->items = update_items(u->updateItem());
      if (u->fromExpression() != nullptr) s->from = from_expression(u->fromExpression());
      s->where = expr(u->expression());
      return s;
    }
    if (auto* m = alt<P::MergeStatementContext>(ctx)) {
      auto s = make<Merge>(ctx);
      s->target = table_path(m->target);
      s->alias = opt_identifier(m->alias);
      s->source = from_primary(m->fromPrimary());
      s->on = expr(m->expression());
      for (auto* c : m->mergeClause()) {
        MergeClause clause;
        if (c->NOT() == nullptr) {
          clause.match = MergeClause::Match::kMatched;
        } else if (c->by != nullptr && c->by->getType() == GoogleSQLLexer::SOURCE) {
          clause.match = MergeClause::Match::kNotMatchedBySource;
        } else {
          clause.match = MergeClause::Match::kNotMatched;
          clause.by_target = c->by != nullptr;
        }
        if (c->condition != nullptr) clause.condition = expr(c->condition);
        if (auto* up = alt<P::MergeUpdateContext>(c->mergeAction())) {
          clause.action = MergeClause::Action::kUpdate;
          clause.updates = update_items(up->updateItem());
        } else if (auto* in = alt<P::MergeInsertContext>(c->mergeAction())) {
          clause.action = MergeClause::Action::kInsert;
          clause.columns = identifiers(in->identifier());
          clause.insert_row = in->ROW() != nullptr;
          if (in->valuesRow() != nullptr) clause.values = values_row(in->valuesRow());
        } else {
          clause.action = MergeClause::Action::kDelete;
        }
        s->clauses.push_back(std::move(clause));
      }
      return s;
    }
    if (auto* t = alt<P::TruncateStatementContext>(ctx)) {
      auto s = make<Truncate>(ctx);
      s->name = table_path(t->name);
      return s;
    }
    if (auto* e = alt<P::ExportDataContext>(ctx)) {
      auto s = make<ExportData>(ctx);
      if (e->connection != nullptr) s->connection = path(e->connection);
      s->options = options(e->optionsClause());
      s->query = query(e->query());
      return s;
    }
    if (auto* d = alt<P::DeclareStatementContext>(ctx)) {
      auto s = make<Declare>(ctx);
      s->names = identifiers(d->identifier());
      if (d->typeName() != nullptr) s->type = type(d->typeName());
      if (d->expression() != nullptr) s->default_value = expr(d->expression());
      return s;
    }
    if (auto* st = alt<P::SetStatementContext>(ctx)) {
      auto s = make<Set>(ctx);
      if (st->target->identifier() != nullptr) {
        s->targets.push_back(identifier(st->target->identifier()));
      } else {
        s->system_variable = st->target->getText().substr(2);
      }
      s->value = expr(st->expression());
      return s;
    }
    if (auto* st = alt<P::SetTupleStatementContext>(ctx)) {
      auto s = make<Set>(ctx);
      s->tuple = true;
      s->targets = identifiers(st->identifier());
      s->value = expr(st->expression());
      return s;
    }
    if (auto* b = alt<P::BlockStatementContext>(ctx)) {
      auto s = make<Block>(ctx);
      s->label = opt_identifier(b->label);
      s->body = statement_list(b->statementList());
      s->exception_handler = exception_handler(b->exceptionHandler());
      return s;
    }
    if (auto* b = alt<P::BeginTransactionContext>(ctx)) {
      auto s = make<Transaction>(ctx);
      s->transaction_keyword = b->TRANSACTION() != nullptr;
      return s;
    }
    if (auto* c = alt<P::CommitTransactionContext>(ctx)) {
      auto s = make<Transaction>(ctx);
      s->action = Transaction::Action::kCommit;
      s->transaction_keyword = c->TRANSACTION() != nullptr;
      return s;
    }
    if (auto* r = alt<P::RollbackTransactionContext>(ctx)) {
      auto s = make<Transaction>(ctx);
      s->action = Transaction::Action::kRollback;
      s->transaction_keyword = r->TRANSACTION() != nullptr;
      return s;
    }
    if (auto* i = alt<P::IfStatementContext>(ctx)) {
      auto s = make<If>(ctx);
      s->branches.push_back(IfBranch{expr(i->expression()), statement_list(i->statementList(0))});
      for (auto* b : i->elseIfBranch()) {
        s->branches.push_back(IfBranch{expr(b->expression()), statement_list(b->statementList())});
      }
      if (i->elseBody != nullptr) s->else_body = statement_list(i->elseBody);
      return s;
    }
    if (auto* l = alt<P::LoopStatementContext>(ctx)) {
      auto s = make<Loop>(ctx);
      s->label = opt_identifier(l->label);
      s->body = statement_list(l->statementList());
      return s;
    }
    if (auto* w = alt<P::WhileStatementContext>(ctx)) {
      auto s = make<Loop>(ctx);
      s->form = Loop::Form::kWhile;
      s->label = opt_identifier(w->label);
      s->condition = expr(w->expression());
      s->body = statement_list(w->statementList());
      return s;
    }
    if (auto* r = alt<P::RepeatStatementContext>(ctx)) {
      auto s = make<Loop>(ctx);
      s->form = Loop::Form::kRepeat;
      s->label = opt_identifier(r->label);
      s->body = statement_list(r->statementList());
      s->condition = expr(r->expression());
      return s;
    }
    if (auto* f = alt<P::ForStatementContext>(ctx)) {
      auto s = make<Loop>(ctx);
      s->form = Loop::Form::kFor;
      s->label = opt_identifier(f->label);
      s->variable = identifier(f->variable);
      s->query = query(f->query());
      s->body = statement_list(f->statementList());
      return s;
    }
    if (auto* l = alt<P::LoopControlContext>(ctx)) {
      auto s = make<LoopControl>(ctx);
      s->keyword = to_upper(l->kind->getText());
      s->label = opt_identifier(l->label);
      return s;
    }
    if (alt<P::ReturnStatementContext>(ctx) != nullptr) return make<Return>(ctx);
    if (auto* r = alt<P::RaiseStatementContext>(ctx)) {
      auto s = make<Raise>(ctx);
      if (r->expression() != nullptr) s->message = expr(r->expression());
      return s;
    }
    if (auto* c = alt<P::CallStatementContext>(ctx)) {
      auto s = make<Call>(ctx);
      s->name = path(c->name);
      for (auto* e : c->expression()) s->args.push_back(expr(e));
      return s;
    }
    if (auto* e = alt<P::ExecuteImmediateContext>(ctx)) {
      auto s = make<ExecuteImmediate>(ctx);
      s->sql = expr(e->sql);
      s->into = identifiers(e->identifier());
      for (auto* a : e->executeArgument()) {
        s->using_args.push_back(
            StructField{expr(a->expression()), opt_identifier(a->identifier())});
      }
      return s;
    }
    auto* a = static_cast<P::AssertStatementContext*>(ctx);
    auto s = make<Assert>(ctx);
    s->condition = expr(a->expression());
    if (a->description != nullptr) s->description = a->description->getText();
    return s;
  }

  // ---------------------------------------------------------------- queries
  std::unique_ptr<Query> query(P::QueryContext* ctx) {
    auto q = std::make_unique<Query>();
    q->loc = loc_of(ctx);
    if (auto* w = ctx->withClause()) {
      q->recursive = w->RECURSIVE() != nullptr;
      for (auto* c : w->cte()) {
        q->with.push_back(Cte{identifier(c->identifier()), query(c->query())});
      }
    }
    q->body = query_expression(ctx->queryExpression());
    if (auto* o = ctx->orderByClause()) q->order_by = order_by(o);
    if (auto* l = ctx->limitClause()) {
      q->limit = expr(l->expression(0));
      if (l->expression().size() > 1) q->offset = expr(l->expression(1));
    }
    return q;
  }

  QueryExprPtr query_expression(P::QueryExpressionContext* ctx) {
    if (auto* s = alt<P::SetOperationContext>(ctx)) {
      auto op = std::make_unique<SetOperation>();
      op->loc = loc_of(s->setOperator());
      auto* so = s->setOperator();
      op->op = so->UNION() ? SetOp::kUnion : so->INTERSECT() ? SetOp::kIntersect : SetOp::kExcept;
      op->distinct = so->DISTINCT() != nullptr;
      if (so->outerMode != nullptr) {
        op->outer = so->FULL()   ? SetOperation::Outer::kFull
                    : so->LEFT() ? SetOperation::Outer::kLeft
                                 : SetOperation::Outer::kInner;
        op->outer_keyword = so->OUTER() != nullptr;
      } else if (so->OUTER() != nullptr) {
        op->outer = SetOperation::Outer::kOuter;
      }
      op->by_name = so->NAME() != nullptr;
      op->corresponding = so->CORRESPONDING() != nullptr;
      op->strict = so->STRICT() != nullptr;
      if (so->columnList() != nullptr) {
        op->match_columns = identifiers(so->columnList()->identifier());
      }
      op->left = query_expression(s->queryExpression(0));
      op->right = query_expression(s->queryExpression(1));
      return op;
    }
    auto* p = static_cast<P::PrimaryQueryExpressionContext*>(ctx)->queryPrimary();
    if (p->select() != nullptr) return select(p->select());
    auto nested = std::make_unique<NestedQuery>();
    nested->loc = loc_of(p);
    nested->query = query(p->query());
    return nested;
  }

  QueryExprPtr select(P::SelectContext* ctx) {
    auto s = std::make_unique<Select>();
    s->loc = loc_of(ctx);
    if (ctx->AS() != nullptr)
      s->select_as = ctx->STRUCT() ? Select::As::kStruct : Select::As::kValue;
    s->distinct = ctx->DISTINCT() != nullptr;
    s->all = ctx->ALL() != nullptr;
    for (auto* item : ctx->selectList()->selectItem()) s->items.push_back(select_item(item));
    if (auto* f = ctx->fromClause()) s->from = from_expression(f->fromExpression());
    if (auto* w = ctx->whereClause()) s->where = expr(w->expression());
    if (auto* g = ctx->groupByClause()) {
      GroupBy gb;
      gb.loc = loc_of(g);
      gb.all = g->ALL() != nullptr;
      for (auto* item : g->groupingItem()) gb.items.push_back(grouping_item(item));
      s->group_by = std::move(gb);
    }
    if (auto* h = ctx->havingClause()) s->having = expr(h->expression());
    if (auto* q = ctx->qualifyClause()) s->qualify = expr(q->expression());
    if (auto* w = ctx->windowClause()) {
      for (auto* nw : w->namedWindow()) {
        NamedWindow named;
        named.name = identifier(nw->identifier(0));
        if (nw->windowSpecification() != nullptr) {
          named.spec = window_specification(nw->windowSpecification());
        } else {
          named.reference = identifier(nw->identifier(1));
        }
        s->windows.push_back(std::move(named));
      }
    }
    return s;
  }

  void star_modifiers(P::StarModifiersContext* ctx, SelectItem& item) {
    if (ctx == nullptr) return;
    if (auto* e = ctx->starExcept()) {
      item.except_columns = identifiers(e->identifier());
    }
    if (auto* r = ctx->starReplace()) {
      for (auto* ri : r->replaceItem()) {
        item.replace_items.push_back(
            StructField{expr(ri->expression()), identifier(ri->identifier())});
      }
    }
  }

  SelectItem select_item(P::SelectItemContext* ctx) {
    SelectItem item;
    item.loc = loc_of(ctx);
    if (auto* star = alt<P::SelectStarContext>(ctx)) {
      item.kind = SelectItem::Kind::kStar;
      star_modifiers(star->starModifiers(), item);
      return item;
    }
    auto* e = static_cast<P::SelectExpressionContext*>(ctx);
    item.expr = expr(e->expression());
    if (e->STAR() != nullptr) {
      item.kind = SelectItem::Kind::kDotStar;
      star_modifiers(e->starModifiers(), item);
    } else {
      item.alias = opt_identifier(e->alias);
    }
    return item;
  }

  GroupingItem grouping_item(P::GroupingItemContext* ctx) {
    GroupingItem item;
    item.loc = loc_of(ctx);
    if (auto* e = alt<P::ExpressionGroupingItemContext>(ctx)) {
      item.exprs.push_back(expr(e->expression()));
    } else if (auto* r = alt<P::RollupItemContext>(ctx)) {
      item.kind = GroupingItem::Kind::kRollup;
      for (auto* x : r->expression()) item.exprs.push_back(expr(x));
    } else if (auto* c = alt<P::CubeItemContext>(ctx)) {
      item.kind = GroupingItem::Kind::kCube;
      for (auto* x : c->expression()) item.exprs.push_back(expr(x));
    } else if (auto* g = alt<P::GroupingSetsItemContext>(ctx)) {
      item.kind = GroupingItem::Kind::kGroupingSets;
      for (auto* x : g->groupingItem()) item.sets.push_back(grouping_item(x));
    } else {
      item.kind = GroupingItem::Kind::kEmpty;
    }
    return item;
  }

  std::vector<OrderingItem> order_by(P::OrderByClauseContext* ctx) {
    std::vector<OrderingItem> items;
    for (auto* o : ctx->orderingItem()) {
      OrderingItem item;
      item.expr = expr(o->expression());
      if (o->ASC()) item.direction = OrderingItem::Direction::kAsc;
      if (o->DESC()) item.direction = OrderingItem::Direction::kDesc;
      if (o->FIRST()) item.nulls = OrderingItem::Nulls::kFirst;
      if (o->LAST()) item.nulls = OrderingItem::Nulls::kLast;
      items.push_back(std::move(item));
    }
    return items;
  }

  std::unique_ptr<WindowSpecification> window_specification(P::WindowSpecificationContext* ctx) {
    auto spec = std::make_unique<WindowSpecification>();
    spec->base_window = opt_identifier(ctx->base);
    for (auto* e : ctx->expression()) spec->partition_by.push_back(expr(e));
    if (auto* o = ctx->orderByClause()) spec->order_by = order_by(o);
    if (auto* f = ctx->windowFrame()) {
      WindowFrame frame;
      frame.unit = f->ROWS() ? WindowFrame::Unit::kRows : WindowFrame::Unit::kRange;
      frame.between = f->BETWEEN() != nullptr;
      frame.start = frame_bound(f->frameBound(0));
      if (frame.between) frame.end = frame_bound(f->frameBound(1));
      spec->frame = std::move(frame);
    }
    return spec;
  }

  FrameBound frame_bound(P::FrameBoundContext* ctx) {
    FrameBound b;
    if (ctx->UNBOUNDED()) {
      b.kind = ctx->PRECEDING() ? FrameBound::Kind::kUnboundedPreceding
                                : FrameBound::Kind::kUnboundedFollowing;
    } else if (ctx->CURRENT()) {
      b.kind = FrameBound::Kind::kCurrentRow;
    } else {
      b.kind = ctx->PRECEDING() ? FrameBound::Kind::kPreceding : FrameBound::Kind::kFollowing;
      b.offset = value(ctx->valueExpression());
    }
    return b;
  }

  // ---------------------------------------------------------------- FROM
  FromItemPtr from_expression(P::FromExpressionContext* ctx) {
    FromItemPtr left = from_primary(ctx->fromPrimary());
    for (auto* part : ctx->joinPart()) {
      auto join = std::make_unique<JoinFrom>();
      join->loc = loc_of(part);
      join->left = std::move(left);
      if (auto* comma = alt<P::CommaJoinContext>(part)) {
        join->join_type = JoinType::kComma;
        join->right = from_primary(comma->fromPrimary());
      } else {
        auto* j = static_cast<P::ExplicitJoinContext*>(part);
        if (auto* t = j->joinType()) {
          join->join_type = t->CROSS()   ? JoinType::kCross
                            : t->INNER() ? JoinType::kInner
                            : t->LEFT()  ? JoinType::kLeft
                            : t->RIGHT() ? JoinType::kRight
                                         : JoinType::kFull;
          join->outer_keyword = t->OUTER() != nullptr;
        }
        join->right = from_primary(j->fromPrimary());
        if (auto* on = alt<P::OnConditionContext>(j->joinCondition())) {
          join->on = expr(on->expression());
        } else if (auto* u = alt<P::UsingConditionContext>(j->joinCondition())) {
          join->using_columns = identifiers(u->identifier());
        }
      }
      left = std::move(join);
    }
    return left;
  }

  FromItemPtr from_primary(P::FromPrimaryContext* ctx) {
    FromItemPtr item = from_base(ctx->fromBase());
    for (auto* suffix : ctx->fromSuffix()) {
      if (auto* p = alt<P::PivotContext>(suffix)) {
        auto pivot = std::make_unique<PivotFrom>();
        pivot->loc = loc_of(p);
        pivot->input = std::move(item);
        for (auto* a : p->pivotAggregate()) {
          pivot->aggregates.push_back(
              StructField{expr(a->expression()), opt_identifier(a->identifier())});
        }
        pivot->pivot_column = value(p->valueExpression());
        for (auto* v : p->pivotValue()) {
          pivot->values.push_back(
              StructField{expr(v->expression()), opt_identifier(v->identifier())});
        }
        pivot->alias = opt_identifier(p->alias);
        item = std::move(pivot);
      } else {
        auto* u = static_cast<P::UnpivotContext*>(suffix);
        auto unpivot = std::make_unique<UnpivotFrom>();
        unpivot->loc = loc_of(u);
        unpivot->input = std::move(item);
        if (u->nulls != nullptr) {
          unpivot->nulls =
              u->INCLUDE() ? UnpivotFrom::Nulls::kInclude : UnpivotFrom::Nulls::kExclude;
        }
        unpivot->value_columns = unpivot_columns(u->unpivotColumns());
        unpivot->name_column = identifier(u->name);
        for (auto* v : u->unpivotValue()) {
          UnpivotColumns entry = unpivot_columns(v->unpivotColumns());
          if (v->STRING_LITERAL() != nullptr) entry.label = v->STRING_LITERAL()->getText();
          if (v->INTEGER_LITERAL() != nullptr) entry.label = v->INTEGER_LITERAL()->getText();
          unpivot->entries.push_back(std::move(entry));
        }
        unpivot->alias = opt_identifier(u->alias);
        item = std::move(unpivot);
      }
    }
    return item;
  }

  UnpivotColumns unpivot_columns(P::UnpivotColumnsContext* ctx) {
    UnpivotColumns columns;
    columns.parenthesized = ctx->LPAREN() != nullptr;
    columns.columns = identifiers(ctx->identifier());
    return columns;
  }

  FromItemPtr from_base(P::FromBaseContext* ctx) {
    if (auto* t = alt<P::TableFromContext>(ctx)) {
      auto table = std::make_unique<TableFrom>();
      table->loc = loc_of(t);
      table->path = table_path(t->tablePath());
      if (auto* st = t->forSystemTime()) table->system_time = value(st->valueExpression());
      table->alias = opt_identifier(t->identifier());
      if (auto* sample = t->tablesample()) {
        table->sample_size = value(sample->valueExpression());
        table->sample_rows = sample->unit->getType() == GoogleSQLLexer::ROWS;
      }
      return table;
    }
    if (auto* s = alt<P::SubqueryFromContext>(ctx)) {
      auto sub = std::make_unique<SubqueryFrom>();
      sub->loc = loc_of(s);
      sub->query = query(s->query());
      sub->alias = opt_identifier(s->identifier());
      return sub;
    }
    if (auto* u = alt<P::UnnestFromContext>(ctx)) {
      auto unnest = std::make_unique<UnnestFrom>();
      unnest->loc = loc_of(u);
      unnest->array = expr(u->expression());
      unnest->with_offset = u->OFFSET() != nullptr;
      for (auto* id : u->identifier()) {
        if (id != u->offsetAlias) unnest->alias = identifier(id);
      }
      unnest->offset_alias = opt_identifier(u->offsetAlias);
      return unnest;
    }
    if (auto* f = alt<P::TableFunctionFromContext>(ctx)) {
      auto tvf = std::make_unique<TableFunctionFrom>();
      tvf->loc = loc_of(f);
      tvf->name = function_name(f->functionName());
      for (auto* a : f->functionArgument()) tvf->args.push_back(function_argument(a));
      tvf->alias = opt_identifier(f->identifier());
      return tvf;
    }
    auto* p = static_cast<P::ParenthesizedFromContext*>(ctx);
    auto paren = std::make_unique<ParenthesizedFrom>();
    paren->loc = loc_of(p);
    paren->inner = from_expression(p->fromExpression());
    return paren;
  }

  // ---------------------------------------------------------------- expressions
  ExprPtr expr(P::ExpressionContext* ctx) {
    Location l = loc_of(ctx);
    if (auto* v = alt<P::ValueExprContext>(ctx)) return value(v->valueExpression());
    if (auto* c = alt<P::ComparisonContext>(ctx)) {
      auto* o = c->comparisonOperator();
      BinaryOp op = o->EQ()    ? BinaryOp::kEqual
                    : o->NEQ() ? BinaryOp::kNotEqual
                    : o->LT()  ? BinaryOp::kLess
                    : o->LE()  ? BinaryOp::kLessOrEqual
                    : o->GT()  ? BinaryOp::kGreater
                               : BinaryOp::kGreaterOrEqual;
      return std::make_unique<Binary>(op, expr(c->expression(0)), expr(c->expression(1)), l);
    }
    if (auto* a = alt<P::AndContext>(ctx)) {
      return std::make_unique<Binary>(BinaryOp::kAnd, expr(a->expression(0)),
                                      expr(a->expression(1)), l);
    }
    if (auto* o = alt<P::OrContext>(ctx)) {
      return std::make_unique<Binary>(BinaryOp::kOr, expr(o->expression(0)), expr(o->expression(1)),
                                      l);
    }
    if (auto* n = alt<P::NotContext>(ctx)) {
      return std::make_unique<Unary>(UnaryOp::kNot, expr(n->expression()), l);
    }
    if (auto* t = alt<P::IsTestContext>(ctx)) {
      auto is = std::make_unique<IsTest>();
      is->loc = l;
      is->negated = t->NOT() != nullptr;
      is->what = t->NULL_()    ? IsWhat::kNull
                 : t->TRUE_()  ? IsWhat::kTrue
                 : t->FALSE_() ? IsWhat::kFalse
                               : IsWhat::kUnknown;
      is->operand = expr(t->expression());
      return is;
    }
    if (auto* d = alt<P::IsDistinctFromContext>(ctx)) {
      BinaryOp op = d->NOT() ? BinaryOp::kIsNotDistinctFrom : BinaryOp::kIsDistinctFrom;
      return std::make_unique<Binary>(op, expr(d->expression(0)), expr(d->expression(1)), l);
    }
    if (auto* b = alt<P::BetweenContext>(ctx)) {
      auto between = std::make_unique<Between>();
      between->loc = l;
      between->negated = b->NOT() != nullptr;
      between->operand = expr(b->expression());
      between->low = value(b->valueExpression(0));
      between->high = value(b->valueExpression(1));
      return between;
    }
    if (auto* i = alt<P::InContext>(ctx)) {
      auto in = std::make_unique<In>();
      in->loc = l;
      in->negated = i->NOT() != nullptr;
      in->operand = expr(i->expression());
      in->set = in_operand(i->inOperand());
      return in;
    }
    if (auto* k = alt<P::LikeContext>(ctx)) {
      auto like = std::make_unique<Like>();
      like->loc = l;
      like->negated = k->NOT() != nullptr;
      like->operand = expr(k->expression(0));
      like->pattern = expr(k->expression(1));
      return like;
    }
    auto* q = static_cast<P::QuantifiedLikeContext*>(ctx);
    auto like = std::make_unique<Like>();
    like->loc = l;
    like->negated = q->NOT() != nullptr;
    switch (q->quantifier->getType()) {
      case GoogleSQLLexer::ANY:
        like->quantifier = LikeQuantifier::kAny;
        break;
      case GoogleSQLLexer::SOME:
        like->quantifier = LikeQuantifier::kSome;
        break;
      default:
        like->quantifier = LikeQuantifier::kAll;
    }
    like->operand = expr(q->expression());
    like->patterns = in_operand(q->inOperand());
    return like;
  }

  InOperand in_operand(P::InOperandContext* ctx) {
    InOperand op;
    if (auto* s = alt<P::InSubqueryContext>(ctx)) {
      op.kind = InOperand::Kind::kSubquery;
      op.query = query(s->query());
    } else if (auto* u = alt<P::InUnnestContext>(ctx)) {
      op.kind = InOperand::Kind::kUnnest;
      op.array = expr(u->expression());
    } else {
      for (auto* e : static_cast<P::InListContext*>(ctx)->expression()) op.list.push_back(expr(e));
    }
    return op;
  }

  ExprPtr value(P::ValueExpressionContext* ctx) {
    Location l = loc_of(ctx);
    if (auto* p = alt<P::PrimaryContext>(ctx)) return primary(p->primaryExpression());
    if (auto* f = alt<P::FieldAccessContext>(ctx)) {
      return std::make_unique<FieldAccess>(value(f->valueExpression()), field_name(f->fieldName()),
                                           l);
    }
    if (auto* a = alt<P::AdditiveContext>(ctx)) {
      BinaryOp op = a->op->getType() == GoogleSQLLexer::PLUS ? BinaryOp::kAdd : BinaryOp::kSubtract;
      return std::make_unique<Binary>(op, value(a->valueExpression(0)),
                                      value(a->valueExpression(1)), l);
    }
    if (auto* m = alt<P::MultiplicativeContext>(ctx)) {
      BinaryOp op = m->op->getType() == GoogleSQLLexer::STAR    ? BinaryOp::kMultiply
                    : m->op->getType() == GoogleSQLLexer::SLASH ? BinaryOp::kDivide
                                                                : BinaryOp::kConcat;
      return std::make_unique<Binary>(op, value(m->valueExpression(0)),
                                      value(m->valueExpression(1)), l);
    }
    if (auto* s = alt<P::SubscriptContext>(ctx)) {
      auto sub = std::make_unique<Subscript>();
      sub->loc = l;
      sub->operand = value(s->valueExpression());
      auto* index = s->subscriptIndex();
      if (index->position != nullptr) {
        switch (index->position->getType()) {
          case GoogleSQLLexer::OFFSET:
            sub->mode = SubscriptMode::kOffset;
            break;
          case GoogleSQLLexer::SAFE_OFFSET:
            sub->mode = SubscriptMode::kSafeOffset;
            break;
          case GoogleSQLLexer::ORDINAL:
            sub->mode = SubscriptMode::kOrdinal;
            break;
          default:
            sub->mode = SubscriptMode::kSafeOrdinal;
        }
      }
      sub->index = expr(index->expression());
      return sub;
    }
    if (auto* u = alt<P::UnaryContext>(ctx)) {
      UnaryOp op = u->op->getType() == GoogleSQLLexer::MINUS  ? UnaryOp::kMinus
                   : u->op->getType() == GoogleSQLLexer::PLUS ? UnaryOp::kPlus
                                                              : UnaryOp::kBitwiseNot;
      return std::make_unique<Unary>(op, value(u->valueExpression()), l);
    }
    if (auto* s = alt<P::ShiftContext>(ctx)) {
      BinaryOp op = s->shiftOperator()->LT().empty() ? BinaryOp::kShiftRight : BinaryOp::kShiftLeft;
      return std::make_unique<Binary>(op, value(s->valueExpression(0)),
                                      value(s->valueExpression(1)), l);
    }
    if (auto* b = alt<P::BitwiseAndContext>(ctx)) {
      return std::make_unique<Binary>(BinaryOp::kBitwiseAnd, value(b->valueExpression(0)),
                                      value(b->valueExpression(1)), l);
    }
    if (auto* b = alt<P::BitwiseXorContext>(ctx)) {
      return std::make_unique<Binary>(BinaryOp::kBitwiseXor, value(b->valueExpression(0)),
                                      value(b->valueExpression(1)), l);
    }
    auto* b = static_cast<P::BitwiseOrContext*>(ctx);
    return std::make_unique<Binary>(BinaryOp::kBitwiseOr, value(b->valueExpression(0)),
                                    value(b->valueExpression(1)), l);
  }

  std::vector<Identifier> function_name(P::FunctionNameContext* ctx) {
    std::vector<Identifier> name;
    if (auto* r = ctx->reservedFunctionName()) {
      name.push_back(Identifier{text_of(r), false, loc_of(r)});
      return name;
    }
    name.push_back(identifier(ctx->identifier()));
    for (auto* f : ctx->fieldName()) name.push_back(field_name(f));
    return name;
  }

  FunctionArgument function_argument(P::FunctionArgumentContext* ctx) {
    FunctionArgument arg;
    if (auto* n = alt<P::NamedArgumentContext>(ctx)) {
      arg.kind = FunctionArgument::Kind::kNamed;
      arg.name = identifier(n->name);
      arg.value = expr(n->expression());
    } else if (auto* l = alt<P::LambdaArgumentContext>(ctx)) {
      arg.kind = FunctionArgument::Kind::kLambda;
      auto* params = l->lambdaParameters();
      arg.lambda_parenthesized = params->LPAREN() != nullptr;
      arg.lambda_params = identifiers(params->identifier());
      arg.value = expr(l->expression());
    } else {
      arg.value = expr(static_cast<P::PositionalArgumentContext*>(ctx)->expression());
    }
    return arg;
  }

  ExprPtr function_call(P::FunctionCallContext* ctx) {
    auto call = std::make_unique<FunctionCall>();
    call->loc = loc_of(ctx);
    call->name = function_name(ctx->functionName());
    if (auto* args = ctx->functionArguments()) {
      call->star = args->STAR() != nullptr;
      call->distinct = args->DISTINCT() != nullptr;
      for (auto* a : args->functionArgument()) call->args.push_back(function_argument(a));
      if (auto* n = args->nullHandling()) {
        call->null_handling = n->IGNORE() ? FunctionCall::NullHandling::kIgnore
                                          : FunctionCall::NullHandling::kRespect;
      }
      if (auto* h = args->havingModifier()) {
        call->having_kind =
            h->MAX() ? FunctionCall::HavingKind::kMax : FunctionCall::HavingKind::kMin;
        call->having = expr(h->expression());
      }
      if (auto* o = args->orderByClause()) call->order_by = order_by(o);
      if (auto* l = args->limitClause()) {
        call->limit = expr(l->expression(0));
        if (l->expression().size() > 1) call->offset = expr(l->expression(1));
      }
    }
    if (auto* over = ctx->overClause()) {
      call->over = std::make_unique<OverClause>();
      if (over->windowSpecification() != nullptr) {
        call->over->spec = window_specification(over->windowSpecification());
      } else {
        call->over->window_name = identifier(over->identifier());
      }
    }
    return call;
  }

  std::unique_ptr<Type> type(P::TypeNameContext* ctx) {
    auto t = std::make_unique<Type>();
    t->loc = loc_of(ctx);
    if (auto* a = alt<P::ArrayTypeContext>(ctx)) {
      t->kind = Type::Kind::kArray;
      t->element = type(a->typeName());
    } else if (auto* s = alt<P::StructTypeContext>(ctx)) {
      t->kind = Type::Kind::kStruct;
      for (auto* f : s->structTypeField()) t->fields.push_back(struct_type_field(f));
    } else if (auto* r = alt<P::RangeTypeContext>(ctx)) {
      t->kind = Type::Kind::kRange;
      t->element = type(r->typeName());
    } else if (alt<P::IntervalTypeContext>(ctx) != nullptr) {
      t->kind = Type::Kind::kInterval;
    } else if (auto* tt = alt<P::TableTypeContext>(ctx)) {
      t->kind = Type::Kind::kTable;
      for (auto* f : tt->structTypeField()) t->fields.push_back(struct_type_field(f));
    } else {
      auto* n = static_cast<P::NamedTypeContext*>(ctx);
      t->name = identifier(n->identifier());
      for (auto* p : n->INTEGER_LITERAL()) t->params.push_back(p->getText());
    }
    return t;
  }

  StructTypeField struct_type_field(P::StructTypeFieldContext* ctx) {
    StructTypeField field;
    field.name = opt_identifier(ctx->identifier());
    field.type = type(ctx->typeName());
    field_attributes(ctx->fieldAttributes(), field);
    return field;
  }

  ExprPtr literal(P::LiteralContext* ctx) {
    Location l = loc_of(ctx);
    if (auto* t = alt<P::TypedLiteralContext>(ctx)) {
      LiteralKind k;
      switch (t->kind->getType()) {
        case GoogleSQLLexer::DATE:
          k = LiteralKind::kDate;
          break;
        case GoogleSQLLexer::DATETIME:
          k = LiteralKind::kDatetime;
          break;
        case GoogleSQLLexer::TIME:
          k = LiteralKind::kTime;
          break;
        case GoogleSQLLexer::TIMESTAMP:
          k = LiteralKind::kTimestamp;
          break;
        case GoogleSQLLexer::NUMERIC:
          k = LiteralKind::kNumeric;
          break;
        case GoogleSQLLexer::BIGNUMERIC:
          k = LiteralKind::kBigNumeric;
          break;
        default:
          k = LiteralKind::kJson;
      }
      return std::make_unique<Literal>(k, t->STRING_LITERAL()->getText(), l);
    }
    if (auto* r = alt<P::RangeLiteralContext>(ctx)) {
      auto lit = std::make_unique<Literal>(LiteralKind::kRange, r->STRING_LITERAL()->getText(), l);
      lit->range_type = type(r->typeName());
      return lit;
    }
    LiteralKind k = alt<P::StringLiteralContext>(ctx)    ? LiteralKind::kString
                    : alt<P::BytesLiteralContext>(ctx)   ? LiteralKind::kBytes
                    : alt<P::IntegerLiteralContext>(ctx) ? LiteralKind::kInteger
                    : alt<P::FloatLiteralContext>(ctx)   ? LiteralKind::kFloat
                    : alt<P::BooleanLiteralContext>(ctx) ? LiteralKind::kBoolean
                                                         : LiteralKind::kNull;
    std::string text;
    if (auto* str = alt<P::StringLiteralContext>(ctx)) {
      for (auto* part : str->STRING_LITERAL()) text += (text.empty() ? "" : " ") + part->getText();
    } else {
      text = text_of(ctx);
    }
    if (k == LiteralKind::kBoolean || k == LiteralKind::kNull) {
      for (auto& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    return std::make_unique<Literal>(k, std::move(text), l);
  }

  ExprPtr primary(P::PrimaryExpressionContext* ctx) {
    Location l = loc_of(ctx);
    if (auto* i = alt<P::IdentifierExprContext>(ctx)) {
      return std::make_unique<NameRef>(identifier(i->identifier()), l);
    }
    if (auto* f = alt<P::FunctionCallExprContext>(ctx)) {
      return function_call(f->functionCall());
    }
    if (auto* lit = alt<P::LiteralExprContext>(ctx)) return literal(lit->literal());
    if (auto* p = alt<P::ParenthesizedContext>(ctx)) {
      auto exprs = p->expression();
      if (exprs.size() == 1) return std::make_unique<Parenthesized>(expr(exprs[0]), l);
      auto tuple = std::make_unique<StructConstructor>();
      tuple->loc = l;
      tuple->keyword = false;
      for (auto* e : exprs) tuple->fields.push_back(StructField{expr(e), std::nullopt});
      return tuple;
    }
    if (auto* n = alt<P::NamedParameterContext>(ctx)) {
      std::string name = n->getText().substr(1);
      if (!name.empty() && name.front() == '`') name = unescape_backticks(name);
      return std::make_unique<Parameter>(ParameterKind::kNamed, std::move(name), l);
    }
    if (auto* c = alt<P::CaseExprContext>(ctx)) {
      auto node = std::make_unique<Case>();
      node->loc = l;
      if (c->operand != nullptr) node->operand = expr(c->operand);
      for (auto* w : c->whenClause()) {
        node->whens.push_back(WhenClause{expr(w->condition), expr(w->result)});
      }
      if (c->elseResult != nullptr) node->else_result = expr(c->elseResult);
      return node;
    }
    if (auto* c = alt<P::CastExprContext>(ctx)) {
      auto cast = std::make_unique<Cast>();
      cast->loc = l;
      cast->safe = c->SAFE_CAST() != nullptr;
      cast->operand = expr(c->expression(0));
      cast->type = type(c->typeName());
      if (c->format != nullptr) cast->format = expr(c->format);
      return cast;
    }
    if (auto* e = alt<P::ExtractExprContext>(ctx)) {
      auto ex = std::make_unique<Extract>();
      ex->loc = l;
      ex->part = identifier(e->part);
      ex->part_argument = opt_identifier(e->partArgument);
      ex->operand = expr(e->expression(0));
      if (e->timeZone != nullptr) ex->time_zone = expr(e->timeZone);
      return ex;
    }
    if (auto* i = alt<P::IntervalExprContext>(ctx)) {
      auto iv = std::make_unique<Interval>();
      iv->loc = l;
      iv->value = expr(i->expression());
      iv->part = identifier(i->part);
      iv->to_part = opt_identifier(i->toPart);
      return iv;
    }
    if (auto* a = alt<P::ArrayConstructorContext>(ctx)) {
      auto arr = std::make_unique<ArrayConstructor>();
      arr->loc = l;
      arr->array_keyword = a->ARRAY() != nullptr;
      if (a->typeName() != nullptr) arr->element_type = type(a->typeName());
      for (auto* e : a->expression()) arr->elements.push_back(expr(e));
      return arr;
    }
    if (auto* a = alt<P::ArraySubqueryContext>(ctx)) {
      auto sub = std::make_unique<ArraySubquery>();
      sub->loc = l;
      sub->query = query(a->query());
      return sub;
    }
    if (auto* s = alt<P::StructConstructorContext>(ctx)) {
      auto st = std::make_unique<StructConstructor>();
      st->loc = l;
      st->typed = s->LT() != nullptr;
      for (auto* f : s->structTypeField()) st->type_fields.push_back(struct_type_field(f));
      for (auto* a : s->structArgument()) {
        st->fields.push_back(StructField{expr(a->expression()), opt_identifier(a->identifier())});
      }
      return st;
    }
    if (auto* s = alt<P::ScalarSubqueryContext>(ctx)) {
      auto sub = std::make_unique<ScalarSubquery>();
      sub->loc = l;
      sub->query = query(s->query());
      return sub;
    }
    if (auto* e = alt<P::ExistsExprContext>(ctx)) {
      auto ex = std::make_unique<Exists>();
      ex->loc = l;
      ex->query = query(e->query());
      return ex;
    }
    if (auto* s = alt<P::SystemVariableContext>(ctx)) {
      return std::make_unique<Parameter>(ParameterKind::kSystem, s->getText().substr(2), l);
    }
    return std::make_unique<Parameter>(ParameterKind::kPositional, "", l);
  }

 private:
  antlr4::TokenStream* tokens_;
};

// Runs `rule` on `sql` with SLL prediction and bail-out error handling; on failure, runs it
// again with full LL prediction and the error listener that reports the first syntax error.
template <typename Build>
auto parse_with(std::string_view sql, Build build) {
  if (sql.size() > kMaxQueryBytes) {
    base::Location at = base::location_of(sql, kMaxQueryBytes);
    throw SyntaxError(fmt::format("the SQL text is {} bytes, longer than BigQuery's limit of "
                                  "1,024 KB for a query; split it into several queries",
                                  sql.size()),
                      at, "");
  }
  check_utf8(sql);
  antlr4::ListTokenSource lexer(lex(sql));
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  check_nesting(tokens);
  GoogleSQLParser parser(&tokens);
  parser.removeErrorListeners();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  AstBuilder builder(&tokens);
  try {
    return build(parser, builder);
  } catch (const antlr4::ParseCancellationException&) {
    tokens.seek(0);
    parser.reset();
    ThrowingErrorListener listener;
    parser.addErrorListener(&listener);
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::LL);
    return build(parser, builder);
  }
}

}  // namespace

void check_text(std::string_view text) { check_utf8(text); }

std::unique_ptr<Query> parse_query(std::string_view sql) {
  return parse_with(sql, [](GoogleSQLParser& parser, AstBuilder& builder) {
    auto* tree = parser.queryFile();
    return builder.query(tree->query());
  });
}

Script parse_statements(std::string_view sql) {
  // An empty file is a mistake; one holding only comments is deliberate (a checks.sql that
  // documents why a table has no checks) and gives an empty script.
  if (sql.find_first_not_of(" \t\r\n\f") == std::string_view::npos) {
    throw SyntaxError("empty SQL file: it holds no statement", {1, 1}, "");
  }
  return parse_with(sql, [](GoogleSQLParser& parser, AstBuilder& builder) {
    auto* tree = parser.statementFile();
    Script script;
    for (auto* s : tree->statement()) script.statements.push_back(builder.statement(s));

    return script;
  });
}

}  // namespace shredmit::syntax
