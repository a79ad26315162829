// The Jinja subset of templating.h: a tokenizer for template text, a parser for tags and
// expressions into a small tree, and a tree-walking renderer that records the source map.
#include "templating.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>

namespace shredmit::templating {

size_t offset_of(std::string_view text, Position pos) {
  size_t i = 0;
  for (int line = 1; line < pos.line && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  for (int col = 1; col < pos.column && i < text.size() && text[i] != '\n'; ++col) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

void Rendered::map(size_t out_offset, size_t src_offset, bool exact) {
  if (!segments_.empty() && segments_.back().out_offset == out_offset) segments_.pop_back();
  segments_.push_back({out_offset, src_offset, exact});
}

Position Rendered::original(Position pos) const {
  size_t out = offset_of(text, pos);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), out,
                             [](size_t o, const Segment& s) { return o < s.out_offset; });
  if (it == segments_.begin()) return base::location_of(template_text_, 0);
  --it;
  size_t src = it->exact ? it->src_offset + (out - it->out_offset) : it->src_offset;
  return base::location_of(template_text_, std::min(src, template_text_.size()));
}

bool is_template(std::string_view text) {
  for (size_t i = text.find('{'); i != std::string_view::npos && i + 1 < text.size();
       i = text.find('{', i + 1)) {
    char c = text[i + 1];
    if (c == '%' || c == '{' || c == '#') return true;
  }
  return false;
}

namespace {

// ------------------------------------------------------------------ values

struct Value;
using List = std::vector<Value>;
struct MacroDef;

struct Value {
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kTuple,
    kDict,
    kCallable
  };
  Kind kind = Kind::kUndefined;
  bool b = false;
  long long i = 0;
  double f = 0;
  std::string s;                      // kString; kUndefined: the missing name
  std::shared_ptr<List> items;        // kList, kTuple; kDict: keys
  std::shared_ptr<List> dict_values;  // kDict: values, parallel to items
  std::function<Value(std::vector<Value>&, std::vector<std::pair<std::string, Value>>&)> call;

  static Value undefined(std::string name) {
    Value v;
    v.s = std::move(name);
    return v;
  }
  static Value none() { return make(Kind::kNone); }
  static Value boolean(bool x) {
    Value v = make(Kind::kBool);
    v.b = x;
    return v;
  }
  static Value integer(long long x) {
    Value v = make(Kind::kInt);
    v.i = x;
    return v;
  }
  static Value real(double x) {
    Value v = make(Kind::kFloat);
    v.f = x;
    return v;
  }
  static Value string(std::string x) {
    Value v = make(Kind::kString);
    v.s = std::move(x);
    return v;
  }
  static Value list(List x, Kind k = Kind::kList) {
    Value v = make(k);
    v.items = std::make_shared<List>(std::move(x));
    return v;
  }
  static Value dict() {
    Value v = make(Kind::kDict);
    v.items = std::make_shared<List>();
    v.dict_values = std::make_shared<List>();
    return v;
  }
  static Value make(Kind k) {
    Value v;
    v.kind = k;
    return v;
  }
  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_sequence() const { return kind == Kind::kList || kind == Kind::kTuple; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat; }
  double number() const { return kind == Kind::kInt ? static_cast<double>(i) : f; }
};

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kInt:
      return v.i != 0;
    case Value::Kind::kFloat:
      return v.f != 0;
    case Value::Kind::kString:
      return !v.s.empty();
    case Value::Kind::kList:
    case Value::Kind::kTuple:
    case Value::Kind::kDict:
      return !v.items->empty();
    case Value::Kind::kCallable:
      return true;
  }
  return false;
}

std::string to_text(const Value& v);

// Python's repr, which Jinja uses to print strings inside lists.
std::string repr(const Value& v) {
  if (v.kind != Value::Kind::kString) return to_text(v);
  char quote =
      v.s.find('\'') != std::string::npos && v.s.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (char c : v.s) {
    if (c == quote || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + quote;
}

std::string to_text(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.b ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(v.i);
    case Value::Kind::kFloat: {
      std::string out = fmt::format("{}", v.f);
      if (out.find_first_of(".eninf") == std::string::npos) out += ".0";
      return out;
    }
    case Value::Kind::kString:
      return v.s;
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      bool tuple = v.kind == Value::Kind::kTuple;
      std::string out = tuple ? "(" : "[";
      for (size_t k = 0; k < v.items->size(); ++k) out += (k ? ", " : "") + repr((*v.items)[k]);
      if (tuple && v.items->size() == 1) out += ",";
      return out + (tuple ? ")" : "]");
    }
    case Value::Kind::kDict: {
      std::string out = "{";
      for (size_t k = 0; k < v.items->size(); ++k) {
        out += (k ? ", " : "") + repr((*v.items)[k]) + ": " + repr((*v.dict_values)[k]);
      }
      return out + "}";
    }
    case Value::Kind::kCallable:
      return "<function>";
  }
  return "";
}

bool equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.number() == b.number();
  if (a.kind == Value::Kind::kBool && b.kind == Value::Kind::kBool) return a.b == b.b;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kString:
      return a.s == b.s;
    case Value::Kind::kNone:
    case Value::Kind::kUndefined:
      return true;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      if (a.items->size() != b.items->size()) return false;
      for (size_t k = 0; k < a.items->size(); ++k) {
        if (!equal((*a.items)[k], (*b.items)[k])) return false;
      }
      return true;
    default:
      return false;
  }
}

// ------------------------------------------------------------------ template tokens

// A piece of the template: literal text, an {{ expression }} or a {% tag %}. `begin`/`end` are
// byte offsets of the content (for text) or of the tag's inner text (for the others); `start`
// is where the tag itself starts, for messages.
struct Piece {
  enum class Kind { kText, kOutput, kTag } kind = Kind::kText;
  size_t begin = 0;
  size_t end = 0;
  size_t start = 0;
};

// ------------------------------------------------------------------ expressions

// One level of a recursion whose depth is limited: increments `depth` for its lifetime.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(++depth) {}
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,
    kName,
    kList,
    kTuple,
    kDict,
    kAttribute,
    kSubscript,
    kCall,
    kFilter,
    kTest,
    kUnary,
    kBinary,
    kConditional,
  } kind;
  size_t pos = 0;  // template byte offset, for messages
  Value literal;
  std::string name;           // kName, kAttribute, kFilter, kTest; kUnary/kBinary: the operator
  bool negated = false;       // kTest: `is not`
  std::vector<ExprPtr> args;  // operands, elements, call arguments (receiver first for kAttribute,
                              // kSubscript, kCall, kFilter, kTest)
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  int depth = 1;  // levels of the tree below and including this node
};

struct Token {
  enum class Kind { kName, kString, kInt, kFloat, kOp, kEnd } kind = Kind::kEnd;
  std::string text;
  size_t pos = 0;
};

