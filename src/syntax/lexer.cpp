// The hand-written GoogleSQL lexer (see lexer.h). Each rule below names the lexer grammar rule
// it implements; where several rules could match, the longest match wins and, at equal length,
// the rule listed first in the grammar, as in ANTLR.
#include "syntax/lexer.h"

#include <fmt/format.h>

#include <string>
#include <unordered_map>

#include "GoogleSQLLexer.h"
#include "base/text.h"
#include "syntax/syntax.h"

namespace shredmit::syntax {
namespace {

using L = GoogleSQLLexer;

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_part(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Keyword rules are the grammar's first rules, up to BYTES_LITERAL; each matches its name
// case-insensitively (FALSE_, NULL_ and TRUE_ drop the underscore that avoids C++ names).
const std::unordered_map<std::string, size_t>& keywords() {
  static const std::unordered_map<std::string, size_t> map = [] {
    std::unordered_map<std::string, size_t> m;
    antlr4::ANTLRInputStream empty("");
    GoogleSQLLexer generated(&empty);
    const antlr4::dfa::Vocabulary& vocabulary = generated.getVocabulary();
    for (size_t type = 1; type < L::BYTES_LITERAL; ++type) {
      std::string name = vocabulary.getSymbolicName(type);
      if (!name.empty() && name.back() == '_') name.pop_back();
      m.emplace(std::move(name), type);
    }
    return m;
  }();
  return map;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  // The length in bytes of the quoted body (QUOTED_BODY) starting at `at`, or 0.
  size_t quoted_body(size_t at) const {
    char q = at < s_.size() ? s_[at] : '\0';
    if (q != '\'' && q != '"') return 0;
    if (at + 2 < s_.size() && s_[at + 1] == q && s_[at + 2] == q) {
      // Triple-quoted: anything, escapes included, up to the first unescaped closing triple.
      for (size_t i = at + 3; i < s_.size(); ++i) {
        if (s_[i] == '\\') {
          ++i;
          continue;
        }
        if (s_[i] == q && i + 2 < s_.size() && s_[i + 1] == q && s_[i + 2] == q) {
          return i + 3 - at;
        }
      }
      // Unterminated: the one-quote form below may still match (`''` is an empty string).
    }
    for (size_t i = at + 1; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == '\\') {
        if (i + 1 >= s_.size()) return 0;
        i += utf8_length(i + 1);
        continue;
      }
      if (c == q) return i + 1 - at;
      if (c == '\r' || c == '\n') return 0;
    }
    return 0;
  }

  // Bytes of the code point starting at `at`.
  size_t utf8_length(size_t at) const {
    unsigned char c = static_cast<unsigned char>(s_[at]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return std::min(n, s_.size() - at);
  }

  // The length in bytes of a backquoted identifier body starting at the backquote, or 0.
  size_t quoted_identifier(size_t at) const {
    size_t i = at + 1;
    for (; i < s_.size(); ++i) {
      char c = s_[i];
      if (c == '\\') {
        if (i + 1 >= s_.size()) return 0;
        i += utf8_length(i + 1);
        continue;
      }
      if (c == '`') return i == at + 1 ? 0 : i + 1 - at;
      if (c == '\r' || c == '\n') return 0;
    }
    return 0;
  }

  size_t identifier(size_t at) const {
    size_t i = at;
    if (i >= s_.size() || !is_ident_start(s_[i])) return 0;
    while (i < s_.size() && is_ident_part(s_[i])) ++i;
    return i - at;
  }

  size_t digits(size_t at) const {
    size_t i = at;
    while (i < s_.size() && is_digit(s_[i])) ++i;
    return i - at;
  }

  // EXPONENT: [eE] [+-]? DIGIT+, or 0.
  size_t exponent(size_t at) const {
    if (at >= s_.size() || (s_[at] != 'e' && s_[at] != 'E')) return 0;
    size_t i = at + 1;
    if (i < s_.size() && (s_[i] == '+' || s_[i] == '-')) ++i;
    size_t d = digits(i);
    return d == 0 ? 0 : i + d - at;
  }

  // INTEGER_LITERAL or FLOAT_LITERAL at `at` (a digit, or '.' followed by a digit).
  std::pair<size_t, size_t> number(size_t at) const {
    if (s_[at] == '.') {
      size_t d = digits(at + 1);
      return {L::FLOAT_LITERAL, 1 + d + exponent(at + 1 + d)};
    }
    size_t d = digits(at);
    size_t integer = d;
    if (s_[at] == '0' && at + 1 < s_.size() && (s_[at + 1] == 'x' || s_[at + 1] == 'X')) {
      size_t i = at + 2;
      while (i < s_.size() && is_hex(s_[i])) ++i;
      if (i > at + 2) integer = std::max(integer, i - at);
    }
    size_t flt = 0;
    if (at + d < s_.size() && s_[at + d] == '.') {
      size_t f = d + 1 + digits(at + d + 1);
      flt = f + exponent(at + f);
    } else {
      size_t e = exponent(at + d);
      if (e > 0) flt = d + e;
    }
    // Longest match; at equal length INTEGER_LITERAL comes first in the grammar.
    if (flt > integer) return {L::FLOAT_LITERAL, flt};
    return {L::INTEGER_LITERAL, integer};
  }

  // The token at `at`: its type (0 for skipped text) and length in bytes.
  std::pair<size_t, size_t> token(size_t at) const {
    char c = s_[at];
    char n = at + 1 < s_.size() ? s_[at + 1] : '\0';
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
      case '\f': {
        size_t i = at + 1;
        while (i < s_.size() &&
               (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\r' || s_[i] == '\n' || s_[i] == '\f')) {
          ++i;
        }
        return {0, i - at};  // WS
      }
      case '#':
        return {0, line_comment(at)};
      case '-':
        if (n == '-') return {0, line_comment(at)};
        if (n == '>') return {L::ARROW, 2};
        return {L::MINUS, 1};
      case '/':
        if (n == '*') {
          size_t end = s_.find("*/", at + 2);
          if (end != std::string_view::npos) return {0, end + 2 - at};  // BLOCK_COMMENT
        }
        return {L::SLASH, 1};
      case '\'':
      case '"': {
        size_t q = quoted_body(at);
        if (q > 0) return {L::STRING_LITERAL, q};
        return {L::UNEXPECTED_CHARACTER, 1};
      }
      case '`': {
        size_t q = quoted_identifier(at);
        if (q > 0) return {L::QUOTED_IDENTIFIER, q};
        return {L::UNEXPECTED_CHARACTER, 1};
      }
      case '@': {
        if (n == '@') {
          size_t i = at + 2;
          size_t id = identifier(i);
          if (id > 0) {
            i += id;
            while (i < s_.size() && s_[i] == '.' && identifier(i + 1) > 0)
              i += 1 + identifier(i + 1);
            return {L::SYSTEM_VARIABLE, i - at};
          }
        }
        size_t id = identifier(at + 1);
        if (id > 0) return {L::NAMED_PARAMETER, 1 + id};
        if (n == '`') {
          size_t q = quoted_identifier(at + 1);
          if (q > 0) return {L::NAMED_PARAMETER, 1 + q};
        }
        return {L::UNEXPECTED_CHARACTER, 1};
      }
      case '.':
        if (is_digit(n)) return number(at);
        return {L::DOT, 1};
      case '?':
        return {L::QUESTION, 1};
      case '(':
        return {L::LPAREN, 1};
      case ')':
        return {L::RPAREN, 1};
      case '[':
        return {L::LBRACKET, 1};
      case ']':
        return {L::RBRACKET, 1};
      case '{':
        return {L::LBRACE, 1};
      case '}':
        return {L::RBRACE, 1};
      case ',':
        return {L::COMMA, 1};
      case ';':
        return {L::SEMI, 1};
      case ':':
        return {L::COLON, 1};
      case '*':
        return {L::STAR, 1};
      case '+':
        return {L::PLUS, 1};
      case '|':
        if (n == '|') return {L::CONCAT, 2};
        return {L::PIPE, 1};
      case '&':
        return {L::AMPERSAND, 1};
      case '^':
        return {L::CARET, 1};
      case '~':
        return {L::TILDE, 1};
      case '=':
        if (n == '>') return {L::FAT_ARROW, 2};
        return {L::EQ, 1};
      case '!':
        if (n == '=') return {L::NEQ, 2};
        return {L::UNEXPECTED_CHARACTER, 1};
      case '<':
        if (n == '>') return {L::NEQ, 2};
        if (n == '=') return {L::LE, 2};
        return {L::LT, 1};
      case '>':
        if (n == '=') return {L::GE, 2};
        return {L::GT, 1};
      default:
        break;
    }
    if (is_digit(c)) return number(at);
    if (is_ident_start(c)) {
      size_t id = identifier(at);
      // BYTES_LITERAL: (B | RB | BR) QUOTED_BODY; STRING_LITERAL: R? QUOTED_BODY. The prefix is
      // the whole identifier, so the literal is always longer than the identifier.
      if (id <= 2 && at + id < s_.size() && (s_[at + id] == '\'' || s_[at + id] == '"')) {
        std::string prefix;
        for (size_t i = at; i < at + id; ++i) prefix += static_cast<char>(s_[i] | 0x20);
        bool bytes = prefix == "b" || prefix == "rb" || prefix == "br";
        if (bytes || prefix == "r") {
          size_t q = quoted_body(at + id);
          if (q > 0) return {bytes ? L::BYTES_LITERAL : L::STRING_LITERAL, id + q};
        }
      }
      return {L::IDENTIFIER, id};  // a keyword when the text is one (see keywords())
    }
    return {L::UNEXPECTED_CHARACTER, utf8_length(at)};
  }

 private:
  size_t line_comment(size_t at) const {
    size_t end = s_.find_first_of("\r\n", at);
    return (end == std::string_view::npos ? s_.size() : end) - at;
  }

  std::string_view s_;
};

}  // namespace

std::vector<std::unique_ptr<antlr4::Token>> lex(std::string_view sql) {
  std::vector<std::unique_ptr<antlr4::Token>> tokens;
  const auto& words = keywords();
  Scanner scanner(sql);
  size_t line = 1, column = 0, index = 0;  // column and index in code points, as ANTLR counts
  // ANTLR's input stream drops a leading byte order mark; it counts for no column or index.
  size_t first = sql.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  for (size_t at = first; at < sql.size();) {
    auto [type, length] = scanner.token(at);
    size_t code_points = 0;
    size_t next_line = line, next_column = column;
    for (size_t i = at; i < at + length; ++i) {
      unsigned char c = static_cast<unsigned char>(sql[i]);
      if ((c & 0xC0) == 0x80) continue;
      ++code_points;
      if (c == '\n') {
        ++next_line;
        next_column = 0;
      } else {
        ++next_column;
      }
    }
    if (type != 0) {
      std::string text(sql.substr(at, length));
      if (type == L::IDENTIFIER) {
        if (auto it = words.find(base::to_upper(text)); it != words.end()) type = it->second;
      }
      auto token = std::make_unique<antlr4::CommonToken>(type, std::move(text));
      token->setLine(line);
      token->setCharPositionInLine(column);
      token->setStartIndex(index);
      token->setStopIndex(index + code_points - 1);
      tokens.push_back(std::move(token));
    }
    line = next_line;
    column = next_column;
    index += code_points;
    at += length;
  }
  auto eof = std::make_unique<antlr4::CommonToken>(antlr4::Token::EOF, "<EOF>");
  eof->setLine(line);
  eof->setCharPositionInLine(column);
  eof->setStartIndex(index);
  eof->setStopIndex(index - 1);
  tokens.push_back(std::move(eof));
  return tokens;
}

std::optional<std::string> lexer_difference(std::string_view sql) {
  antlr4::ANTLRInputStream input(sql.data(), sql.size());
  GoogleSQLLexer generated(&input);
  generated.removeErrorListeners();
  antlr4::ListTokenSource ours(lex(sql));
  auto describe = [&](antlr4::Token& t) {
    return fmt::format("{} '{}' at {}:{} [{}, {}]",
                       t.getType() == antlr4::Token::EOF
                           ? std::string("EOF")
                           : std::string(generated.getVocabulary().getSymbolicName(t.getType())),
                       t.getType() == antlr4::Token::EOF ? "" : t.getText(), t.getLine(),
                       t.getCharPositionInLine(), t.getStartIndex(), t.getStopIndex());
  };
  for (size_t n = 0;; ++n) {
    auto expected = generated.nextToken();
    auto actual = ours.nextToken();
    std::string e = describe(*expected), a = describe(*actual);
    if (e != a) return fmt::format("token {}: ANTLR's lexer gives {}, shredmit's {}", n, e, a);
    if (expected->getType() == antlr4::Token::EOF) return std::nullopt;
  }
}

}  // namespace shredmit::syntax