class TemplateSyntax {
 public:
  TemplateSyntax(const Source& src) : src_(src) {}

  [[noreturn]] void fail(const std::string& message, size_t offset) const {
    throw TemplateError(message, src_.name, base::location_of(src_.text, offset));
  }

  const Source& src_;
};

// Tokenizes and parses the expression language inside one tag.
class ExprParser {
 public:
  ExprParser(const TemplateSyntax& syntax, size_t begin, size_t end) : syntax_(syntax) {
    tokenize(begin, end);
  }

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  bool at_end() const { return peek().kind == Token::Kind::kEnd; }
  bool is_op(const char* op, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kOp && peek(ahead).text == op;
  }
  bool is_name(const char* word, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kName && peek(ahead).text == word;
  }
  Token take() { return tokens_[std::min(next_++, tokens_.size() - 1)]; }
  void expect_op(const char* op) {
    if (!is_op(op))
      syntax_.fail(fmt::format("expected '{}' but found {}", op, describe(peek())), peek().pos);
    ++next_;
  }
  std::string expect_name() {
    if (peek().kind != Token::Kind::kName) {
      syntax_.fail("expected a name but found " + describe(peek()), peek().pos);
    }
    return take().text;
  }
  void expect_end() {
    if (!at_end()) syntax_.fail("unexpected " + describe(peek()) + " in tag", peek().pos);
  }
  static std::string describe(const Token& t) {
    return t.kind == Token::Kind::kEnd ? "end of tag" : "'" + t.text + "'";
  }

  ExprPtr expression() {
    DepthGuard guard(nesting_);
    check_nesting();
    ExprPtr e = or_expr();
    if (is_name("if")) {
      size_t pos = take().pos;
      auto cond =
          std::make_unique<Expr>(Expr{Expr::Kind::kConditional, pos, {}, {}, false, {}, {}});
      ExprPtr test = or_expr();
      ExprPtr otherwise;
      if (is_name("else")) {
        take();
        otherwise = expression();
      }
      adopt(*cond, std::move(test));
      adopt(*cond, std::move(e));
      if (otherwise) adopt(*cond, std::move(otherwise));
      return cond;
    }
    return e;
  }

 private:
  // The parser's own recursion (parentheses, `not not ...`, `- - ...`) runs before any node is
  // built; each level holds a DepthGuard on nesting_ and calls this, so that deep nesting is
  // refused before it exhausts the stack.
  void check_nesting() const {
    if (nesting_ > kMaxExpressionDepth) too_deep(peek().pos);
  }
  [[noreturn]] void too_deep(size_t pos) const {
    syntax_.fail(fmt::format("expression nested more than {} levels deep; split it with "
                             "{{% set %}} into smaller expressions",
                             kMaxExpressionDepth),
                 pos);
  }
  // Appends `child` to `parent`'s operands, refusing a tree deeper than kMaxExpressionDepth
  // (long operator chains build deep trees without deep recursion).
  void adopt(Expr& parent, ExprPtr child) {
    deepen(parent, *child);
    parent.args.push_back(std::move(child));
  }
  void adopt_keyword(Expr& call, std::string key, ExprPtr value) {
    deepen(call, *value);
    call.kwargs.emplace_back(std::move(key), std::move(value));
  }
  void deepen(Expr& parent, const Expr& child) const {
    parent.depth = std::max(parent.depth, child.depth + 1);
    if (parent.depth > kMaxExpressionDepth) too_deep(parent.pos);
  }

  ExprPtr node(Expr::Kind k, size_t pos, std::string name = {}) {
    auto e = std::make_unique<Expr>(Expr{k, pos, {}, std::move(name), false, {}, {}});
    return e;
  }
  ExprPtr binary(std::string op, size_t pos, ExprPtr a, ExprPtr b) {
    auto e = node(Expr::Kind::kBinary, pos, std::move(op));
    adopt(*e, std::move(a));
    adopt(*e, std::move(b));
    return e;
  }

  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (is_name("or")) {
      size_t pos = take().pos;
      e = binary("or", pos, std::move(e), and_expr());
    }
    return e;
  }
  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (is_name("and")) {
      size_t pos = take().pos;
      e = binary("and", pos, std::move(e), not_expr());
    }
    return e;
  }
  ExprPtr not_expr() {
    if (is_name("not")) {
      DepthGuard guard(nesting_);
      check_nesting();
      size_t pos = take().pos;
      auto e = node(Expr::Kind::kUnary, pos, "not");
      adopt(*e, not_expr());
      return e;
    }
    return comparison();
  }
  ExprPtr comparison() {
    ExprPtr e = additive();
    for (;;) {
      static const char* kOps[] = {"==", "!=", "<", ">", "<=", ">="};
      const char* found = nullptr;
      for (const char* op : kOps) {
        if (is_op(op)) found = op;
      }
      if (found != nullptr) {
        size_t pos = take().pos;
        e = binary(found, pos, std::move(e), additive());
      } else if (is_name("in")) {
        size_t pos = take().pos;
        e = binary("in", pos, std::move(e), additive());
      } else if (is_name("not") && is_name("in", 1)) {
        size_t pos = take().pos;
        take();
        e = binary("not in", pos, std::move(e), additive());
      } else {
        return e;
      }
    }
  }
  ExprPtr additive() {
    ExprPtr e = concat();
    while (is_op("+") || is_op("-")) {
      Token t = take();
      e = binary(t.text, t.pos, std::move(e), concat());
    }
    return e;
  }
  ExprPtr concat() {
    ExprPtr e = multiplicative();
    while (is_op("~")) {
      size_t pos = take().pos;
      e = binary("~", pos, std::move(e), multiplicative());
    }
    return e;
  }
  ExprPtr multiplicative() {
    ExprPtr e = unary();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      Token t = take();
      e = binary(t.text, t.pos, std::move(e), unary());
    }
    return e;
  }
  ExprPtr unary() {
    if (is_op("-") || is_op("+")) {
      DepthGuard guard(nesting_);
      check_nesting();
      Token t = take();
      auto e = node(Expr::Kind::kUnary, t.pos, t.text);
      adopt(*e, unary());
      return e;
    }
    return filtered(postfix(primary()));
  }

  void call_arguments(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (peek().kind == Token::Kind::kName && is_op("=", 1)) {
        std::string key = take().text;
        take();
        adopt_keyword(call, key, expression());
      } else {
        adopt(call, expression());
      }
      if (!is_op(",")) break;
      take();
    }
    expect_op(")");
  }

  ExprPtr postfix(ExprPtr e) {
    for (;;) {
      if (is_op(".")) {
        take();
        Token t = peek();
        auto a = node(Expr::Kind::kAttribute, t.pos, expect_name());
        adopt(*a, std::move(e));
        e = std::move(a);
      } else if (is_op("[")) {
        size_t pos = take().pos;
        auto s = node(Expr::Kind::kSubscript, pos);
        adopt(*s, std::move(e));
        adopt(*s, expression());
        expect_op("]");
        e = std::move(s);
      } else if (is_op("(")) {
        auto c = node(Expr::Kind::kCall, peek().pos);
        adopt(*c, std::move(e));
        call_arguments(*c);
        e = std::move(c);
      } else {
        return e;
      }
    }
  }

  ExprPtr filtered(ExprPtr e) {
    for (;;) {
      if (is_op("|")) {
        take();
        Token t = peek();
        auto f = node(Expr::Kind::kFilter, t.pos, expect_name());
        adopt(*f, std::move(e));
        if (is_op("(")) call_arguments(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        take();
        bool negated = false;
        if (is_name("not")) {
          take();
          negated = true;
        }
        Token t = peek();
        auto test = node(Expr::Kind::kTest, t.pos, expect_name());
        test->negated = negated;
        adopt(*test, std::move(e));
        e = std::move(test);
      } else {
        return e;
      }
    }
  }

  ExprPtr primary() {
    Token t = take();
    switch (t.kind) {
      case Token::Kind::kString: {
        auto e = node(Expr::Kind::kLiteral, t.pos);
        std::string text = t.text;
        // Adjacent string literals concatenate, as in Python.
        while (peek().kind == Token::Kind::kString) text += take().text;
        e->literal = Value::string(std::move(text));
        return e;
      }
      case Token::Kind::kInt: {
        auto e = node(Expr::Kind::kLiteral, t.pos);
        long long value = 0;
        auto [end, error] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
        if (error != std::errc() || end != t.text.data() + t.text.size()) {
          syntax_.fail("integer literal " + t.text +
                           " is outside INT64 (-9223372036854775808 to 9223372036854775807)",
                       t.pos);
        }
        e->literal = Value::integer(value);
        return e;
      }
      case Token::Kind::kFloat: {
        auto e = node(Expr::Kind::kLiteral, t.pos);
        // As Python's float(): out-of-range literals become infinity or zero, not errors.
        e->literal = Value::real(std::strtod(t.text.c_str(), nullptr));
        return e;
      }
      case Token::Kind::kName: {
        auto e = node(Expr::Kind::kLiteral, t.pos);
        if (t.text == "true" || t.text == "True") {
          e->literal = Value::boolean(true);
        } else if (t.text == "false" || t.text == "False") {
          e->literal = Value::boolean(false);
        } else if (t.text == "none" || t.text == "None") {
          e->literal = Value::none();
        } else {
          return node(Expr::Kind::kName, t.pos, t.text);
        }
        return e;
      }
      case Token::Kind::kOp:
        if (t.text == "(") {
          if (is_op(")")) {
            take();
            return node(Expr::Kind::kTuple, t.pos);
          }
          ExprPtr first = expression();
          if (is_op(")")) {
            take();
            return first;
          }
          auto tuple = node(Expr::Kind::kTuple, t.pos);
          adopt(*tuple, std::move(first));
          while (is_op(",")) {
            take();
            if (is_op(")")) break;
            adopt(*tuple, expression());
          }
          expect_op(")");
          return tuple;
        }
        if (t.text == "[") {
          auto list = node(Expr::Kind::kList, t.pos);
          while (!is_op("]")) {
            adopt(*list, expression());
            if (!is_op(",")) break;
            take();
          }
          expect_op("]");
          return list;
        }
        if (t.text == "{") {
          auto dict = node(Expr::Kind::kDict, t.pos);
          while (!is_op("}")) {
            adopt(*dict, expression());
            expect_op(":");
            adopt(*dict, expression());
            if (!is_op(",")) break;
            take();
          }
          expect_op("}");
          return dict;
        }
        break;
      case Token::Kind::kEnd:
        break;
    }
    syntax_.fail("expected an expression but found " + describe(t), t.pos);
  }

  void tokenize(size_t begin, size_t end) {
    const std::string& text = syntax_.src_.text;
    size_t i = begin;
    while (i < end) {
      char c = text[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.pos = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < end && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
          ++j;
        t.kind = Token::Kind::kName;
        t.text = text.substr(i, j - i);
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t j = i;
        while (j < end && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '_'))
          ++j;
        t.kind = Token::Kind::kInt;
        if (j + 1 < end && text[j] == '.' &&
            std::isdigit(static_cast<unsigned char>(text[j + 1]))) {
          ++j;
          while (j < end && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
          t.kind = Token::Kind::kFloat;
        }
        t.text = text.substr(i, j - i);
        t.text.erase(std::remove(t.text.begin(), t.text.end(), '_'), t.text.end());
        i = j;
      } else if (c == '\'' || c == '"') {
        size_t j = i + 1;
        std::string value;
        while (j < end && text[j] != c) {
          if (text[j] == '\\' && j + 1 < end) {
            ++j;
            char e = text[j];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            value += text[j];
          }
          ++j;
        }
        if (j >= end) syntax_.fail("unterminated string in template expression", i);
        t.kind = Token::Kind::kString;
        t.text = std::move(value);
        i = j + 1;
      } else {
        static const char* kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
        t.kind = Token::Kind::kOp;
        t.text = std::string(1, c);
        for (const char* op : kTwo) {
          if (text.compare(i, 2, op) == 0 && i + 1 < end) t.text = op;
        }
        if (std::string_view("()[]{},:.|~+-*/%=<>!").find(c) == std::string_view::npos) {
          syntax_.fail(fmt::format("unexpected character '{}' in template expression", c), i);
        }
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
    Token end_token;
    end_token.pos = end;
    tokens_.push_back(end_token);
  }

  const TemplateSyntax& syntax_;
  std::vector<Token> tokens_;
  int nesting_ = 0;
  size_t next_ = 0;
};

// ------------------------------------------------------------------ template tree

struct Node;
using Body = std::vector<std::unique_ptr<Node>>;

struct Node {
  enum class Kind { kText, kOutput, kIf, kFor, kSet, kMacro } kind = Kind::kText;
  size_t pos = 0;    // where the tag starts
  size_t begin = 0;  // kText: source range
  size_t end = 0;
  ExprPtr expr;                                         // kOutput, kSet (value), kFor (sequence)
  std::vector<std::pair<ExprPtr, Body>> branches;       // kIf: condition (null for else) and body
  std::vector<std::string> targets;                     // kFor loop variables, kSet name
  Body body;                                            // kFor, kMacro
  std::string name;                                     // kMacro
  std::vector<std::pair<std::string, ExprPtr>> params;  // kMacro: name and default (may be null)
};

struct MacroDef {
  const Node* node;
  const Source* source;
};

// Splits the template into pieces and parses them into a tree.
class TemplateParser {
 public:
  explicit TemplateParser(const Source& src) : syntax_(src), src_(src) { split(); }

  Body parse() {
    Body body;
    std::string stop = parse_body(body, {});
    if (!stop.empty())
      syntax_.fail("'{% " + stop + " %}' without an opening tag", pieces_[next_ - 1].start);
    return body;
  }

 private:
  // Parses nodes until a tag whose first word is in `stops` (returned, with its piece consumed)
  // or the end of the template (returns "").
  std::string parse_body(Body& body, const std::vector<std::string>& stops) {
    while (next_ < pieces_.size()) {
      const Piece& p = pieces_[next_++];
      if (p.kind == Piece::Kind::kText) {
        if (p.begin == p.end) continue;
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::kText;
        n->begin = p.begin;
        n->end = p.end;
        n->pos = p.begin;
        body.push_back(std::move(n));
        continue;
      }
      ExprParser ep(syntax_, p.begin, p.end);
      if (p.kind == Piece::Kind::kOutput) {
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::kOutput;
        n->pos = p.start;
        n->expr = ep.expression();
        ep.expect_end();
        body.push_back(std::move(n));
        continue;
      }
      if (ep.peek().kind != Token::Kind::kName) syntax_.fail("expected a tag name", p.start);
      std::string word = ep.take().text;
      if (std::find(stops.begin(), stops.end(), word) != stops.end()) {
        current_parser_ = std::make_unique<ExprParser>(std::move(ep));
        return word;
      }
      body.push_back(tag(word, ep, p));
    }
    if (!stops.empty()) {
      syntax_.fail(
          "unclosed block: expected '{% " + stops.back() + " %}' before the end of the template",
          src_.text.size());
    }
    return "";
  }

  std::unique_ptr<Node> tag(const std::string& word, ExprParser& ep, const Piece& p) {
    // Block tags recurse through parse_body; deep nesting is refused before the stack runs out.
    DepthGuard guard(tag_depth_);
    if (tag_depth_ > kMaxTagDepth) {
      syntax_.fail(fmt::format("tags nested more than {} levels deep; move the inner part into a "
                               "{{% macro %}}",
                               kMaxTagDepth),
                   p.start);
    }
    auto n = std::make_unique<Node>();
    n->pos = p.start;
    if (word == "if") {
      n->kind = Node::Kind::kIf;
      ExprPtr cond = ep.expression();
      ep.expect_end();
      for (;;) {
        Body branch;
        std::string stop = parse_body(branch, {"elif", "else", "endif"});
        n->branches.emplace_back(std::move(cond), std::move(branch));
        if (stop == "endif") {
          current_parser_->expect_end();
          return n;
        }
        if (stop == "elif") {
          cond = current_parser_->expression();
          current_parser_->expect_end();
        } else {
          current_parser_->expect_end();
          Body last;
          parse_body(last, {"endif"});
          current_parser_->expect_end();
          n->branches.emplace_back(nullptr, std::move(last));
          return n;
        }
      }
    }
    if (word == "for") {
      n->kind = Node::Kind::kFor;
      n->targets.push_back(ep.expect_name());
      while (ep.is_op(",")) {
        ep.take();
        n->targets.push_back(ep.expect_name());
      }
      if (!ep.is_name("in")) syntax_.fail("expected 'in' in for tag", ep.peek().pos);
      ep.take();
      n->expr = ep.expression();
      ep.expect_end();
      parse_body(n->body, {"endfor"});
      current_parser_->expect_end();
      return n;
    }
    if (word == "set") {
      n->kind = Node::Kind::kSet;
      n->targets.push_back(ep.expect_name());
      ep.expect_op("=");
      n->expr = ep.expression();
      ep.expect_end();
      return n;
    }
    if (word == "macro") {
      n->kind = Node::Kind::kMacro;
      n->name = ep.expect_name();
      ep.expect_op("(");
      while (!ep.is_op(")")) {
        std::string param = ep.expect_name();
        ExprPtr def;
        if (ep.is_op("=")) {
          ep.take();
          def = ep.expression();
        }
        n->params.emplace_back(param, std::move(def));
        if (!ep.is_op(",")) break;
        ep.take();
      }
      ep.expect_op(")");
      ep.expect_end();
      parse_body(n->body, {"endmacro"});
      current_parser_->expect_end();
      return n;
    }
    if (word == "elif" || word == "else" || word == "endif" || word == "endfor" ||
        word == "endmacro" || word == "endraw") {
      syntax_.fail("'{% " + word + " %}' without an opening tag", p.start);
    }
    syntax_.fail("unknown template tag '" + word +
                     "'; shredmit renders if/elif/else, for, set, macro, raw and comments",
                 p.start);
  }

  // Finds the end of a tag opened at `open` (the offset after `{%`, `{{` or `{#`), skipping
  // quoted strings inside expressions. Returns the offset of the closing delimiter.
  size_t tag_end(size_t open, const char* close, size_t start) const {
    const std::string& t = src_.text;
    bool strings = close[0] != '#';
    for (size_t i = open; i + 1 < t.size(); ++i) {
      if (strings && (t[i] == '\'' || t[i] == '"')) {
        char q = t[i];
        for (++i; i < t.size() && t[i] != q; ++i) {
          if (t[i] == '\\') ++i;
        }
        continue;
      }
      if (t[i] == close[0] && t[i + 1] == '}') return i;
    }
    syntax_.fail(fmt::format("unclosed template tag: expected '{}}}'", close[0]), start);
  }

  void strip_trailing_whitespace() {
    if (pieces_.empty() || pieces_.back().kind != Piece::Kind::kText) return;
    Piece& p = pieces_.back();
    while (p.end > p.begin && std::isspace(static_cast<unsigned char>(src_.text[p.end - 1])))
      --p.end;
  }

  void split() {
    const std::string& t = src_.text;
    size_t text_start = 0;
    bool strip_next = false;
    size_t i = 0;
    auto push_text = [&](size_t end) {
      size_t begin = text_start;
      if (strip_next) {
        while (begin < end && std::isspace(static_cast<unsigned char>(t[begin]))) ++begin;
        strip_next = false;
      }
      pieces_.push_back({Piece::Kind::kText, begin, end, begin});
    };
    while (i + 1 < t.size()) {
      if (t[i] != '{' || (t[i + 1] != '%' && t[i + 1] != '{' && t[i + 1] != '#')) {
        ++i;
        continue;
      }
      char kind = t[i + 1];
      size_t start = i;
      push_text(i);
      size_t inner = i + 2;
      if (inner < t.size() && (t[inner] == '-' || t[inner] == '+')) {
        if (t[inner] == '-') strip_trailing_whitespace();
        ++inner;
      }
      const char* close = kind == '%' ? "%}" : kind == '{' ? "}}" : "#}";
      size_t close_at = tag_end(inner, close, start);
      size_t inner_end = close_at;
      if (inner_end > inner && t[inner_end - 1] == '-') {
        --inner_end;
        strip_next = true;
      }
      i = close_at + 2;
      text_start = i;
      if (kind == '#') continue;
      if (kind == '{') {
        pieces_.push_back({Piece::Kind::kOutput, inner, inner_end, start});
        continue;
      }
      // {% raw %} ... {% endraw %} is copied verbatim.
      size_t w = inner;
      while (w < inner_end && std::isspace(static_cast<unsigned char>(t[w]))) ++w;
      if (t.compare(w, 3, "raw") == 0 &&
          (w + 3 == inner_end || std::isspace(static_cast<unsigned char>(t[w + 3])))) {
        size_t end_tag = t.find("endraw", i);
        if (end_tag == std::string::npos) syntax_.fail("'{% raw %}' without '{% endraw %}'", start);
        size_t open = t.rfind("{%", end_tag);
        size_t raw_end = open;
        if (open + 2 < t.size() && t[open + 2] == '-') {
          while (raw_end > i && std::isspace(static_cast<unsigned char>(t[raw_end - 1]))) --raw_end;
        }
        size_t begin = i;
        if (strip_next) {
          while (begin < raw_end && std::isspace(static_cast<unsigned char>(t[begin]))) ++begin;
          strip_next = false;
        }
        pieces_.push_back({Piece::Kind::kText, begin, raw_end, begin});
        size_t close_raw = tag_end(end_tag, "%}", open);
        strip_next = t[close_raw - 1] == '-';
        i = close_raw + 2;
        text_start = i;
        continue;
      }
      pieces_.push_back({Piece::Kind::kTag, inner, inner_end, start});
    }
    push_text(t.size());
  }

  TemplateSyntax syntax_;
  const Source& src_;
  std::vector<Piece> pieces_;
  size_t next_ = 0;
  std::unique_ptr<ExprParser> current_parser_;
  int tag_depth_ = 0;
};

// ------------------------------------------------------------------ rendering

using Scope = std::map<std::string, Value>;

class Renderer {
 public:
  Renderer(const RenderOptions& options, Rendered& out) : out_(out) {
    globals_["is_init"] =
        builtin([init = options.init](auto&, auto&) { return Value::boolean(init); });
    globals_["range"] = builtin([this](std::vector<Value>& args, auto&) {
      long long start = 0, stop = 0, step = 1;
      for (const auto& a : args) {
        if (a.kind != Value::Kind::kInt) fail("range() takes integers", call_pos_);
      }
      if (args.size() == 1) stop = args[0].i;
      if (args.size() >= 2) {
        start = args[0].i;
        stop = args[1].i;
      }
      if (args.size() == 3) step = args[2].i;
      if (args.empty() || args.size() > 3 || step == 0)
        fail("range() takes 1 to 3 integers", call_pos_);
      // The count is computed in 128 bits so that no bound or step can overflow it.
      __int128 span =
          step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
      __int128 magnitude = step > 0 ? static_cast<__int128>(step) : -static_cast<__int128>(step);
      __int128 count = span <= 0 ? 0 : (span + magnitude - 1) / magnitude;
      if (count > kMaxListItems) {
        fail(fmt::format("range() would make {} items, more than the limit of {}",
                         static_cast<unsigned long long>(count), kMaxListItems),
             call_pos_);
      }
      List items;
      for (__int128 k = 0; k < count; ++k)
        items.push_back(Value::integer(static_cast<long long>(start + k * step)));
      return Value::list(std::move(items));
    });
    for (const auto& [name, text] : options.variables) {
      bool digits = !text.empty() && text.size() < 18 &&
                    std::all_of(text.begin(), text.end(),
                                [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      globals_[name] = digits ? Value::integer(std::stoll(text)) : Value::string(text);
    }
  }

  // Defines the macros of a macro file; its text output is discarded.
  void load_macros(const Source& src, const Body& body) {
    for (const auto& n : body) {
      if (n->kind == Node::Kind::kMacro) define_macro(*n, src);
    }
  }

  void render_main(const Source& src, const Body& body) {
    source_ = &src;
    Scope scope;
    render(body, scope);
  }

 private:
  [[noreturn]] void fail(const std::string& message, size_t offset) const {
    throw TemplateError(message, source_->name, base::location_of(source_->text, offset));
  }

  Value builtin(
      std::function<Value(std::vector<Value>&, std::vector<std::pair<std::string, Value>>&)> f) {
    Value v = Value::make(Value::Kind::kCallable);
    v.call = std::move(f);
    return v;
  }

  void define_macro(const Node& n, const Source& src) {
    MacroDef def{&n, &src};
    globals_[n.name] = builtin(
        [this, def](std::vector<Value>& args, std::vector<std::pair<std::string, Value>>& kwargs) {
          return call_macro(def, args, kwargs);
        });
  }

  Value call_macro(const MacroDef& def, std::vector<Value>& args,
                   std::vector<std::pair<std::string, Value>>& kwargs) {
    const Node& n = *def.node;
    if (macro_depth_ >= kMaxMacroDepth) {
      fail(fmt::format("macro '{}' is called more than {} levels deep (a macro that calls itself "
                       "without end?); make the recursion stop sooner",
                       n.name, kMaxMacroDepth),
           call_pos_);
    }
    if (args.size() > n.params.size()) {
      fail(fmt::format("macro '{}' takes {} arguments, {} given", n.name, n.params.size(),
                       args.size()),
           call_pos_);
    }
    Scope scope;
    for (size_t k = 0; k < n.params.size(); ++k) {
      const auto& [param, def_expr] = n.params[k];
      if (k < args.size()) {
        scope[param] = args[k];
      } else {
        scope[param] = Value::undefined(param);
      }
    }
    for (auto& [key, value] : kwargs) {
      // clang before 16 cannot capture a structured binding in a lambda.
      const std::string& name = key;
      auto it = std::find_if(n.params.begin(), n.params.end(),
                             [&](const auto& p) { return p.first == name; });
      if (it == n.params.end())
        fail(fmt::format("macro '{}' has no argument '{}'", n.name, key), call_pos_);
      scope[key] = value;
    }
    // Defaults are evaluated in the macro's own file.
    const Source* caller_source = source_;
    size_t call_pos = call_pos_;
    bool was_in_macro = in_macro_;
    if (!in_macro_) macro_call_site_ = call_pos_;
    in_macro_ = true;
    source_ = def.source;
    for (const auto& [param, def_expr] : n.params) {
      if (def_expr && scope[param].is_undefined()) scope[param] = eval(*def_expr, scope);
    }
    // The macro's output is captured and returned as a string; the {{ }} that prints it maps
    // it to the outermost call site.
    std::string captured;
    std::swap(captured, out_.text);
    {
      DepthGuard guard(macro_depth_);
      render(n.body, scope);
    }
    std::swap(captured, out_.text);
    source_ = caller_source;
    call_pos_ = call_pos;
    in_macro_ = was_in_macro;
    return Value::string(std::move(captured));
  }

  void emit(std::string_view text, size_t src_offset, bool exact) {
    if (text.empty()) return;
    if (out_.text.size() + text.size() > kMaxRenderedBytes) {
      fail(fmt::format("the rendered text would pass {} MiB, the limit for one template",
                       kMaxRenderedBytes >> 20),
           src_offset);
    }
    if (!in_macro_) out_.map(out_.text.size(), src_offset, exact);
    out_.text += text;
  }

  void render(const Body& body, Scope& scope) {
    for (const auto& n : body) render(*n, scope);
  }

  void render(const Node& n, Scope& scope) {
    step(n.pos);
    switch (n.kind) {
      case Node::Kind::kText:
        emit(std::string_view(source_->text).substr(n.begin, n.end - n.begin), n.begin, true);
        return;
      case Node::Kind::kOutput: {
        if (!in_macro_) call_pos_ = n.pos;
        Value v = eval(*n.expr, scope);
        if (v.is_undefined() && !in_macro_ && in_sql_line_comment(n.pos)) {
          // bigquery-etl prints undefined variables as nothing; inside a SQL comment that
          // cannot change the query, so it is not an error there.
          return;
        }
        if (v.is_undefined()) {
          fail("undefined variable '" + v.s + "'; define it with {% set %} or pass --param " + v.s +
                   "=VALUE",
               n.expr->pos);
        }
        emit(to_text(v), in_macro_ ? macro_call_site_ : n.pos, false);
        return;
      }
      case Node::Kind::kIf:
        for (const auto& [cond, branch] : n.branches) {
          if (!cond || truthy(eval(*cond, scope))) {
            render(branch, scope);
            return;
          }
        }
        return;
      case Node::Kind::kFor: {
        Value seq = eval(*n.expr, scope);
        List items = iterate(seq, n.expr->pos);
        for (size_t k = 0; k < items.size(); ++k) {
          Scope inner = scope;
          bind_targets(n, items[k], inner);
          Value loop = Value::dict();
          auto add = [&](const char* key, Value v) {
            loop.items->push_back(Value::string(key));
            loop.dict_values->push_back(std::move(v));
          };
          add("index", Value::integer(static_cast<long long>(k) + 1));
          add("index0", Value::integer(static_cast<long long>(k)));
          add("first", Value::boolean(k == 0));
          add("last", Value::boolean(k + 1 == items.size()));
          add("length", Value::integer(static_cast<long long>(items.size())));
          add("revindex", Value::integer(static_cast<long long>(items.size() - k)));
          inner["loop"] = loop;
          render(n.body, inner);
          // Jinja scoping: assignments inside a loop body do not leak out of it.
        }
        return;
      }
      case Node::Kind::kSet:
        scope[n.targets[0]] = eval(*n.expr, scope);
        return;
      case Node::Kind::kMacro:
        define_macro(n, *source_);
        return;
    }
  }

  void bind_targets(const Node& n, const Value& item, Scope& scope) {
    if (n.targets.size() == 1) {
      scope[n.targets[0]] = item;
      return;
    }
    if (!item.is_sequence() || item.items->size() != n.targets.size()) {
      fail(fmt::format("cannot unpack {} into {} loop variables", to_text(item), n.targets.size()),
           n.expr->pos);
    }
    for (size_t k = 0; k < n.targets.size(); ++k) scope[n.targets[k]] = (*item.items)[k];
  }

  List iterate(const Value& v, size_t pos) {
    switch (v.kind) {
      case Value::Kind::kList:
      case Value::Kind::kTuple:
      case Value::Kind::kDict:
        return *v.items;
      case Value::Kind::kString: {
        List out;
        for (char c : v.s) out.push_back(Value::string(std::string(1, c)));
        return out;
      }
      case Value::Kind::kUndefined:
        fail("undefined variable '" + v.s + "' used as a sequence", pos);
      default:
        fail("cannot iterate over " + to_text(v), pos);
    }
  }

  const Value& lookup(const std::string& name, const Scope& scope) {
    auto it = scope.find(name);
    if (it != scope.end()) return it->second;
    auto g = globals_.find(name);
    if (g != globals_.end()) return g->second;
    static thread_local Value missing;
    missing = Value::undefined(name);
    return missing;
  }

  // True when template byte `pos` follows `--` or `#` on its line, outside a quoted string.
  bool in_sql_line_comment(size_t pos) const {
    const std::string& t = source_->text;
    size_t line_start = t.rfind('\n', pos == 0 ? 0 : pos - 1);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    char quote = 0;
    for (size_t i = line_start; i < pos; ++i) {
      char c = t[i];
      if (quote != 0) {
        if (c == '\\')
          ++i;
        else if (c == quote)
          quote = 0;
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
      } else if (c == '#' && (i == 0 || t[i - 1] != '{') &&
                 (i + 1 >= t.size() || t[i + 1] != '}')) {
        return true;
      } else if (c == '-' && i + 1 < pos && t[i + 1] == '-') {
        return true;
      }
    }
    return false;
  }

  void require_defined(const Value& v, size_t pos) {
    if (v.is_undefined() && v.s == "metrics") {
      throw TemplateError(
          "undefined variable 'metrics': bigquery-etl's metrics.calculate() fetches metric-hub "
          "definitions over the network, which shredmit does not do; this file cannot be "
          "rendered offline",
          source_->name, base::location_of(source_->text, pos), true);
    }
    if (v.is_undefined()) {
      fail("undefined variable '" + v.s + "'; define it with {% set %} or pass --param " + v.s +
               "=VALUE",
           pos);
    }
  }

  Value attribute(const Value& obj, const std::string& name, size_t pos) {
    require_defined(obj, pos);
    if (obj.kind == Value::Kind::kDict) {
      for (size_t k = 0; k < obj.items->size(); ++k) {
        const Value& key = (*obj.items)[k];
        if (key.kind == Value::Kind::kString && key.s == name) return (*obj.dict_values)[k];
      }
      if (name == "items" || name == "keys" || name == "values") {
        return builtin([obj, name](auto&, auto&) {
          if (name == "keys") return Value::list(*obj.items);
          if (name == "values") return Value::list(*obj.dict_values);
          List pairs;
          for (size_t k = 0; k < obj.items->size(); ++k) {
            pairs.push_back(
                Value::list({(*obj.items)[k], (*obj.dict_values)[k]}, Value::Kind::kTuple));
          }
          return Value::list(std::move(pairs));
        });
      }
    }
    return Value::undefined(name);
  }

  Value subscript(const Value& obj, const Value& key, size_t pos) {
    require_defined(obj, pos);
    if (obj.kind == Value::Kind::kDict) {
      for (size_t k = 0; k < obj.items->size(); ++k) {
        if (equal((*obj.items)[k], key)) return (*obj.dict_values)[k];
      }
      return Value::undefined(to_text(key));
    }
    if ((obj.is_sequence() || obj.kind == Value::Kind::kString) && key.kind == Value::Kind::kInt) {
      long long size = obj.kind == Value::Kind::kString ? static_cast<long long>(obj.s.size())
                                                        : static_cast<long long>(obj.items->size());
      long long index = key.i < 0 ? key.i + size : key.i;
      if (index < 0 || index >= size) fail("index out of range", pos);
      if (obj.kind == Value::Kind::kString) return Value::string(std::string(1, obj.s[index]));
      return (*obj.items)[index];
    }
    fail("cannot subscript " + to_text(obj) + " with " + repr(key), pos);
  }

  Value filter(const std::string& name, std::vector<Value>& args, size_t pos) {
    Value& v = args[0];
    auto arg = [&](size_t k, Value def) { return k < args.size() ? args[k] : def; };
    if (name == "default" || name == "d") {
      bool boolean = truthy(arg(2, Value::boolean(false)));
      if (v.is_undefined() || (boolean && !truthy(v))) return arg(1, Value::string(""));
      return v;
    }
    require_defined(v, pos);
    if (name == "join") {
      std::string sep = to_text(arg(1, Value::string("")));
      std::string out;
      List items = iterate(v, pos);
      for (size_t k = 0; k < items.size(); ++k) out += (k ? sep : "") + to_text(items[k]);
      return Value::string(out);
    }
    if (name == "length" || name == "count") {
      if (v.kind == Value::Kind::kString) return Value::integer(static_cast<long long>(v.s.size()));
      return Value::integer(static_cast<long long>(iterate(v, pos).size()));
    }
    if (name == "lower" || name == "upper") {
      std::string s = to_text(v);
      for (char& c : s)
        c = static_cast<char>(name == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                              : std::toupper(static_cast<unsigned char>(c)));
      return Value::string(s);
    }
    if (name == "trim") {
      std::string s = to_text(v);
      size_t b = s.find_first_not_of(" \t\r\n");
      size_t e = s.find_last_not_of(" \t\r\n");
      return Value::string(b == std::string::npos ? "" : s.substr(b, e - b + 1));
    }
    if (name == "replace") {
      std::string s = to_text(v), from = to_text(arg(1, Value::string(""))),
                  to = to_text(arg(2, Value::string("")));
      if (from.empty()) return Value::string(s);
      std::string out;
      for (size_t k = 0;;) {
        size_t f = s.find(from, k);
        if (f == std::string::npos) {
          out += s.substr(k);
          break;
        }
        out += s.substr(k, f - k) + to;
        k = f + from.size();
      }
      return Value::string(out);
    }
    if (name == "string") return Value::string(to_text(v));
    if (name == "int") {
      if (v.kind == Value::Kind::kFloat) {
        if (std::isnan(v.f)) return Value::integer(0);  // Jinja's default for a non-number
        if (!(v.f >= -9.2233720368547758e18 && v.f < 9.2233720368547758e18))
          fail(fmt::format("integer overflow: {} is outside INT64", v.f), pos);
        return Value::integer(static_cast<long long>(v.f));
      }
      if (v.kind == Value::Kind::kInt) return v;
      try {
        return Value::integer(std::stoll(to_text(v)));
      } catch (const std::exception&) {
        return Value::integer(0);
      }
    }
    fail("unknown filter '" + name + "'", pos);
  }

  bool test(const std::string& name, const Value& v, size_t pos) {
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.kind == Value::Kind::kNone;
    if (name == "string") return v.kind == Value::Kind::kString;
    if (name == "number") return v.is_number();
    if (name == "sequence")
      return v.is_sequence() || v.kind == Value::Kind::kString || v.kind == Value::Kind::kDict;
    if (name == "mapping") return v.kind == Value::Kind::kDict;
    fail("unknown test '" + name + "'", pos);
  }

  Value arithmetic(const std::string& op, const Value& a, const Value& b, size_t pos) {
    require_defined(a, pos);
    require_defined(b, pos);
    if (op == "+" && a.kind == Value::Kind::kString && b.kind == Value::Kind::kString)
      return Value::string(a.s + b.s);
    if (op == "+" && a.is_sequence() && b.is_sequence()) {
      List items = *a.items;
      items.insert(items.end(), b.items->begin(), b.items->end());
      return Value::list(std::move(items));
    }
    if (!a.is_number() || !b.is_number()) {
      fail(fmt::format("cannot apply '{}' to {} and {}", op, repr(a), repr(b)), pos);
    }
    bool ints = a.kind == Value::Kind::kInt && b.kind == Value::Kind::kInt;
    if ((op == "/" || op == "//" || op == "%") && b.number() == 0) fail("division by zero", pos);
    if (op == "/") return Value::real(a.number() / b.number());
    if (ints) {
      long long r = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(a.i, b.i, &r);
      if (op == "-") overflow = __builtin_sub_overflow(a.i, b.i, &r);
      if (op == "*") overflow = __builtin_mul_overflow(a.i, b.i, &r);
      // The one quotient outside INT64: its minimum divided by -1 (a hardware trap in C++).
      if ((op == "//" || op == "%") && a.i == LLONG_MIN && b.i == -1) {
        if (op == "%") return Value::integer(0);
        overflow = true;
      }
      if (overflow) {
        fail(fmt::format("integer overflow: {} {} {} is outside INT64, as it would be in BigQuery",
                         a.i, op, b.i),
             pos);
      }
      if (op == "+" || op == "-" || op == "*") return Value::integer(r);
      long long q = a.i / b.i;
      if ((a.i % b.i != 0) && ((a.i < 0) != (b.i < 0))) --q;  // floor, as Python
      if (op == "//") return Value::integer(q);
      return Value::integer(a.i - q * b.i);
    }
    double x = a.number(), y = b.number();
    if (op == "+") return Value::real(x + y);
    if (op == "-") return Value::real(x - y);
    if (op == "*") return Value::real(x * y);
    if (op == "//") return Value::real(std::floor(x / y));
    return Value::real(x - std::floor(x / y) * y);
  }

  bool contains(const Value& container, const Value& item, size_t pos) {
    require_defined(container, pos);
    if (container.kind == Value::Kind::kString)
      return container.s.find(to_text(item)) != std::string::npos;
    for (const auto& v : iterate(container, pos)) {
      if (equal(v, item)) return true;
    }
    return false;
  }

  // Evaluates `e`, counting the step and refusing values past the size limits.
  Value eval(const Expr& e, Scope& scope) {
    step(e.pos);
    Value v = evaluate(e, scope);
    if (v.kind == Value::Kind::kString && v.s.size() > kMaxRenderedBytes) {
      fail(fmt::format("this builds a string longer than {} MiB, the limit for one template",
                       kMaxRenderedBytes >> 20),
           e.pos);
    }
    if (v.is_sequence() && v.items->size() > static_cast<size_t>(kMaxListItems)) {
      fail(fmt::format("this builds a list of more than {} items, the limit for one template",
                       kMaxListItems),
           e.pos);
    }
    return v;
  }

  void step(size_t pos) {
    if (++steps_ > kMaxRenderSteps) {
      fail(fmt::format("the template takes more than {} steps to render (a loop too long or "
                       "loops nested too deep); make the loops shorter",
                       kMaxRenderSteps),
           pos);
    }
  }

  Value evaluate(const Expr& e, Scope& scope) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName:
        return lookup(e.name, scope);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        List items;
        for (const auto& a : e.args) items.push_back(eval(*a, scope));
        return Value::list(std::move(items),
                           e.kind == Expr::Kind::kList ? Value::Kind::kList : Value::Kind::kTuple);
      }
      case Expr::Kind::kDict: {
        Value d = Value::dict();
        for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
          d.items->push_back(eval(*e.args[k], scope));
          d.dict_values->push_back(eval(*e.args[k + 1], scope));
        }
        return d;
      }
      case Expr::Kind::kAttribute:
        return attribute(eval(*e.args[0], scope), e.name, e.args[0]->pos);
      case Expr::Kind::kSubscript:
        return subscript(eval(*e.args[0], scope), eval(*e.args[1], scope), e.args[0]->pos);
      case Expr::Kind::kCall: {
        Value f = eval(*e.args[0], scope);
        if (f.is_undefined()) {
          fail("undefined function or macro '" + f.s + "'", e.args[0]->pos);
        }
        if (f.kind != Value::Kind::kCallable) fail(repr(f) + " is not callable", e.pos);
        std::vector<Value> args;
        for (size_t k = 1; k < e.args.size(); ++k) args.push_back(eval(*e.args[k], scope));
        std::vector<std::pair<std::string, Value>> kwargs;
        for (const auto& [key, value] : e.kwargs) kwargs.emplace_back(key, eval(*value, scope));
        size_t saved = call_pos_;
        if (!in_macro_) call_pos_ = e.pos;
        Value result = f.call(args, kwargs);
        call_pos_ = saved;
        return result;
      }
      case Expr::Kind::kFilter: {
        std::vector<Value> args;
        for (const auto& a : e.args) args.push_back(eval(*a, scope));
        for (const auto& [key, value] : e.kwargs) {
          if (key == "boolean" && (e.name == "default" || e.name == "d")) {
            while (args.size() < 2) args.push_back(Value::string(""));
            args.push_back(eval(*value, scope));
          } else {
            fail("unsupported keyword argument '" + key + "' for filter '" + e.name + "'", e.pos);
          }
        }
        return filter(e.name, args, e.pos);
      }
      case Expr::Kind::kTest:
        return Value::boolean(test(e.name, eval(*e.args[0], scope), e.pos) != e.negated);
      case Expr::Kind::kUnary: {
        Value v = eval(*e.args[0], scope);
        if (e.name == "not") return Value::boolean(!truthy(v));
        require_defined(v, e.args[0]->pos);
        if (!v.is_number()) fail("cannot negate " + repr(v), e.pos);
        if (e.name == "+") return v;
        if (v.kind == Value::Kind::kInt && v.i == LLONG_MIN) {
          fail(fmt::format("integer overflow: -({}) is outside INT64, as it would be in BigQuery",
                           v.i),
               e.pos);
        }
        return v.kind == Value::Kind::kInt ? Value::integer(-v.i) : Value::real(-v.f);
      }
      case Expr::Kind::kBinary: {
        const std::string& op = e.name;
        if (op == "and") {
          Value a = eval(*e.args[0], scope);
          return truthy(a) ? eval(*e.args[1], scope) : a;
        }
        if (op == "or") {
          Value a = eval(*e.args[0], scope);
          return truthy(a) ? a : eval(*e.args[1], scope);
        }
        Value a = eval(*e.args[0], scope);
        Value b = eval(*e.args[1], scope);
        if (op == "~") {
          require_defined(a, e.args[0]->pos);
          require_defined(b, e.args[1]->pos);
          return Value::string(to_text(a) + to_text(b));
        }
        if (op == "==") return Value::boolean(equal(a, b));
        if (op == "!=") return Value::boolean(!equal(a, b));
        if (op == "in") return Value::boolean(contains(b, a, e.args[1]->pos));
        if (op == "not in") return Value::boolean(!contains(b, a, e.args[1]->pos));
        if (op == "<" || op == ">" || op == "<=" || op == ">=") {
          require_defined(a, e.args[0]->pos);
          require_defined(b, e.args[1]->pos);
          int cmp;
          if (a.is_number() && b.is_number()) {
            cmp = a.number() < b.number() ? -1 : a.number() > b.number() ? 1 : 0;
          } else if (a.kind == Value::Kind::kString && b.kind == Value::Kind::kString) {
            cmp = a.s.compare(b.s);
          } else {
            fail(fmt::format("cannot compare {} and {}", repr(a), repr(b)), e.pos);
          }
          bool r = op == "<" ? cmp < 0 : op == ">" ? cmp > 0 : op == "<=" ? cmp <= 0 : cmp >= 0;
          return Value::boolean(r);
        }
        return arithmetic(op, a, b, e.pos);
      }
      case Expr::Kind::kConditional:
        if (truthy(eval(*e.args[0], scope))) return eval(*e.args[1], scope);
        if (e.args.size() > 2) return eval(*e.args[2], scope);
        return Value::string("");  // `x if c` without else prints nothing, as in Jinja
    }
    return Value::undefined("");
  }

  Rendered& out_;
  const Source* source_ = nullptr;
  std::map<std::string, Value> globals_;
  bool in_macro_ = false;
  size_t call_pos_ = 0;
  size_t macro_call_site_ = 0;
  int macro_depth_ = 0;
  long long steps_ = 0;
};

}  // namespace

Rendered render(const Source& tmpl, const RenderOptions& options) {
  Rendered out;
  out.set_template(tmpl.text);
  Renderer renderer(options, out);
  std::vector<Body> macro_bodies;
  for (const auto& file : options.macro_files) {
    macro_bodies.push_back(TemplateParser(file).parse());
    renderer.load_macros(file, macro_bodies.back());
  }
  Body body = TemplateParser(tmpl).parse();
  renderer.render_main(tmpl, body);
  return out;
}

}  // namespace shredmit::templating
